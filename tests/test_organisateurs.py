"""Local organisers (issue 24): accounts, their own view, relances, demo, screens."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030 import organisateurs, relances
from q2030.access import SYSTEM, Actor
from q2030.campaigns import active_campaign
from q2030.cli import main
from q2030.errors import PermissionRefusee, ValidationError
from q2030.models import Rencontre, User
from q2030.nomenclature import ROLES
from q2030.users import add_user
from q2030.validation import file_a_valider
from tests.databases import Demo, Preparation
from tests.helpers import open_app

REFERENT_93 = Actor(email="referent.93@demo.gouv.fr", role="referent", departement_code="93", region_code="11")
REFERENT_13 = Actor(email="referent.13@demo.gouv.fr", role="referent", departement_code="13", region_code="93")
TILLEULS = Actor(
    email="organisateur.93@demo.example.org",
    role="organisateur",
    departement_code="93",
    organisation="Centre social Les Tilleuls",
)


def test_add_user_on_the_command_line_creates_an_organiser(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    code = main(
        ["add-user", "Accueil@Tilleuls.example.org", "--role", "organisateur", "--departement", "93",
         "--organisation", "Centre social Les Tilleuls", "--type-organisation", "centre_social"]
    )  # fmt: skip
    assert code == 0
    assert "Centre social Les Tilleuls" in capsys.readouterr().out
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "accueil@tilleuls.example.org")).one()
        assert (user.role, user.departement_code, user.organisation) == (
            "organisateur",
            "93",
            "Centre social Les Tilleuls",
        )
        assert Actor.from_user(user).organisation == "Centre social Les Tilleuls"


def test_the_referent_invites_the_organisers_of_its_departement_only(session: Session) -> None:
    user = add_user(
        session,
        actor=REFERENT_93,
        email="contact@voisins.example.org",
        role="organisateur",
        departement_code="93",
        organisation="Voisins solidaires",
    )
    assert user.organisation == "Voisins solidaires"
    with pytest.raises(PermissionRefusee):
        add_user(session, actor=REFERENT_13, email="x@voisins.example.org", role="organisateur",
                 departement_code="93", organisation="Voisins")  # fmt: skip
    with pytest.raises(PermissionRefusee):  # a référent creates no other role
        add_user(session, actor=REFERENT_93, email="y@interieur.gouv.fr", role="referent", departement_code="93")
    with pytest.raises(ValidationError, match="organisation"):
        add_user(session, actor=SYSTEM, email="z@example.org", role="organisateur", departement_code="93")


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=7, comptes=True)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 7) with the demo accounts, loaded once per run."""
    return engine


def test_demo_has_every_role_and_organisers_with_declared_and_validated_meetings(demo: Engine) -> None:
    with Session(demo) as session:
        roles = set(session.exec(select(User.role)))
        assert roles == set(ROLES)
        queue = file_a_valider(session, actor=REFERENT_93, departement_code="93")
        assert len(queue) == 6  # two per organiser
        submitted = [d.soumise_le for d in queue if d.soumise_le is not None]
        assert len(submitted) == len(queue)  # every queued declaration says when it was submitted
        assert submitted == sorted(submitted)
        validated = session.exec(
            select(Rencontre).where(col(Rencontre.organisation).is_not(None), Rencontre.validation == "validee")
        ).all()
        assert len(validated) == 3
        campaign = active_campaign(session)
        au = campaign.rencontres_echeance + dt.timedelta(days=25)
        mine = organisateurs.mes_rencontres(session, actor=TILLEULS, au=au)
        assert len(mine) == 3
        assert {row.validation for row in mine} == {"validee", "a_valider"}
        held = [row for row in mine if row.tenue]
        assert all("compte rendu" in row.manquants() for row in held)
        assert any("synthèse aux participants à envoyer" in e for row in held for e in row.echeances(au))
        # Relances reach the organiser for what it owes (its own meetings only).
        user = session.exec(select(User).where(User.email == TILLEULS.email)).one()
        digest = relances.digest_utilisateur(session, user, au=au, campaign=campaign)
        kinds = {ligne.type for ligne in digest.lignes}
        assert "organisateur_comptes_rendus" in kinds
        ids = {int(ligne.cle.split(":")[1]) for ligne in digest.lignes}
        assert ids <= {row.id for row in mine}


def test_organiser_screens_show_its_meetings_only(app_env: str, demo_app: None) -> None:
    at = open_app(role="organisateur", departement="93")
    assert not at.exception
    text = " ".join(str(m.value) for m in at.markdown) + " ".join(str(s.value) for s in at.subheader)
    assert "Mes rencontres — Centre social Les Tilleuls" in text
    tables = [h.proto.body for h in at.get("html") if "<table" in h.proto.body]
    assert any("Vos rencontres" in body and "Reste à faire" in body for body in tables), (
        "the organiser sees the table of its meetings"
    )
    at.switch_page("pages/1_Rencontres.py").run()
    assert not at.exception
    at.switch_page("pages/3_Mon_departement.py").run()
    assert any("pas accessible avec votre rôle" in error.value for error in at.error)


@pytest.fixture
def demo_app(app_env: str, database_preparation: Preparation) -> None:
    """The app runs on the test's own copy of the demo database with the demo accounts."""


def test_the_excel_template_of_an_organiser_holds_its_meetings_only(demo: Engine) -> None:
    import io

    import openpyxl

    from q2030.excel.template import build_template

    with Session(demo) as session:
        mine = {row.id for row in organisateurs.mes_rencontres(session, actor=TILLEULS)}
        book = openpyxl.load_workbook(io.BytesIO(build_template(session, actor=TILLEULS, departement_code="93")))
        sheet = book.worksheets[0] if book.worksheets[0].title != "À lire" else book.worksheets[1]
        ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if isinstance(row[0], int)}
        assert ids == mine
        with pytest.raises(PermissionRefusee):
            build_template(session, actor=TILLEULS, departement_code="13")
