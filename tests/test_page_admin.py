"""Administration page driven through its widgets, navigation per role, demo banner."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from q2030.access import SYSTEM, Actor
from q2030.campaigns import active_campaign
from q2030.db import session_scope
from q2030.models import AuditEvent, Qpv, User
from q2030.ui import etat
from q2030.ui.admin import ADMIN_SECTIONS, ADMIN_SECTIONS_KEY
from q2030.ui.shell import PAGES, PUBLIC_PAGE, opens
from q2030.users import add_user
from tests.helpers import elements, fetch, open_app, open_tab

ADMIN_PAGE = "pages/8_Administration.py"
SCOPES = {
    "referent": {"departement": "13"},
    "prefet_region": {"region": "93"},
    "commission": {},
    "admin": {},
}


def _admin(section: str = "Utilisateurs") -> AppTest:
    """The page, `section` open (only the open tab is drawn)."""
    at = open_app(role="admin").switch_page(ADMIN_PAGE).run()
    return at if section == ADMIN_SECTIONS[0] else open_tab(at, ADMIN_SECTIONS_KEY, section)


def _table(at: AppTest, tab: str):
    """The (first) table drawn in a tab of the page (AppTest does not expose dataframe keys)."""
    return next(t for t in at.tabs if t.label == tab).dataframe[0].value


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("role", list(SCOPES))
def test_each_role_sees_its_pages_and_the_demo_banner(app_env: str, role: str) -> None:
    at = open_app(role=role, **SCOPES[role])
    assert not at.exception
    links = {link.value for link in elements(at, "page_link")}
    footer = {link.label for link in etat.FOOTER_LINKS}  # on every page, for everyone
    assert links == {page.label for key, page in PAGES.items() if opens(Actor(email="", role=role), key)} | footer
    at.switch_page(ADMIN_PAGE).run()
    for key, page in PAGES.items():  # banner on every page, refused or not
        at.switch_page(page.path).run()
        if key == PUBLIC_PAGE:  # the residents' page says its data is fictitious, without the role picker
            assert any("Données de démonstration" in i.value for i in at.main.info), page.path
            continue
        assert any("Mode démonstration" in w.value for w in at.main.warning), page.path
    at.switch_page(ADMIN_PAGE).run()
    if role == "admin":
        assert [t.label for t in at.tabs] == [
            "Utilisateurs",
            "Campagne",
            "Référentiel QPV",
            "Journal d'audit",
            "Relances",
        ]
    else:
        assert any("pas accessible avec votre rôle" in e.value for e in at.error)
        assert not at.tabs, "a refused page shows nothing"
        assert not at.button, "a refused page shows nothing"
        assert not at.dataframe, "a refused page shows nothing"


def test_admin_adds_a_user_through_the_form(app_env: str, engine: Engine) -> None:
    at = _admin()
    at.text_input(key="admin_new_email").input("Camille.Martin@Gironde.gouv.fr")
    at.text_input(key="admin_new_nom").input("Camille Martin")
    at.selectbox(key="admin_new_role").select("referent").run()
    at.selectbox(key="admin_new_departement").select("33")
    at.button(key="admin_new_submit").click().run()
    assert not at.exception
    assert any("Compte créé" in s.value for s in at.success)
    # The form is empty again for the next account.
    assert at.text_input(key="admin_new_email").value == ""
    assert at.text_input(key="admin_new_nom").value == ""
    table = _table(at, "Utilisateurs")
    assert table["Adresse électronique"].tolist() == ["camille.martin@gironde.gouv.fr"]
    assert table["Département"].tolist() == ["33"]
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.entite == "utilisateur")).one()
    assert event.acteur == "admin@demo.gouv.fr"


def test_invalid_user_shows_french_errors_and_creates_nothing(app_env: str, engine: Engine) -> None:
    at = _admin()
    at.text_input(key="admin_new_email").input("camille")
    at.selectbox(key="admin_new_role").select("prefet_region").run()
    at.button(key="admin_new_submit").click().run()
    assert not at.exception
    messages = " ".join(e.value for e in at.error)
    assert "Adresse électronique invalide" in messages
    assert "doit avoir une région" in messages
    assert _count(engine, User) == 0


def test_admin_changes_role_then_disables_a_user(app_env: str, engine: Engine) -> None:
    with session_scope(engine) as session:
        user = add_user(session, actor=SYSTEM, email="agent@var.gouv.fr", role="referent", departement_code="83")
        user_id = user.id
    at = _admin()
    at.selectbox(key=f"admin_edit_role_{user_id}").select("prefet_region").run()
    at.selectbox(key=f"admin_edit_{user_id}_region").select("93")
    at.button(key="admin_edit_submit").click().run()
    assert not at.exception
    assert any("Rôle et périmètre enregistrés" in s.value for s in at.success)
    at.button(key="admin_disable").click().run()
    assert not at.exception
    with Session(engine) as session:
        saved = session.get(User, user_id)
    assert saved is not None
    assert (saved.role, saved.region_code, saved.departement_code, saved.actif) == (
        "prefet_region",
        "93",
        None,
        False,
    )
    assert _table(at, "Utilisateurs")["Actif"].tolist() == [False]
    assert at.button(key="admin_enable")  # the way back is offered


def test_campaign_dates_are_validated_then_saved(app_env: str, engine: Engine) -> None:
    at = _admin("Campagne")
    at.date_input(key="admin_c_rencontres").set_value(dt.date(2023, 5, 1))
    at.button(key="admin_campaign_submit").click().run()
    assert any("ne peut précéder le lancement (15/05/2023)" in e.value for e in at.error)
    with Session(engine) as session:
        assert active_campaign(session).rencontres_echeance == dt.date(2023, 7, 31)
    at.date_input(key="admin_c_rencontres").set_value(dt.date(2023, 8, 15))
    at.button(key="admin_campaign_submit").click().run()
    assert not at.exception
    assert any("Campagne enregistrée" in s.value for s in at.success)
    at.date_input(key="admin_c_synthese").set_value(dt.date(2023, 9, 30))
    at.button(key="admin_campaign_submit").click().run()  # second save from the same form: version followed
    assert not at.exception
    assert not at.error
    with Session(engine) as session:
        campaign = active_campaign(session)
    assert (campaign.rencontres_echeance, campaign.synthese_departementale_echeance, campaign.version) == (
        dt.date(2023, 8, 15),
        dt.date(2023, 9, 30),
        3,
    )


def test_campaign_edited_meanwhile_is_not_overwritten(app_env: str, engine: Engine) -> None:
    at = _admin("Campagne")
    other = _admin("Campagne")
    other.text_input(key="admin_campaign_nom").input("Modifiée par un collègue")
    other.button(key="admin_campaign_submit").click().run()
    at.text_input(key="admin_campaign_nom").input("Ma version")
    at.button(key="admin_campaign_submit").click().run()
    assert any("modifiée par quelqu'un d'autre" in e.value for e in at.error)
    with Session(engine) as session:
        assert active_campaign(session).nom == "Modifiée par un collègue"


def test_qpv_import_shows_the_report_or_the_refusal(app_env: str, engine: Engine) -> None:
    at = _admin("Référentiel QPV")
    good = "code_qp;lib_qp;insee_com;lib_com\nQN09301M;Cité A;93001;Aubervilliers\nQN01301M;Cité B;13055;Marseille\n"
    at.file_uploader(key="admin_qpv_file").upload("qpv.csv", good.encode(), "text/csv").run()
    at.button(key="admin_qpv_submit").click().run()
    assert not at.exception
    assert any("2 créés" in s.value for s in at.success)
    report = _table(at, "Référentiel QPV")
    assert report["Créés"].tolist() == [1, 1]
    assert _count(engine, Qpv) == 2

    bad = "code_qp;lib_qp;insee_com;lib_com\nQN09302M;Cité C;93001;Aubervilliers\nXX;Cité D;13055;Marseille\n"
    at.file_uploader(key="admin_qpv_file").upload("qpv2.csv", bad.encode(), "text/csv").run()
    at.button(key="admin_qpv_submit").click().run()
    assert not at.exception
    assert at.error
    assert _count(engine, Qpv) == 2, "all or nothing: the good line of a bad file is not imported"


def test_qpv_import_of_a_windows_data_gouv_file_says_what_it_recognised(app_env: str, engine: Engine) -> None:
    content = (
        "code_qp;lib_qp;insee_reg;insee_dep;insee_com;lib_com\r\n"
        'QN01341I;Cœur des Escourtines;93;13;="13055;13070";"Marseille; La Penne-sur-Huveaune"\r\n'
    ).encode("cp1252")
    at = _admin("Référentiel QPV")
    at.file_uploader(key="admin_qpv_file").upload("listeqp2024.csv", content, "text/csv").run()
    at.button(key="admin_qpv_submit").click().run()
    assert not at.exception
    assert any("1 créés" in s.value for s in at.success)
    caption = " ".join(c.value for c in at.caption)
    assert "Format reconnu : CSV (Windows-1252" in caption, caption
    assert "data.gouv.fr" in caption, caption
    with Session(engine) as session:
        assert fetch(session, Qpv, "QN01341I").nom == "Cœur des Escourtines"
    bad = b'code_qp;lib_qp;insee_com\r\nXX1;A;="13055"\r\nXX2;B;="13055"\r\n'
    at.file_uploader(key="admin_qpv_file").upload("casse.csv", bad, "text/csv").run()
    at.button(key="admin_qpv_submit").click().run()
    message = at.error[0].value
    assert message.startswith("- Fichier refusé, rien n'a été importé (2 erreurs)\n- ligne 2"), message
    assert ": ;" not in message


def test_audit_log_lists_filters_and_offers_export(app_env: str, engine: Engine) -> None:
    with session_scope(engine) as session:
        add_user(session, actor=SYSTEM, email="a@x.gouv.fr", role="commission")
    at = _admin("Campagne")
    at.text_input(key="admin_campaign_nom").input("Quartiers 2030 bis")
    at.button(key="admin_campaign_submit").click().run()
    open_tab(at, ADMIN_SECTIONS_KEY, "Journal d'audit")
    table = _table(at, "Journal d'audit")
    assert set(table["Entité"]) == {"Utilisateur", "Campagne"}
    assert "Modification" in set(table["Action"])
    # Only what changed, as "champ : valeur", not a raw JSON record.
    changed = table.loc[table["Entité"] == "Campagne", "Après"].iloc[0]
    assert changed.startswith("Nom : Quartiers 2030 bis"), changed
    assert "{" not in changed, changed
    at.selectbox(key="admin_a_entite").select("campagne").run()
    table = _table(at, "Journal d'audit")
    assert table["Entité"].tolist() == ["Campagne"]
    assert table["Utilisateur"].tolist() == ["admin@demo.gouv.fr"]
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    at.date_input(key="admin_a_du").set_value(tomorrow)
    at.date_input(key="admin_a_au").set_value(tomorrow + dt.timedelta(days=30)).run()
    journal = next(t for t in at.tabs if t.label == "Journal d'audit")
    assert not journal.dataframe
    assert "Aucun événement pour ces filtres." in [i.value for i in journal.info]
    at.date_input(key="admin_a_du").set_value(dt.date.today() - dt.timedelta(days=1)).run()
    assert len(_table(at, "Journal d'audit")) == 1
    assert at.get("download_button"), "export offered"


def test_refusal_quoting_the_file_shows_its_text_literally(app_env: str, engine: Engine) -> None:
    """A cell quoted in an error message cannot become an image, a link or HTML."""
    at = _admin("Référentiel QPV")
    evil = "code_qp;lib_qp\n![x](http://evil.example/a.png);Cité\n<img src=x onerror=alert(1)>;Cité\n"
    at.file_uploader(key="admin_qpv_file").upload("qpv.csv", evil.encode(), "text/csv").run()
    at.button(key="admin_qpv_submit").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "Fichier refusé" in message
    assert "![" not in message
    assert "<img" not in message
    assert r"!\[X\](HTTP://EVIL.EXAMPLE/A.PNG)" in message
    assert r"\<IMG SRC=X ONERROR=ALERT(1)\>" in message
    assert _count(engine, Qpv) == 0


def test_empty_user_list_says_so_in_french(app_env: str) -> None:
    at = _admin()
    assert not at.exception
    users = next(t for t in at.tabs if t.label == "Utilisateurs")
    assert not users.dataframe
    assert "Aucun compte." in [i.value for i in users.info]
