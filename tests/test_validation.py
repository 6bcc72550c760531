"""Declared meetings count nowhere before the référent validates them (issue 24).

A meeting declared by a local organiser, or imported from a platform's event list, is
« déclarée, à valider »: every figure of the application (coverage at each level, the
report chain, the burn-up, the home figures, the rankings and their read model, the
exports, the public pages, the agenda, the open data, the relances, the synthèse's
tables) is computed with and without such declarations and compared; validating one then
changes them. The référent's queue, decisions (validate, return with a comment, refuse as a
duplicate), the compare-and-set and the audit are checked too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030 import agenda, coverage, open_data, overview, priorities, public, redaction, relances
from q2030.access import FRANCE, SYSTEM, Actor
from q2030.campaigns import active_campaign
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.documents import add_document
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.excel.exports import export_departement
from q2030.models import AuditEvent, CubeGroupe, CubeRencontre, CubeTheme, Qpv, Rencontre
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
from q2030.rencontres.lecture import list_rencontres
from q2030.rencontres.saisie import SaisieRencontre
from q2030.validation import file_a_valider, refuser_doublon, renvoyer, valider, valider_plusieurs
from tests.databases import Demo, Preparation
from tests.helpers import fetch, pdf_document

REFERENT = Actor(email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11")
ORGANISATEUR = Actor(
    email="accueil@tilleuls.example.org",
    role="organisateur",
    departement_code="93",
    organisation="Centre social Les Tilleuls",
)
AUTRE_ORGANISATEUR = Actor(
    email="contact@voisins.example.org", role="organisateur", departement_code="93", organisation="Voisins solidaires"
)
AU = dt.date(2023, 7, 20)
PDF = pdf_document()
CONTRIBUTIONS: list[LigneContribution] = [
    {"axe": "changements", "theme": "securite", "texte": "Plus d'éclairage le soir", "rang": 1},
    {"axe": "changements", "theme": "education", "texte": "Soutien scolaire", "rang": 2},
    {"axe": "ressources", "theme": "culture", "texte": "La médiathèque", "rang": 1},
    {"axe": "projets", "theme": "logement", "texte": "Rénover les halls", "rang": 1},
    {"axe": "solutions", "theme": "emploi", "texte": "Un forum de l'emploi", "rang": 1},
]


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "depot"))


def _meeting(qpv: str, day: dt.date, statut: str = "tenue", lieu: str = "Centre social") -> SaisieRencontre:
    data: SaisieRencontre = {
        "departement_code": "93",
        "statut": statut,
        "date": day,
        "lieu": lieu,
        "perimetre": "quartier",
        "qpv_codes": [qpv],
        "type_lieu": "centre_social",
        "format": "reunion_publique",
    }
    if statut == "tenue":
        data.update({"participants": 30, "femmes": 18, "jeunes": 7})
    return data


def _frame(frame: Any) -> Any:
    return json.loads(frame.to_json(orient="split", date_format="iso", default_handler=str))


def _workbook(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def figures(session: Session) -> dict[str, Any]:
    """Every figure the application shows, computed for the whole country and the 93."""
    campaign = active_campaign(session)
    out: dict[str, Any] = {}
    for niveau in ("national", "region", "departement"):
        out[f"couverture_{niveau}"] = _frame(coverage.coverage_counts(session, actor=FRANCE, au=AU, niveau=niveau))
    out["statut_qpv_93"] = _frame(coverage.qpv_status(session, actor=FRANCE, au=AU, departement_code="93"))
    out["non_couverts_93"] = _frame(coverage.qpv_non_couverts(session, actor=FRANCE, au=AU, departement_code="93"))
    out["suivi_93"] = _frame(coverage.suivi_rencontres(session, actor=FRANCE, au=AU, departement_code="93"))
    frame, projection = coverage.burnup(session, actor=FRANCE, au=AU)
    out["burnup"] = [_frame(frame), dataclasses.asdict(projection)]
    out["accueil"] = dataclasses.asdict(overview.key_figures(session, actor=FRANCE))
    filtres = priorities.Filtres()
    out["classement"] = _frame(priorities.classement(session, actor=FRANCE, filtres=filtres, groupe="aucun"))
    out["classement_93"] = _frame(
        priorities.classement(session, actor=FRANCE, filtres=priorities.Filtres(departement="93"), groupe="axe")
    )
    out["contributions_93"] = _frame(
        priorities.contributions(session, actor=FRANCE, filtres=priorities.Filtres(departement="93"), limite=None)
    )
    for table in (CubeRencontre, CubeTheme, CubeGroupe):
        rows = session.exec(select(table)).all()
        out[table.__tablename__] = sorted(json.dumps(row.model_dump(exclude={"id"}), default=str) for row in rows)
    buffer = io.BytesIO()
    export_departement(session, actor=FRANCE, departement_code="93", out=buffer, au=AU)
    out["export_93"] = _workbook(buffer.getvalue())
    out["public_a_venir"] = _frame(public.rencontres_a_venir(session, departement_code="93", today=AU))
    out["public_tenues"] = _frame(public.rencontres_tenues(session, departement_code="93"))
    themes, total = public.priorites(session, departement_code="93")
    out["public_priorites"] = [_frame(themes), total]
    out["agenda"] = _frame(agenda.upcoming_rencontres(session, actor=SYSTEM, departement_code="93", today=AU))
    out["donnees_ouvertes"] = json.loads(json.dumps(open_data.tables(session, today=AU), default=str))
    lignes = relances.LIGNES["referent"](session, REFERENT, campaign, AU)
    out["relances_93"] = [dataclasses.asdict(ligne) for ligne in lignes]
    out["synthese_93"] = _frame(
        redaction.rencontres_tenues(session, departement_code="93", campaign_id=campaign.id or 0, au=AU)
    )
    out["liste_comptee_93"] = _frame(list_rencontres(session, actor=FRANCE, departement_code="93", comptees=True))
    snapshot: dict[str, Any] = json.loads(json.dumps(out, default=str))
    return snapshot


def _uncovered_qpv(session: Session, count: int) -> list[str]:
    status = coverage.qpv_status(session, actor=FRANCE, au=AU, departement_code="93")
    codes = list(status[status["statut"] == "non_couvert"]["qpv_code"])
    if len(codes) < count:  # the demo covers the 93 well: add quartiers of its own
        for number in range(count - len(codes)):
            code = f"QN0939{number}Z"
            session.add(Qpv(code=code, nom=f"Quartier témoin {number}", departement_code="93", geographie="2024"))
            codes.append(code)
        session.flush()
    return codes[:count]


def _declare(engine: Engine) -> dict[str, int]:
    """Pending declarations in the 93: an organiser's held meeting with a compte rendu and
    five contributions, its planned meeting, and a meeting imported from a platform."""
    with session_scope(engine) as session:
        held_qpv, planned_qpv, imported_qpv = _uncovered_qpv(session, 3)
        held = create_rencontre(session, actor=ORGANISATEUR, data=_meeting(held_qpv, AU - dt.timedelta(days=5)))
        replace_contributions(session, actor=ORGANISATEUR, rencontre_id=held.id or 0, rows=CONTRIBUTIONS)
        add_document(session, actor=ORGANISATEUR, rencontre_id=held.id or 0, filename="cr.pdf", content=PDF)
        planned = create_rencontre(
            session, actor=ORGANISATEUR, data=_meeting(planned_qpv, AU + dt.timedelta(days=10), statut="prevue")
        )
        imported = create_rencontre(
            session,
            actor=REFERENT,
            data=_meeting(imported_qpv, AU + dt.timedelta(days=12), statut="prevue", lieu="Agora"),
            source=("decidim-saint-denis", "42"),
        )
        return {"held": held.id or 0, "planned": planned.id or 0, "imported": imported.id or 0}


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=7)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 7), loaded once per run."""
    return engine


def test_pending_declarations_are_absent_from_every_figure(demo: Engine) -> None:
    with Session(demo) as session:
        before = figures(session)
    ids = _declare(demo)
    with Session(demo) as session:
        during = figures(session)
        pending = {r.id for r in session.exec(select(Rencontre).where(Rencontre.validation == "a_valider"))}
    assert pending == set(ids.values())
    different = sorted(name for name in before if before[name] != during[name])
    assert different == [], f"pending declarations changed: {different}"

    with session_scope(demo) as session:
        version = fetch(session, Rencontre, ids["held"]).version
        valider(session, actor=REFERENT, rencontre_id=ids["held"], version=version)
    with Session(demo) as session:
        after = figures(session)
    changed = {name for name in before if before[name] != after[name]}
    # Validated, the organiser's meeting counts: coverage, rankings, read model, exports, public pages.
    expected = {
        "couverture_national", "couverture_departement", "statut_qpv_93", "non_couverts_93", "suivi_93",
        "classement", "classement_93", "contributions_93", "cube_rencontre", "cube_theme", "export_93",
        "public_tenues", "accueil", "liste_comptee_93", "synthese_93",
    }  # fmt: skip
    assert expected <= changed, sorted(expected - changed)
    assert "agenda" not in changed  # the planned declaration still waits


def test_organiser_declaration_waits_and_the_referent_decides(engine: Engine) -> None:
    with session_scope(engine) as session:
        code = _uncovered_qpv(session, 1)[0]
        own = create_rencontre(session, actor=REFERENT, data=_meeting(code, AU - dt.timedelta(days=20)))
        declared = create_rencontre(session, actor=ORGANISATEUR, data=_meeting(code, AU - dt.timedelta(days=3)))
        assert (own.validation, own.organisation) == ("validee", None)
        assert (declared.validation, declared.organisation) == ("a_valider", "Centre social Les Tilleuls")
        ids = (own.id or 0, declared.id or 0)
    with session_scope(engine) as session:
        queue = file_a_valider(session, actor=REFERENT, departement_code="93")
        assert [d.id for d in queue] == [ids[1]]
        assert queue[0].nouvelle
        assert queue[0].organisation == "Centre social Les Tilleuls"
        with pytest.raises(PermissionRefusee):
            file_a_valider(session, actor=ORGANISATEUR, departement_code="93")
        with pytest.raises(PermissionRefusee):
            valider(session, actor=ORGANISATEUR, rencontre_id=ids[1], version=queue[0].version)
        with pytest.raises(ValidationError, match="ce qu'il doit reprendre"):
            renvoyer(session, actor=REFERENT, rencontre_id=ids[1], version=queue[0].version, commentaire="  ")
        renvoyer(session, actor=REFERENT, rencontre_id=ids[1], version=queue[0].version, commentaire="Ajoutez l'heure")
    with session_scope(engine) as session:
        returned = session.get(Rencontre, ids[1])
        assert returned is not None
        assert (returned.validation, returned.commentaire_validation) == ("renvoyee", "Ajoutez l'heure")
        assert file_a_valider(session, actor=REFERENT, departement_code="93") == []
        # The organiser corrects it: back in the queue.
        update_rencontre(
            session, actor=ORGANISATEUR, rencontre_id=ids[1], version=returned.version, data={"heure_debut": "18:00"}
        )
    with session_scope(engine) as session:
        queue = file_a_valider(session, actor=REFERENT, departement_code="93")
        assert [d.id for d in queue] == [ids[1]]
        refuser_doublon(session, actor=REFERENT, rencontre_id=ids[1], version=queue[0].version, doublon_de=ids[0])
    with Session(engine) as session:
        refused = session.get(Rencontre, ids[1])
        kept = session.get(Rencontre, ids[0])
        assert refused is not None
        assert kept is not None
        assert (refused.validation, refused.doublon_de) == ("refusee", ids[0])
        assert "Doublon de la rencontre" in refused.commentaire_validation
        assert (kept.validation, kept.participants) == ("validee", 30)  # nothing merged
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entite_id == str(ids[1])))]
        assert {"creation", "renvoi_organisateur", "modification", "refus_doublon"} <= set(actions)


def test_a_change_to_a_validated_meeting_goes_back_with_before_and_after(engine: Engine) -> None:
    with session_scope(engine) as session:
        code = _uncovered_qpv(session, 1)[0]
        declared = create_rencontre(session, actor=ORGANISATEUR, data=_meeting(code, AU - dt.timedelta(days=3)))
        valider(session, actor=REFERENT, rencontre_id=declared.id or 0, version=declared.version)
        rid = declared.id or 0
    with session_scope(engine) as session:
        row = session.get(Rencontre, rid)
        assert row is not None
        assert row.validation == "validee"
        update_rencontre(session, actor=ORGANISATEUR, rencontre_id=rid, version=row.version, data={"participants": 45})
        replace_contributions(session, actor=ORGANISATEUR, rencontre_id=rid, rows=CONTRIBUTIONS)
    with session_scope(engine) as session:
        (item,) = file_a_valider(session, actor=REFERENT, departement_code="93")
        assert not item.nouvelle
        changes = {c.champ: (c.avant, c.apres) for c in item.changements}
        assert changes == {"Participants": ("30", "45"), "Contributions": ("0", "5")}
        counted = coverage.coverage_counts(session, actor=FRANCE, au=AU, niveau="departement", departement_code="93")
        assert int(counted.iloc[0]["rencontres_tenues"]) == 0  # waiting again: it does not count
        # The référent's own edit neither needs nor triggers a validation.
        valider_plusieurs(session, actor=REFERENT, versions={rid: item.version})
    with session_scope(engine) as session:
        row = session.get(Rencontre, rid)
        assert row is not None
        assert (row.validation, row.avant_modification) == ("validee", None)
        update_rencontre(session, actor=REFERENT, rencontre_id=rid, version=row.version, data={"participants": 46})
        assert fetch(session, Rencontre, rid).validation == "validee"


def test_decisions_are_compare_and_set_and_organisers_stay_in_their_organisation(engine: Engine) -> None:
    with session_scope(engine) as session:
        code = _uncovered_qpv(session, 1)[0]
        declared = create_rencontre(session, actor=ORGANISATEUR, data=_meeting(code, AU - dt.timedelta(days=3)))
        rid, version = declared.id or 0, declared.version
    with session_scope(engine) as session, pytest.raises(ConflitDeVersion):
        valider(session, actor=REFERENT, rencontre_id=rid, version=version + 1)
    with session_scope(engine) as session:
        with pytest.raises(PermissionRefusee):
            update_rencontre(session, actor=AUTRE_ORGANISATEUR, rencontre_id=rid, version=version, data={"lieu": "X"})
        assert list(list_rencontres(session, actor=ORGANISATEUR, departement_code="93")["id"]) == [rid]
        assert list_rencontres(session, actor=AUTRE_ORGANISATEUR, departement_code="93").empty
        with pytest.raises(PermissionRefusee):
            list_rencontres(session, actor=ORGANISATEUR, departement_code="13")
        valider(session, actor=REFERENT, rencontre_id=rid, version=version)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="n'est pas à valider"):
            valider(session, actor=REFERENT, rencontre_id=rid, version=version + 1)
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 1
