"""AppTest of the pages "Questionnaire en ligne", "Codage des textes libres" and the canal filter of Priorités."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from q2030 import questionnaire as q
from q2030.access import SYSTEM
from q2030.models import AuditEvent, TexteLibre
from tests.helpers import elements, fetch, open_app
from tests.priorities_factories import rencontre
from tests.test_codage import seed_texts

CODAGE = "pages/12_Codage.py"
QUESTIONNAIRE = "pages/11_Questionnaire.py"


def _page(path: str, role: str) -> AppTest:
    at = open_app(role=role)
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _progress(at: AppTest) -> str:
    text = elements(at, "progress")[0].proto.text
    assert isinstance(text, str)
    return text


def test_analyst_codes_with_the_buttons_and_the_queue_moves_on(app_env: str, session: Session) -> None:
    truth = seed_texts(session, 3)
    at = _page(CODAGE, "commission")
    assert _progress(at) == "0 / 3 codés"
    shown = at.text[0].value
    assert shown in {fetch(session, TexteLibre, i).texte for i in truth}
    # Nothing chosen yet: "Valider" is disabled.
    assert at.button(key="codage_valider").disabled
    at.button(key="codage_axe_projets").click().run()
    at.button(key="codage_theme_logement").click().run()
    at.button(key="codage_valider").click().run()
    assert not at.exception, at.exception
    assert _progress(at) == "1 / 3 codés"
    assert at.text[0].value != shown
    session.expire_all()
    coded = session.exec(select(TexteLibre).where(TexteLibre.statut == "code")).one()
    assert (coded.texte, coded.axe, coded.theme, coded.code_par) == (
        shown,
        "projets",
        "logement",
        "commission@demo.gouv.fr",
    )
    at.button(key="codage_hors_sujet").click().run()
    assert _progress(at) == "2 / 3 codés"
    assert session.exec(select(AuditEvent).where(AuditEvent.entite == "texte_libre")).all().__len__() == 2
    at.button(key="codage_passer").click().run()
    assert "Aucun texte à coder" in at.info[0].value
    at.button(key="codage_revoir").click().run()
    assert not at.info or "Aucun texte" not in at.info[0].value


def test_admin_sees_the_model_and_trains_it(app_env: str, session: Session) -> None:
    from q2030 import codage
    from q2030.access import Actor

    truth = seed_texts(session, 220)
    analyst = Actor(email="a@anct.gouv.fr", role="commission")
    for texte_id in sorted(truth)[:200]:
        codage.coder(session, actor=analyst, texte_id=texte_id, axe="projets", theme=truth[texte_id])
    session.commit()
    at = _page(CODAGE, "admin")
    at.button(key="codage_entrainer").click().run()
    assert not at.exception, at.exception
    assert any("Modèle entraîné sur 200 textes" in s.value for s in at.success)
    at = _page(CODAGE, "admin")
    assert any("validation croisée en 5 plis" in m.value for m in at.markdown)
    assert at.button(key="codage_accepter")  # a suggestion is offered
    before = session.exec(select(TexteLibre).where(TexteLibre.statut == "a_coder")).all().__len__()
    assert before == 20  # showing a suggestion assigned nothing
    at.button(key="codage_accepter").click().run()
    assert _progress(at) == "201 / 220 codés"
    session.expire_all()
    accepted = session.exec(select(TexteLibre).where(col(TexteLibre.suggestion_acceptee).is_(True))).all()
    assert len(accepted) == 1


@pytest.mark.parametrize("role", ["referent", "prefet_region"])
def test_codage_and_import_are_not_for_every_role(app_env: str, role: str) -> None:
    for path in (CODAGE, QUESTIONNAIRE):
        at = _page(path, role)
        assert any("pas accessible" in e.value for e in at.error)


def test_questionnaire_page_shows_the_counts(app_env: str, session: Session) -> None:
    from tests import questionnaire_data as data
    from tests.priorities_factories import qpv

    qpv(session, "QN09301X", "93", "Les Tilleuls")
    mapping = {"identifiant": "ID réponse", "qpv": "Quartier prioritaire", "fermees": [
        {"colonne": data.COLONNES[8], "axe": "changements", "valeurs": data.PRIORITES}]}  # fmt: skip
    q.enregistrer_correspondance(session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    content = data.csv_bytes(["ID réponse", "Quartier prioritaire", data.COLONNES[8]],
                             [["1", "QN09301X", "Logement"], ["2", "", "Santé | Emploi"]])  # fmt: skip
    q.importer(session, actor=SYSTEM, source="Plateforme nationale", content=content, filename="x.csv")
    session.commit()
    at = _page(QUESTIONNAIRE, "admin")
    assert at.metric[0].value == "2"
    assert at.get("file_uploader")


def test_priorites_canal_filter_shows_the_two_channels(app_env: str, session: Session) -> None:
    from tests import questionnaire_data as data

    rencontre(session, "93", [("changements", "logement", "Rénover"), ("changements", "securite", "Police")])
    mapping = {"identifiant": "ID réponse", "fermees": [
        {"colonne": data.COLONNES[8], "axe": "changements", "valeurs": data.PRIORITES}]}  # fmt: skip
    q.enregistrer_correspondance(session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    content = data.csv_bytes(["ID réponse", data.COLONNES[8]], [["1", "Logement"], ["2", "Santé | Logement"]])
    q.importer(session, actor=SYSTEM, source="Plateforme nationale", content=content, filename="x.csv")
    session.commit()
    at = _page("pages/6_Priorites.py", "commission")
    assert at.tabs  # rencontres: the page as before
    at.radio(key="widget_filtre_canal").set_value("les_deux").run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric] == ["2", "3"]
    table = at.dataframe[0].value
    table = table.data if hasattr(table, "data") else table
    row = table.set_index("Thème").loc["Logement et habitat"]
    assert (row["Contributions (rencontres)"], row["Citations (questionnaire)"]) == (1, 2)
    at.radio(key="widget_filtre_canal").set_value("questionnaire").run()
    assert [m.value for m in at.metric] == ["2", "3"]
    # The canal is a shared filter: it survives a page change.
    at.switch_page("pages/6_Priorites.py").run()
    assert at.radio(key="widget_filtre_canal").value == "questionnaire"


def test_analyst_corrects_a_coded_text_from_the_list(app_env: str, session: Session) -> None:
    from q2030 import codage
    from tests.test_codage import ANA

    truth = seed_texts(session, 3)
    first = min(truth)
    codage.coder(session, actor=ANA, texte_id=first, axe="changements", theme="logement")
    session.commit()
    at = _page(CODAGE, "commission")
    assert at.selectbox(key="revision_texte").value == first
    at.selectbox(key="revision_theme").set_value("logement").run()
    assert not at.exception, at.exception
    submit = next(b for b in at.button if b.label == "Corriger la décision")
    form_theme = next(s for s in at.selectbox if s.label == "Thème" and s.key != "revision_theme")
    form_theme.set_value("sante")
    submit.click().run()
    assert not at.exception, at.exception
    session.expire_all()
    texte = session.get(TexteLibre, first)
    assert texte is not None
    assert (texte.theme, texte.version) == ("sante", 3)
    assert "None" not in " ".join(str(e.value) for e in at.markdown)
