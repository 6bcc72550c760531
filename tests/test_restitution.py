"""Restitution publique: publication of comptes rendus, public reads, engagements, agenda
feeds and open data, with nothing internal ever leaving through the public side."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from q2030 import engagements, feeds, open_data, public
from q2030.access import ANONYME, Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.documents import (
    NON_PUBLIE,
    add_document,
    publier_document,
    read_document,
    read_published_document,
    retirer_document,
)
from q2030.errors import ConflitDeVersion, IntrouvableError, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Rencontre, stored_id
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from tests import factories
from tests.helpers import pdf_document

REFERENT = Actor(
    email="agent.secret@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11"
)
PREFET = Actor(email="sgar@ile-de-france.gouv.fr", role="prefet_region", region_code="11")
OUTSIDER = Actor(email="referent@nord.gouv.fr", role="referent", departement_code="59", region_code="32")
PDF = pdf_document()
MARKER = "NOTE-INTERNE-7Q2X"  # placed in notes: must never appear on the public side
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "depot"))


def _held(session: Session, qpv: str = "QN09301A", day: dt.date | None = None) -> Rencontre:
    row = factories.rencontre(session, departement="93", date=day or TODAY - dt.timedelta(days=20), qpv=[qpv])
    row.notes = f"{MARKER} à ne pas publier"
    row.modifie_par = REFERENT.email
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def territory(engine: Engine) -> dict[str, int]:
    """Two QPV of the 93, a held rencontre with a compte rendu, contributions."""
    with session_scope(engine) as session:
        factories.qpv(session, "QN09301A", "93", nom="Cité des Fleurs")
        factories.qpv(session, "QN09302A", "93", nom="Les Tilleuls")
        factories.qpv(session, "QN05901A", "59")
        held = _held(session)
    with session_scope(engine) as session:
        document = add_document(session, actor=REFERENT, rencontre_id=stored_id(held), filename="cr.pdf", content=PDF)
        rows: list[LigneContribution] = [
            {"axe": "changements", "theme": "securite", "texte": f"{MARKER} sécurité", "rang": 1}
        ] * public.SEUIL_CONTRIBUTIONS
        rows += [{"axe": "solutions", "theme": "sante", "texte": "Un médecin"}] * (public.SEUIL_CONTRIBUTIONS - 1)
        replace_contributions(session, actor=REFERENT, rencontre_id=stored_id(held), rows=rows)
    return {"rencontre_id": stored_id(held), "document_id": stored_id(document)}


# --- Publication ---------------------------------------------------------------------------


def test_unpublished_document_is_refused_to_the_public_then_served_once_published(
    engine: Engine, territory: dict[str, int]
) -> None:
    document_id = territory["document_id"]
    with Session(engine) as session:
        with pytest.raises(IntrouvableError) as refused:
            read_published_document(session, document_id=document_id)
        with pytest.raises(IntrouvableError) as missing:
            read_published_document(session, document_id=document_id + 999)
        # Same words: a visitor cannot tell an unpublished document from a missing one.
        assert str(refused.value) == str(missing.value) == NON_PUBLIE
        with pytest.raises(PermissionRefusee):
            read_document(session, actor=ANONYME, document_id=document_id)
        assert public.rencontres_tenues(session, departement_code="93")["documents"].tolist() == [[]]

    with session_scope(engine) as session:
        publier_document(session, actor=REFERENT, document_id=document_id)
    with Session(engine) as session:
        assert read_published_document(session, document_id=document_id)[1] == PDF
        [[(shown_id, name, _mime, _size)]] = public.rencontres_tenues(session, departement_code="93")["documents"]
        assert (shown_id, name) == (document_id, "cr.pdf")

    with session_scope(engine) as session:
        retirer_document(session, actor=REFERENT, document_id=document_id)
    with Session(engine) as session:
        with pytest.raises(IntrouvableError):
            read_published_document(session, document_id=document_id)
        actions = session.execute(
            select(col(AuditEvent.action), col(AuditEvent.acteur))
            .where(col(AuditEvent.entite) == "document")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [tuple(a) for a in actions][-2:] == [
        ("publication_document", REFERENT.email),
        ("retrait_document", REFERENT.email),
    ]


@pytest.mark.parametrize("actor", [ANONYME, PREFET, OUTSIDER], ids=["anonyme", "prefet", "autre_referent"])
def test_only_the_referent_publishes(engine: Engine, territory: dict[str, int], actor: Actor) -> None:
    with Session(engine) as session:
        with pytest.raises(PermissionRefusee):
            publier_document(session, actor=actor, document_id=territory["document_id"])
        session.commit()
        with pytest.raises(IntrouvableError):
            read_published_document(session, document_id=territory["document_id"])


# --- Public reads --------------------------------------------------------------------------


def test_priorities_only_from_the_threshold_and_never_a_text(engine: Engine, territory: dict[str, int]) -> None:
    with Session(engine) as session:
        for kwargs in ({"departement_code": "93"}, {"qpv_code": "QN09301A"}):
            ranking, total = public.priorites(session, **kwargs)
            # santé has one contribution fewer than the threshold: hidden; sécurité shown.
            assert ranking[["theme", "contributions"]].values.tolist() == [["securite", public.SEUIL_CONTRIBUTIONS]]
            assert total == 2 * public.SEUIL_CONTRIBUTIONS - 1
            assert MARKER not in ranking.to_csv()
        ranking, total = public.priorites(session, qpv_code="QN09302A")
        assert ranking.empty
        assert total is None  # under the threshold: not published (issue 21 #9)


def test_public_rencontres_hold_no_internal_field(engine: Engine, territory: dict[str, int]) -> None:
    with session_scope(engine) as session:
        planned = factories.rencontre(
            session, departement="93", date=TODAY + dt.timedelta(days=5), qpv=["QN09302A"], statut="prevue"
        )
        planned.notes = MARKER
        planned.accessibilite = ["pmr", "lsf"]
        planned.heure_debut = dt.time(18, 30)
        session.add(planned)
    with Session(engine) as session:
        upcoming = public.rencontres_a_venir(session, departement_code="93", today=TODAY)
        held = public.rencontres_tenues(session, departement_code="93")
        assert upcoming["accessibilite"].tolist() == ["Accès PMR, Interprète LSF"]
        assert upcoming["pour"].tolist() == ["Les Tilleuls"]
        assert public.rencontres_a_venir(session, qpv_code="QN09301A", today=TODAY).empty
        for frame in (upcoming, held):
            text = frame.to_csv()
            assert MARKER not in text
            assert "@" not in text


def test_unknown_quartier_and_other_geography_are_refused(engine: Engine, territory: dict[str, int]) -> None:
    with session_scope(engine) as session:
        factories.qpv(session, "QP093001", "93", geographie="2015")
    with Session(engine) as session:
        assert public.qpv(session, "qn09301a") == ("Cité des Fleurs", "93")
        for code in ("QN99999X", "QP093001", ""):
            with pytest.raises(IntrouvableError):
                public.qpv(session, code)


# --- Engagements ---------------------------------------------------------------------------

ENGAGEMENT = {
    "titre": "Médiateurs de nuit dans le quartier",
    "texte_public": "Quatre médiateurs recrutés, inscrits au contrat de ville.",
    "statut": "engage",
    "date_debut": dt.date(2024, 1, 15),
    "themes": ["securite", "jeunesse"],
    "qpv_codes": ["QN09301A"],
    "jalons": [{"date": "2024-03-01", "texte": "Recrutement"}, {"date": "2024-01-15", "texte": "Vote du budget"}],
}


def test_engagement_written_by_referent_and_prefet_versioned_and_audited(
    engine: Engine, territory: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        created = engagements.create_engagement(session, actor=REFERENT, departement_code="93", data=ENGAGEMENT)
    with session_scope(engine) as session:
        engagements.update_engagement(
            session, actor=PREFET, engagement_id=stored_id(created), version=1, data={**ENGAGEMENT, "statut": "realise"}
        )
    with Session(engine) as session:
        with pytest.raises(ConflitDeVersion):
            engagements.update_engagement(
                session, actor=REFERENT, engagement_id=stored_id(created), version=1, data=ENGAGEMENT
            )
        session.rollback()
        frame = engagements.list_engagements(session, qpv_code="QN09301A")
        assert frame[["titre", "statut", "version"]].values.tolist() == [[ENGAGEMENT["titre"], "realise", 2]]
        assert frame.loc[0, "themes"] == ["jeunesse", "securite"]
        assert [j["texte"] for j in frame.loc[0, "jalons"]] == ["Vote du budget", "Recrutement"]  # date order
        assert engagements.list_engagements(session, qpv_code="QN09302A").empty
        audit_rows = session.execute(
            select(col(AuditEvent.action), col(AuditEvent.acteur))
            .where(col(AuditEvent.entite) == "engagement")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [tuple(r) for r in audit_rows] == [
            ("creation_engagement", REFERENT.email),
            ("modification_engagement", PREFET.email),
        ]
        by_theme = engagements.engagements_par_theme(session, departement_code="93")
        assert dict(by_theme.values.tolist()) == {"jeunesse": 1, "securite": 1}
        # sécurité is answered; santé (cited, no engagement) is listed for the national view.
        assert engagements.themes_sans_engagement(session)["theme"].tolist() == ["sante"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"titre": "  "}, "titre"),
        ({"themes": []}, "themes"),
        ({"themes": ["inconnu"]}, "themes"),
        ({"statut": "fini"}, "statut"),
        ({"qpv_codes": ["QN05901A"]}, "qpv_codes"),  # a quartier of another département
        ({"date_debut": dt.date(2024, 5, 1), "date_fin": dt.date(2024, 4, 1)}, "date_fin"),
        ({"jalons": [{"date": "31/02/2024", "texte": "x"}]}, "jalons"),
    ],
)
def test_bad_engagement_explained_in_french_and_nothing_written(
    engine: Engine, territory: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    with Session(engine) as session:
        version = session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(ValidationError) as error:
            engagements.create_engagement(session, actor=REFERENT, departement_code="93", data={**ENGAGEMENT, **change})
        session.commit()
        assert field in error.value.errors
        assert all(error.value.errors[field])
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == version
        assert engagements.list_engagements(session).empty


@pytest.mark.parametrize("actor", [ANONYME, OUTSIDER, Actor(email="c@anct.gouv.fr", role="commission")])
def test_engagement_refused_outside_scope(engine: Engine, territory: dict[str, Any], actor: Actor) -> None:
    with Session(engine) as session, pytest.raises(PermissionRefusee):
        engagements.create_engagement(session, actor=actor, departement_code="93", data=ENGAGEMENT)


# --- Agenda feeds --------------------------------------------------------------------------


def test_feed_is_rewritten_after_each_committed_write_and_not_after_a_rollback(
    engine: Engine, territory: dict[str, Any], tmp_path: Path
) -> None:
    folder = feeds.install(engine, tmp_path / "agenda")
    feed = folder / "93.ics"
    assert feed.exists()
    assert len(list(folder.glob("*.ics"))) == 101
    assert f"UID:rencontre-{territory['rencontre_id']}@quartiers2030" in feed.read_text(encoding="utf-8")
    data: SaisieRencontre = {
        "departement_code": "93",
        "statut": "prevue",
        "date": TODAY + dt.timedelta(days=30),
        "heure_debut": dt.time(18, 0),
        "lieu": "Maison des associations",
        "perimetre": "quartier",
        "qpv_codes": ["QN09302A"],
        "notes": MARKER,
    }
    with session_scope(engine) as session:
        created = create_rencontre(session, actor=REFERENT, data=data)
    text = feed.read_text(encoding="utf-8")
    assert f"UID:rencontre-{created.id}@quartiers2030" in text
    assert "Maison des associations" in text
    assert MARKER not in text
    assert REFERENT.email not in text
    before = feed.read_bytes()

    def failing_write() -> None:
        with session_scope(engine) as session:
            update_rencontre(
                session, actor=REFERENT, rencontre_id=stored_id(created), version=1, data={"lieu": "Ailleurs"}
            )
            raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        failing_write()
    assert feed.read_bytes() == before
    with session_scope(engine) as session:
        update_rencontre(session, actor=REFERENT, rencontre_id=stored_id(created), version=1, data={"lieu": "Gymnase"})
    assert "Gymnase" in feed.read_text(encoding="utf-8")
    assert "SEQUENCE:1" in feed.read_text(encoding="utf-8")


# --- Open data -----------------------------------------------------------------------------


def test_open_data_package_validates_and_holds_nothing_internal(
    engine: Engine, territory: dict[str, Any], tmp_path: Path
) -> None:
    frictionless = pytest.importorskip("frictionless", reason="pip install -r requirements-dev.txt")
    with session_scope(engine) as session:
        publier_document(session, actor=REFERENT, document_id=territory["document_id"])
        engagements.create_engagement(
            session, actor=REFERENT, departement_code="93", data={**ENGAGEMENT, "titre": '=HYPERLINK("x")'}
        )
    with Session(engine) as session:
        written = open_data.write(session, tmp_path / "od")
    names = sorted(p.name for p in written)
    assert names == sorted([f"{n}.csv" for n in open_data.RESOURCES] + ["datapackage.json"])
    report = frictionless.validate(str(tmp_path / "od" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "od" / "datapackage.json").read_text(encoding="utf-8"))
    assert all(resource["schema"]["fields"] for resource in descriptor["resources"])
    content = {p.name: p.read_text(encoding="utf-8") for p in written}
    for name, text in content.items():
        assert MARKER not in text, name
        assert "@" not in text, name  # no e-mail anywhere
    rows = {name: list(csv.DictReader(io.StringIO(content[f"{name}.csv"]))) for name in open_data.RESOURCES}
    [rencontre] = rows["rencontres"]
    assert (rencontre["comptes_rendus_publies"], rencontre["qpv_codes"]) == ("1", "QN09301A")
    assert [r["theme"] for r in rows["priorites_departements"]] == ["securite"]  # santé is under the threshold
    assert [r["theme"] for r in rows["priorites_qpv"]] == ["securite"]
    assert rows["engagements"][0]["titre"].startswith("'=")  # CSV injection neutralised


def _synthese_version(session: Session, content: bytes = PDF) -> int:
    import hashlib

    from q2030.campaigns import active_campaign
    from q2030.documents import upload_dir
    from q2030.models import SyntheseDocument

    digest = hashlib.sha256(content).hexdigest()
    upload_dir().mkdir(parents=True, exist_ok=True)
    (upload_dir() / digest).write_bytes(content)
    row = SyntheseDocument(
        campaign_id=stored_id(active_campaign(session)),
        departement_code="93",
        numero=1,
        nom_fichier="synthese-93.pdf",
        type_mime="application/pdf",
        taille=len(content),
        sha256=digest,
        depose_par=REFERENT.email,
    )
    session.add(row)
    session.flush()
    return stored_id(row)


def test_synthese_version_public_only_once_published(engine: Engine, territory: dict[str, int]) -> None:
    from q2030.documents import publier_synthese, read_published_synthese, retirer_synthese

    with session_scope(engine) as session:
        version_id = _synthese_version(session)
    with Session(engine) as session:
        with pytest.raises(IntrouvableError, match="n'est pas publié"):
            read_published_synthese(session, document_id=version_id)
        assert public.syntheses_publiees(session, departement_code="93") == []
        for outsider in (ANONYME, PREFET, OUTSIDER):
            with pytest.raises(PermissionRefusee):
                publier_synthese(session, actor=outsider, document_id=version_id)
    with session_scope(engine) as session:
        publier_synthese(session, actor=REFERENT, document_id=version_id)
    with Session(engine) as session:
        assert read_published_synthese(session, document_id=version_id)[1] == PDF
        assert [row[:3] for row in public.syntheses_publiees(session, departement_code="93")] == [
            (version_id, 1, "synthese-93.pdf")
        ]
    with session_scope(engine) as session:
        retirer_synthese(session, actor=REFERENT, document_id=version_id)
    with Session(engine) as session:
        with pytest.raises(IntrouvableError):
            read_published_synthese(session, document_id=version_id)
        actions = session.execute(
            select(col(AuditEvent.action))
            .where(col(AuditEvent.entite) == "synthese_document")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [a for (a,) in actions] == ["publication_synthese", "retrait_synthese"]
