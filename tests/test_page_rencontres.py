"""AppTest: the référent's whole flow on the "Rencontres" page, and the read-only views."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from q2030.db import make_engine
from q2030.errors import PermissionRefusee
from q2030.models import Contribution, Document, Rencontre, RencontreQpv, stored_id
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
from q2030.rencontres.lecture import list_rencontres
from tests.helpers import fetch, open_app, pdf_document, unfold_rencontre_form
from tests.rencontres_data import REFERENT_69, REFERENT_93, REFERENT_93_BIS, held, load_geography

PDF = pdf_document()
MEETING = dt.date.today() - dt.timedelta(days=12)
PAGE = "pages/1_Rencontres.py"


@pytest.fixture
def db(app_env: str):
    engine = make_engine(app_env)
    with Session(engine) as session:
        load_geography(session)
    yield engine
    engine.dispose()


def _page(role: str = "referent", departement: str | None = "93", region: str | None = None) -> AppTest:
    """The page, its entry form unfolded for those who write."""
    at = open_app(role=role, departement=departement, region=region)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    if role in ("referent", "organisateur"):
        unfold_rencontre_form(at)
        assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> list[str]:
    return [error.value for error in at.error]


def _fill_new(at: AppTest, lieu: str = "Centre social Jacques-Prévert") -> None:
    at.multiselect(key="rf_qpv_codes").select("QN09301A").select("QN09302A")
    at.selectbox(key="rf_statut").select("tenue")
    at.date_input(key="rf_date").set_value(MEETING)
    at.time_input(key="rf_heure_debut").set_value(dt.time(18, 0))
    at.time_input(key="rf_heure_fin").set_value(dt.time(20, 0))
    at.text_input(key="rf_lieu").input(lieu)
    at.selectbox(key="rf_type_lieu").select("centre_social")
    at.multiselect(key="rf_organisateurs").select("prefecture").select("commune")
    at.number_input(key="rf_participants").set_value(40)
    at.number_input(key="rf_femmes").set_value(22)


def test_whole_flow_of_a_referent(db) -> None:
    at = _page()
    assert at.selectbox(key="rf_choice").value == 0  # "Nouvelle rencontre"

    # A first save with an error: the message sits by the field, the input is kept.
    _fill_new(at)
    at.number_input(key="rf_jeunes").set_value(41)
    at.button(key="rf_submit").click().run()
    assert not at.exception
    assert "Dont jeunes (moins de 26 ans) : 41 dépasse le nombre de participants (40)." in _errors(at)
    assert at.text_input(key="rf_lieu").value == "Centre social Jacques-Prévert"
    assert at.multiselect(key="rf_qpv_codes").value == ["QN09301A", "QN09302A"]
    with Session(db) as session:
        assert not session.exec(select(Rencontre)).all()

    # Corrected: saved, covering two QPV directly.
    at.number_input(key="rf_jeunes").set_value(8)
    at.button(key="rf_submit").click().run()
    assert not at.exception, _errors(at)
    assert not _errors(at), _errors(at)
    assert any("enregistrée" in s.value for s in at.success)
    with Session(db) as session:
        rencontre = session.exec(select(Rencontre)).one()
        links = session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == rencontre.id)).all()
    assert sorted(links) == ["QN09301A", "QN09302A"]
    assert rencontre.jeunes == 8
    assert at.selectbox(key="rf_choice").value == rencontre.id

    # Three contributions through the data editor (labels, as the editor shows them).
    at.session_state[f"rc_editor_{rencontre.id}"] = {
        "edited_rows": {},
        "added_rows": [
            {"axe": "1. Changements attendus d'ici 2030", "theme": "Tranquillité publique et sécurité",
             "texte": "Plus de médiateurs le soir", "rang": 1, "public": "Jeunes"},
            {"axe": "4. Solutions et dispositifs à déployer en priorité", "theme": "Éducation",
             "texte": "Aide aux devoirs au centre social", "rang": 2, "public": "Familles"},
            {"axe": "3. Projets structurants", "theme": "Logement et habitat",
             "texte": "Rénover les halls d'immeuble", "rang": 3, "public": "Tous"},
        ],
        "deleted_rows": [],
    }  # fmt: skip
    at.run()
    at.button(key="rc_save").click().run()
    assert not at.exception, at.exception
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        assert len(session.exec(select(Contribution)).all()) == 3

    # A PDF compte rendu.
    at.file_uploader[0].set_value(("compte-rendu.pdf", PDF, "application/pdf")).run()
    at.button(key="rd_save").click().run()
    assert not at.exception, _errors(at)
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        assert session.exec(select(Document.nom_fichier)).one() == "compte-rendu.pdf"
    assert any("compte-rendu.pdf" in str(getattr(b, "label", "")) for b in at.get("download_button"))

    # The synthesis was sent: the chain is complete in the list.
    at.date_input(key="rf_synthese_envoyee_le").set_value(MEETING + dt.timedelta(days=10))
    at.number_input(key="rf_participants_accord_synthese").set_value(25)
    at.button(key="rf_submit").click().run()
    assert not at.exception, _errors(at)
    assert not _errors(at), _errors(at)
    table = at.dataframe[0].value
    row = table[table["N°"] == rencontre.id].iloc[0]
    assert bool(row["Compte rendu"])
    assert row["Contributions"] == 3
    assert bool(row["Chaîne complète"])
    with Session(db) as session:
        frame = list_rencontres(session, actor=REFERENT_93, departement_code="93")
        # Version 3: created, contributions saved (they are part of the rencontre), synthesis.
        assert frame["chaine_complete"].tolist() == [True]
        assert frame["version"].tolist() == [3]

        # Meanwhile another référent of the 93 saves the same rencontre...
        update_rencontre(
            session, actor=REFERENT_93_BIS, rencontre_id=stored_id(rencontre), version=3, data={"notes": "Vu"}
        )
        session.commit()
        # ...and a référent of another département cannot, through the service.
        with pytest.raises(PermissionRefusee):
            update_rencontre(
                session, actor=REFERENT_69, rencontre_id=stored_id(rencontre), version=4, data={"lieu": "x"}
            )

    # The stale edit is refused with a clear message; what was typed stays in the form.
    at.text_input(key="rf_lieu").input("Mairie annexe")
    at.button(key="rf_submit").click().run()
    assert not at.exception
    assert any("a été modifiée par adjoint.93@test.gouv.fr" in e for e in _errors(at)), _errors(at)
    assert at.text_input(key="rf_lieu").value == "Mairie annexe"
    with Session(db) as session:
        assert fetch(session, Rencontre, rencontre.id).lieu == "Centre social Jacques-Prévert"
    # Reloading shows the stored version (with the other référent's note); saving then works.
    at.button(key="rf_reload").click().run()
    assert at.text_area(key="rf_notes").value == "Vu"
    assert not _errors(at)
    at.text_input(key="rf_lieu").input("Mairie annexe")
    at.button(key="rf_submit").click().run()
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        saved = fetch(session, Rencontre, rencontre.id)
        assert (saved.lieu, saved.notes, saved.version) == ("Mairie annexe", "Vu", 5)


def test_probable_duplicate_is_shown_then_saved_on_confirmation(db) -> None:
    at = _page()
    _fill_new(at)
    at.button(key="rf_submit").click().run()
    at.selectbox(key="rf_choice").select(0).run()
    _fill_new(at, lieu="Autre salle")
    at.button(key="rf_submit").click().run()
    assert not at.exception
    assert any("Doublon probable" in e for e in _errors(at))
    assert at.text_input(key="rf_lieu").value == "Autre salle"  # what was typed stays
    assert at.multiselect(key="rf_qpv_codes").value == ["QN09301A", "QN09302A"]
    with Session(db) as session:
        assert len(session.exec(select(Rencontre)).all()) == 1
    at.button(key="rf_force").click().run()
    assert not at.exception, _errors(at)
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        assert sorted(session.exec(select(Rencontre.lieu)).all()) == ["Autre salle", "Centre social Jacques-Prévert"]


def test_referent_of_another_departement_cannot_reach_it_and_readers_are_read_only(db) -> None:
    at = _page()
    _fill_new(at)
    at.button(key="rf_submit").click().run()
    assert not _errors(at)

    other = _page(departement="69")
    assert other.selectbox(key="rl_departement").options == ["69 – Rhône"]
    assert "Aucune rencontre pour ces critères." in [i.value for i in other.info]  # the 93 rencontre is not listed
    assert other.button(key="rf_submit") is not None  # may create in its own département only

    for role, region in (("prefet_region", "11"), ("commission", None)):
        reader = _page(role=role, departement=None, region=region)
        reader.selectbox(key="rl_departement").select("93").run()
        assert not reader.exception
        assert any("Consultation seule" in i.value for i in reader.info)
        assert not [b for b in reader.button if b.key == "rf_submit"]
        assert reader.dataframe[0].value["N°"].tolist() == [1]
        assert "Centre social Jacques-Prévert" in reader.dataframe[1].value["Valeur"].tolist()


def test_agenda_lists_planned_rencontres_and_offers_ics(db) -> None:
    at = _page()
    at.multiselect(key="rf_qpv_codes").select("QN09303A")
    at.date_input(key="rf_date").set_value(dt.date.today() + dt.timedelta(days=5))
    at.text_input(key="rf_lieu").input("Gymnase Jean-Moulin")
    at.button(key="rf_submit").click().run()
    assert not _errors(at), _errors(at)
    for role in ("commission", "prefet_region"):
        agenda = open_app(role=role, region="84")
        agenda.switch_page("pages/2_Agenda.py").run()
        assert not agenda.exception
        assert agenda.dataframe[0].value["Lieu"].tolist() == ["Gymnase Jean-Moulin"]
        labels = [str(getattr(b, "label", "")) for b in agenda.get("download_button")]
        assert any(".ics" in label for label in labels)
        # One rencontre: named by its French date and its quartiers, then its own .ics.
        choice = agenda.selectbox(key="ag_choice")
        day = (dt.date.today() + dt.timedelta(days=5)).strftime("%d/%m/%Y")
        assert choice.options == [f"{day} – {agenda.dataframe[0].value['Pour'][0]}"]
        choice.select_index(0).run()
        assert [b for b in agenda.get("download_button") if "Télécharger cette rencontre" in str(b.proto.label)]


def test_agenda_without_planned_rencontres_says_so(db) -> None:
    agenda = open_app(role="commission")
    agenda.switch_page("pages/2_Agenda.py").run()
    assert not agenda.exception
    assert [i.value for i in agenda.info] == ["Aucune rencontre prévue."]
    assert not agenda.dataframe
    assert not [s for s in agenda.selectbox if s.key == "ag_choice"]


def test_form_pickers_invite_in_french(db) -> None:
    at = _page()
    assert at.multiselect, "the form has multiselects"
    # Streamlit's default would read "Choose options" / "Choose an option".
    placeholders = [w.placeholder for w in [*at.multiselect, *at.selectbox]]
    assert "Choisir…" in placeholders
    assert not [p for p in placeholders if not p or p.startswith("Choose")], placeholders


def test_what_was_typed_survives_a_perimeter_switch_and_another_page(db) -> None:
    """A refused save keeps the draft; so do a perimeter switched and back (the quartiers'
    picker was not drawn meanwhile) and a visit to another page (Streamlit forgets a page's
    widgets when it changes page)."""
    at = _page()
    _fill_new(at)
    at.number_input(key="rf_jeunes").set_value(41)
    at.button(key="rf_submit").click().run()
    assert any("dépasse le nombre de participants" in e for e in _errors(at))
    at.radio(key="rf_perimetre").set_value("commune").run()
    assert not at.exception
    at.radio(key="rf_perimetre").set_value("quartier").run()
    assert at.multiselect(key="rf_qpv_codes").value == ["QN09301A", "QN09302A"]
    at.switch_page("pages/2_Agenda.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.selectbox(key="rf_choice").value == 0
    assert at.text_input(key="rf_lieu").value == "Centre social Jacques-Prévert"
    assert at.multiselect(key="rf_qpv_codes").value == ["QN09301A", "QN09302A"]
    assert at.number_input(key="rf_jeunes").value == 41
    at.number_input(key="rf_jeunes").set_value(8)
    at.button(key="rf_submit").click().run()
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        assert session.exec(select(Rencontre.lieu)).all() == ["Centre social Jacques-Prévert"]


def test_cancel_sends_the_version_the_form_opened_and_the_form_follows(db) -> None:
    at = _page()
    at.multiselect(key="rf_qpv_codes").select("QN09303A")
    at.date_input(key="rf_date").set_value(dt.date.today() + dt.timedelta(days=5))
    at.text_input(key="rf_lieu").input("Gymnase Jean-Moulin")
    at.button(key="rf_submit").click().run()
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        rencontre_id = stored_id(session.exec(select(Rencontre)).one())
    assert at.session_state["rf_etat"].version == 1  # returned by the save, not read again
    at.text_input(key="rc_motif").input("Salle indisponible")
    at.button(key="rc_cancel").click().run()
    assert not at.exception, at.exception
    assert not _errors(at), _errors(at)
    assert any("annulée" in s.value for s in at.success)
    assert at.selectbox(key="rf_statut").value == "annulee"  # the form shows what was stored
    assert at.session_state["rf_etat"].version == 2
    at.text_input(key="rf_lieu").input("Gymnase Jean-Moulin (fermé)")
    at.button(key="rf_submit").click().run()  # no conflict: the form follows its own cancel
    assert not _errors(at), _errors(at)
    with Session(db) as session:
        saved = session.get(Rencontre, rencontre_id)
        assert saved is not None
        assert (saved.statut, saved.lieu, saved.version) == ("annulee", "Gymnase Jean-Moulin (fermé)", 3)


def _form_block(at: AppTest) -> tuple[str, bool]:
    """The title of the entry form's expander and whether it is unfolded."""
    (block,) = [e for e in at.expander if e.key == "rf_deplie"]
    return block.label, block.proto.expanded


def test_the_entry_form_waits_folded_until_asked_for(db) -> None:
    """Arriving on the page, the new rencontre's form is folded and not drawn (half of the page's
    time in the browser); unfolded, it is there and stays unfolded when the saved rencontre gives it
    a new title; choosing « Nouvelle rencontre » again gives an empty form, unfolded."""
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert _form_block(at) == ("Nouvelle rencontre", False)
    assert not [w for w in at.text_input if w.key == "rf_lieu"]
    unfold_rencontre_form(at)
    assert _form_block(at) == ("Nouvelle rencontre", True)
    _fill_new(at)
    at.button(key="rf_submit").click().run()
    assert not _errors(at), _errors(at)
    saved = at.selectbox(key="rf_choice").value
    assert saved != 0
    assert _form_block(at) == (f"Modifier la rencontre n° {saved}", True)
    at.selectbox(key="rf_choice").select(0).run()  # « Nouvelle rencontre » chosen: to be typed in
    assert _form_block(at) == ("Nouvelle rencontre", True)
    assert at.text_input(key="rf_lieu").value == ""


def _type_row(at: AppTest, rencontre_id: int, texte: str) -> None:
    """One contribution added in the grid, as the editor keeps it, then the save button."""
    at.session_state[f"rc_editor_{rencontre_id}"] = {
        "edited_rows": {},
        "added_rows": [{"axe": "3. Projets structurants", "theme": "Éducation", "texte": texte, "rang": 1,
                        "public": "Tous"}],
        "deleted_rows": [],
    }  # fmt: skip
    at.run()
    at.button(key="rc_save").click().run()
    assert not at.exception, at.exception


def test_two_referents_in_one_grid_the_second_is_told_and_nothing_is_overwritten(db) -> None:
    """Two référents open the same rencontre's contributions; the first saves. The second's save
    is refused with who saved and the first one's rows stay; once the grid is reloaded (the
    refusal is said until then), the second one's save over the rows now shown passes."""
    with Session(db) as session:
        rencontre_id = stored_id(create_rencontre(session, actor=REFERENT_93, data=held()))
        session.commit()
    first, second = _page(), _page()
    for at in (first, second):
        at.selectbox(key="rf_choice").select(rencontre_id).run()
    _type_row(first, rencontre_id, "Une ludothèque")
    assert not _errors(first), _errors(first)
    _type_row(second, rencontre_id, "Un terrain de foot")
    (refused,) = [e for e in _errors(second) if "enregistrées par ailleurs" in e]
    assert "Dernière modification par" in refused
    with Session(db) as session:
        texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == rencontre_id)).all()
    assert texts == ["Une ludothèque"]
    second.run()  # the refusal is said until the grid is reloaded
    assert [e for e in _errors(second) if "enregistrées par ailleurs" in e] == [refused]
    second.button(key="rc_reload").click().run()
    assert not [e for e in _errors(second) if "enregistrées par ailleurs" in e]
    _type_row(second, rencontre_id, "Un terrain de foot")  # added to the rows now shown: saved
    assert not _errors(second), _errors(second)
    with Session(db) as session:
        texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == rencontre_id)).all()
    assert sorted(texts) == ["Un terrain de foot", "Une ludothèque"]
