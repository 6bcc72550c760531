"""The access matrix: every action × every role × every kind of resource, from the API.

Two halves:
- `test_rule`: `access.allowed(actor, action, resource)` for every `Action`, every actor
  of `ACTORS` (each role, in and out of scope, organisers of two organisations, the
  anonymous visitor) and every resource of `RESOURCES`, against `EXPECTED`, the rights
  table written out by hand. A pair not listed there is refused.
- `test_service_asks_the_rule`: every service write (and each read with a rule of its own),
  tried by every actor. Each operation names the action and resource it needs; the service
  must succeed (and leave audit events signed by the actor) exactly when `allowed` says so,
  and otherwise raise PermissionRefusee with nothing changed, not even if the caller commits
  afterwards (every row of every table, and the data version, compared before and after).

Add a write to OPERATIONS when a service gains one: `prepare` writes what the operation
needs (rows written directly, committed), `run` performs it as the actor. A read with a rule
of its own (downloading a compte rendu) is marked `write=False`: allowed, it returns the
content and leaves no trace; refused, nothing changes.

The rencontres, documents and synthèse rows all sit in Seine-Saint-Denis (93, région
Île-de-France 11): the référent of the 13 and the préfet of PACA (93) are the outsiders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col

from q2030 import validation
from q2030.access import (
    ANONYME,
    AUCUN,
    ECRANS,
    FRANCE,
    NATIONAL,
    SYSTEM,
    Action,
    Actor,
    DepartementCible,
    EcranCible,
    RencontreCible,
    Resource,
    Scope,
    VersionCible,
    allowed,
    lecture,
)
from q2030.campaign_admin import update_campaign
from q2030.campaigns import active_campaign
from q2030.contributions import replace_contributions
from q2030.db import session_scope
from q2030.demo import load_demo
from q2030.documents import (
    add_document,
    publier_document,
    publier_synthese,
    read_document,
    retirer_document,
    upload_dir,
)
from q2030.engagements import create_engagement, update_engagement
from q2030.errors import PermissionRefusee
from q2030.models import (
    AuditEvent,
    Document,
    Engagement,
    Rencontre,
    SyntheseDepartementale,
    SyntheseDocument,
    stored_id,
)
from q2030.qpv_import import import_qpv
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, delete_rencontre, update_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from q2030.signataires import enregistrer_signataire
from q2030.syntheses import deposer_version, enregistrer_etape, enregistrer_textes, lire_version, renvoyer
from q2030.ui.shell import PAGES
from q2030.users import add_user, set_user_active, update_user
from tests import factories
from tests.helpers import pdf_document

TILLEULS = "Centre social Les Tilleuls"
ACTORS: dict[str, Actor] = {
    "referent_93": Actor(
        email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11"
    ),
    "referent_13": Actor(
        email="referent@bouches-du-rhone.gouv.fr", role="referent", departement_code="13", region_code="93"
    ),
    "prefet_11": Actor(email="sgar@ile-de-france.gouv.fr", role="prefet_region", region_code="11"),
    "prefet_93": Actor(email="sgar@paca.gouv.fr", role="prefet_region", region_code="93"),
    "commission": Actor(email="commission@anct.gouv.fr", role="commission"),
    "admin": Actor(email="admin@anct.gouv.fr", role="admin"),
    # Local organisers: one of the 93 (its organisation's meetings only), one of another
    # organisation of the 93, one of the 13 with the same organisation name.
    "organisateur_93": Actor(
        email="accueil@tilleuls.example.org", role="organisateur", departement_code="93", organisation=TILLEULS
    ),
    "organisateur_93_autre": Actor(
        email="contact@voisins.example.org",
        role="organisateur",
        departement_code="93",
        organisation="Voisins solidaires",
    ),
    "organisateur_13": Actor(
        email="accueil@tilleuls-marseille.example.org",
        role="organisateur",
        departement_code="13",
        organisation=TILLEULS,
    ),
    # A resident on the public pages (q2030.public): every agent read and every write refused.
    "anonyme": ANONYME,
}

RESOURCES: dict[str, Resource] = {
    "national": NATIONAL,
    "dep_93": DepartementCible("93"),
    "dep_13": DepartementCible("13"),
    "rencontre_93": RencontreCible("93"),  # the préfecture's own
    "rencontre_93_tilleuls": RencontreCible("93", TILLEULS),  # filed by an organiser
    "rencontre_13": RencontreCible("13"),
    "version_93_deposee": VersionCible("93"),
    "version_93_region": VersionCible("93", transmise_region=True),
    "version_93_commission": VersionCible("93", transmise_region=True, transmise_commission=True),
    **{f"ecran_{name}": EcranCible(name) for name in ECRANS},
    "ecran_inconnu": EcranCible("inconnu"),
}

_READERS_93 = {"referent_93", "prefet_11", "commission", "admin"}
_READERS_13 = {"referent_13", "prefet_93", "commission", "admin"}
_AGENTS = {"referent_93", "referent_13", "prefet_11", "prefet_93", "commission", "admin"}
_ORGANISERS = {"organisateur_93", "organisateur_93_autre", "organisateur_13"}
_EVERYONE = _AGENTS | _ORGANISERS
# (action, resource) -> who is allowed. Every other triple is refused.
EXPECTED: dict[tuple[Action, str], set[str]] = {
    (Action.LIRE, "dep_93"): _READERS_93,
    (Action.LIRE, "dep_13"): _READERS_13,
    (Action.LIRE, "rencontre_93"): _READERS_93,
    (Action.LIRE, "rencontre_93_tilleuls"): _READERS_93 | {"organisateur_93"},
    (Action.LIRE, "rencontre_13"): _READERS_13,
    (Action.LIRE, "version_93_deposee"): {"referent_93"},
    (Action.LIRE, "version_93_region"): {"referent_93", "prefet_11"},
    (Action.LIRE, "version_93_commission"): {"referent_93", "prefet_11", "commission", "admin"},
    (Action.ECRIRE_RENCONTRE, "rencontre_93"): {"referent_93"},
    (Action.ECRIRE_RENCONTRE, "rencontre_93_tilleuls"): {"referent_93", "organisateur_93"},
    (Action.ECRIRE_RENCONTRE, "rencontre_13"): {"referent_13"},
    (Action.VALIDER_RENCONTRE, "rencontre_93"): {"referent_93"},
    (Action.VALIDER_RENCONTRE, "rencontre_93_tilleuls"): {"referent_93"},
    (Action.VALIDER_RENCONTRE, "rencontre_13"): {"referent_13"},
    (Action.LIRE_NOTES, "rencontre_93"): _READERS_93,
    (Action.LIRE_NOTES, "rencontre_93_tilleuls"): _READERS_93,
    (Action.LIRE_NOTES, "rencontre_13"): _READERS_13,
    (Action.PUBLIER_DOCUMENT, "rencontre_93"): {"referent_93"},
    (Action.PUBLIER_DOCUMENT, "rencontre_93_tilleuls"): {"referent_93"},
    (Action.PUBLIER_DOCUMENT, "rencontre_13"): {"referent_13"},
    (Action.SUPPRIMER_RENCONTRE, "rencontre_93"): {"admin"},
    (Action.SUPPRIMER_RENCONTRE, "rencontre_93_tilleuls"): {"admin"},
    (Action.SUPPRIMER_RENCONTRE, "rencontre_13"): {"admin"},
    (Action.INVITER_ORGANISATEUR, "dep_93"): {"referent_93", "admin"},
    (Action.INVITER_ORGANISATEUR, "dep_13"): {"referent_13", "admin"},
    (Action.ECRIRE_ENGAGEMENTS, "dep_93"): {"referent_93", "prefet_11"},
    (Action.ECRIRE_ENGAGEMENTS, "dep_13"): {"referent_13", "prefet_93"},
    (Action.REDIGER_SYNTHESE, "dep_93"): {"referent_93"},
    (Action.REDIGER_SYNTHESE, "dep_13"): {"referent_13"},
    (Action.INSTRUIRE_SYNTHESE, "dep_93"): {"prefet_11"},
    (Action.INSTRUIRE_SYNTHESE, "dep_13"): {"prefet_93"},
    (Action.CODER_TEXTES, "national"): {"commission", "admin"},
    (Action.ADMINISTRER, "national"): {"admin"},
    (Action.OUVRIR_ECRAN, "ecran_accueil"): _EVERYONE,
    (Action.OUVRIR_ECRAN, "ecran_rencontres"): _EVERYONE,
    (Action.OUVRIR_ECRAN, "ecran_agenda"): _AGENTS,
    (Action.OUVRIR_ECRAN, "ecran_mon_departement"): {"referent_93", "referent_13"},
    (Action.OUVRIR_ECRAN, "ecran_ma_region"): {"prefet_11", "prefet_93"},
    (Action.OUVRIR_ECRAN, "ecran_national"): {"commission", "admin"},
    (Action.OUVRIR_ECRAN, "ecran_priorites"): _AGENTS,
    (Action.OUVRIR_ECRAN, "ecran_excel"): _EVERYONE,
    (Action.OUVRIR_ECRAN, "ecran_administration"): {"admin"},
    (Action.OUVRIR_ECRAN, "ecran_syntheses"): {"prefet_11", "prefet_93", "commission", "admin"},
    (Action.OUVRIR_ECRAN, "ecran_questionnaire"): {"admin"},
    (Action.OUVRIR_ECRAN, "ecran_codage"): {"commission", "admin"},
    (Action.OUVRIR_ECRAN, "ecran_restitution"): _EVERYONE,
}
SCOPES: dict[str, Scope] = {
    "referent_93": Scope(departement_code="93"),
    "referent_13": Scope(departement_code="13"),
    "prefet_11": Scope(region_code="11"),
    "prefet_93": Scope(region_code="93"),
    "commission": FRANCE,
    "admin": FRANCE,
    "organisateur_93": Scope(departement_code="93", organisation=TILLEULS),
    "organisateur_93_autre": Scope(departement_code="93", organisation="Voisins solidaires"),
    "organisateur_13": Scope(departement_code="13", organisation=TILLEULS),
    "anonyme": AUCUN,
}


def test_expected_names_real_actors_and_resources() -> None:
    assert {name for _action, name in EXPECTED} <= set(RESOURCES)
    assert set().union(*EXPECTED.values()) <= set(ACTORS)
    assert set(ECRANS) == set(PAGES), "every screen of the shell has a rule"


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_rule(action: Action, resource: str) -> None:
    granted = {who for who, actor in ACTORS.items() if allowed(actor, action, RESOURCES[resource])}
    assert granted == EXPECTED.get((action, resource), set())


@pytest.mark.parametrize("who", list(ACTORS))
def test_reading_scope_is_a_value(who: str) -> None:
    """`lecture` gives a plain value, the same for two users of the same scope (cache key)."""
    actor = ACTORS[who]
    assert lecture(actor) == SCOPES[who]
    twin = Actor(email="autre@exemple.fr", role=actor.role, **{k: getattr(actor, k) for k in _SCOPE_FIELDS})
    assert lecture(twin) == lecture(actor)
    assert hash(lecture(twin)) == hash(lecture(actor))
    assert lecture(lecture(actor)) == lecture(actor)
    readable = {code for code in ("93", "13") if lecture(actor).lit(code)}
    assert readable == {code for code in ("93", "13") if allowed(actor, Action.LIRE, DepartementCible(code))}


_SCOPE_FIELDS = ("departement_code", "region_code", "organisation")


QPV_CSV = "code_qp;lib_qp;insee_com;lib_com\nQN09301M;Cité A;93001;Aubervilliers\nQN01301M;Cité B;13055;Marseille\n"
PDF = pdf_document()
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "depot"
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(folder))
    return folder


def _nothing(_session: Session) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Operation:
    name: str
    action: Action
    resource: Resource | Callable[[Actor], Resource]  # a callable: the resource depends on who acts
    run: Callable[[Session, Actor, dict[str, Any]], object]
    prepare: Callable[[Session], dict[str, Any]] = field(default=_nothing)
    write: bool = True  # False: a read, allowed ones return `expected` and leave no trace
    expected: Callable[[object], bool] = field(default=lambda _result: True)


def _answers_the_pdf(result: object) -> bool:
    """The reads of a stored file answer (row, content): the content is the PDF stored."""
    return isinstance(result, tuple) and result[1] == PDF


def _a_user(session: Session) -> dict[str, Any]:
    user = add_user(session, actor=SYSTEM, email="cible@nord.gouv.fr", role="referent", departement_code="59")
    return {"user_id": user.id}


def _campaign_edit(session: Session, actor: Actor, _ctx: dict[str, Any]) -> object:
    campaign = active_campaign(session)
    fields = campaign.model_dump(exclude={"id", "version", "geographie", "active"})
    fields["rencontres_echeance"] = dt.date(2023, 8, 31)
    return update_campaign(session, actor=actor, campaign_id=stored_id(campaign), version=campaign.version, **fields)


def _qpv(session: Session) -> dict[str, Any]:
    factories.qpv(session, "QN09301A", "93")
    factories.qpv(session, "QN01301A", "13")
    return {}


def _rencontre_93(statut: str) -> Callable[[Session], dict[str, Any]]:
    def prepare(session: Session) -> dict[str, Any]:
        _qpv(session)
        day = TODAY - dt.timedelta(days=10) if statut == "tenue" else TODAY + dt.timedelta(days=10)
        row = factories.rencontre(session, departement="93", date=day, qpv=["QN09301A"], statut=statut)
        return {"rencontre_id": row.id, "version": row.version}

    return prepare


def _rencontre_tilleuls(etat: str) -> Callable[[Session], dict[str, Any]]:
    """A held meeting of the 93 filed by the organisation of `organisateur_93`."""

    def prepare(session: Session) -> dict[str, Any]:
        context = _rencontre_93("tenue")(session)
        row = session.get(Rencontre, context["rencontre_id"])
        assert row is not None
        row.organisation, row.validation = TILLEULS, etat
        session.add(row)
        return context

    return prepare


def _document_93(session: Session) -> dict[str, Any]:
    context = _rencontre_93("tenue")(session)
    digest = hashlib.sha256(PDF).hexdigest()
    upload_dir().mkdir(parents=True, exist_ok=True)
    (upload_dir() / digest).write_bytes(PDF)
    document = Document(
        rencontre_id=context["rencontre_id"],
        nom_fichier="cr.pdf",
        type_mime="application/pdf",
        taille=len(PDF),
        sha256=digest,
    )
    session.add(document)
    session.flush()
    return {**context, "document_id": document.id}


def _published_document_93(session: Session) -> dict[str, Any]:
    context = _document_93(session)
    document = session.get(Document, context["document_id"])
    assert document is not None
    document.publie_le = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)
    session.add(document)
    return context


ENGAGEMENT = {"titre": "Médiateurs de nuit", "statut": "prevu", "themes": ["securite"], "qpv_codes": ["QN09301A"]}


def _engagement_93(session: Session) -> dict[str, Any]:
    _qpv(session)
    row = Engagement(
        campaign_id=stored_id(active_campaign(session)), departement_code="93", titre="Médiateurs", version=1
    )
    session.add(row)
    session.flush()
    return {"engagement_id": row.id}


def _synthese_version_93(session: Session) -> dict[str, Any]:
    from tests.test_restitution import _synthese_version

    return {"synthese_id": _synthese_version(session, PDF)}


def _synthese_93(**dates: dt.date) -> Callable[[Session], dict[str, Any]]:
    """The synthèse of the 93 with the steps before the one tried already recorded."""

    def prepare(session: Session) -> dict[str, Any]:
        statut = "transmise_commission" if "transmise_commission_le" in dates else "transmise_region"
        row = SyntheseDepartementale(
            campaign_id=stored_id(active_campaign(session)),
            departement_code="93",
            statut=statut,
            version=1,
        )
        for name, day in dates.items():  # the dates of the steps already recorded
            setattr(row, name, day)
        session.add(row)
        if dates.get("transmise_region_le"):  # the file the département transmitted (forwarding carries it)
            session.add(SyntheseDocument(
                campaign_id=row.campaign_id, departement_code="93", numero=1, nom_fichier="synthese.pdf",
                type_mime="application/pdf", taille=10, sha256="0" * 64,
                transmis_region_le=dates["transmise_region_le"],
                transmis_commission_le=dates.get("transmise_commission_le"),
            ))  # fmt: skip
        session.flush()
        return {"version": row.version}

    return prepare


def _create_rencontre(session: Session, actor: Actor, _ctx: dict[str, Any]) -> object:
    data: SaisieRencontre = {
        "departement_code": "93",
        "statut": "tenue",
        "date": TODAY - dt.timedelta(days=3),
        "lieu": "Maison de quartier",
        "perimetre": "quartier",
        "qpv_codes": ["QN09301A"],
        "type_lieu": "centre_social",
        "format": "reunion_publique",
        "participants": 12,
    }
    return create_rencontre(session, actor=actor, data=data)


def _synthese_document_93(session: Session) -> dict[str, Any]:
    """A version of the 93's synthesis transmitted to the préfecture de région (not yet further)."""
    digest = hashlib.sha256(PDF).hexdigest()
    upload_dir().mkdir(parents=True, exist_ok=True)
    (upload_dir() / digest).write_bytes(PDF)
    document = SyntheseDocument(
        campaign_id=stored_id(active_campaign(session)),
        departement_code="93",
        numero=1,
        nom_fichier="synthese.pdf",
        type_mime="application/pdf",
        taille=len(PDF),
        sha256=digest,
        transmis_region_le=dt.date(2023, 8, 20),
    )
    session.add(document)
    session.flush()
    return {"document_id": document.id}


def _step(etape: str, day: dt.date) -> Callable[[Session, Actor, dict[str, Any]], object]:
    return lambda s, a, c: enregistrer_etape(
        s, actor=a, departement_code="93", etape=etape, date=day, version=c.get("version", 0)
    )


OPERATIONS: list[Operation] = [
    Operation(
        "import_qpv",
        Action.ADMINISTRER,
        NATIONAL,
        lambda s, a, _c: import_qpv(s, actor=a, content=QPV_CSV.encode(), filename="qpv.csv", geographie="2024"),
    ),
    Operation("load_demo", Action.ADMINISTRER, NATIONAL, lambda s, a, _c: load_demo(s, actor=a, seed=7)),
    Operation(
        "add_user",
        Action.ADMINISTRER,
        NATIONAL,
        lambda s, a, _c: add_user(s, actor=a, email="nouveau@anct.gouv.fr", role="commission"),
    ),
    Operation(
        "update_user",
        Action.ADMINISTRER,
        NATIONAL,
        lambda s, a, c: update_user(s, actor=a, user_id=c["user_id"], role="prefet_region", region_code="32"),
        _a_user,
    ),
    Operation(
        "disable_user",
        Action.ADMINISTRER,
        NATIONAL,
        lambda s, a, c: set_user_active(s, actor=a, user_id=c["user_id"], actif=False),
        _a_user,
    ),
    Operation("update_campaign", Action.ADMINISTRER, NATIONAL, _campaign_edit),
    Operation(
        "create_rencontre",
        Action.ECRIRE_RENCONTRE,
        lambda actor: RencontreCible("93", actor.organisation),  # a new meeting of the 93, filed by whoever acts
        _create_rencontre,
        _qpv,
    ),
    Operation(
        "update_rencontre",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93"),
        lambda s, a, c: update_rencontre(
            s, actor=a, rencontre_id=c["rencontre_id"], version=c["version"], data={"participants": 25}
        ),
        _rencontre_93("tenue"),
    ),
    Operation(
        "cancel_rencontre",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93"),
        lambda s, a, c: cancel_rencontre(
            s, actor=a, rencontre_id=c["rencontre_id"], version=c["version"], motif="Salle indisponible"
        ),
        _rencontre_93("prevue"),
    ),
    # Deletion belongs to the administrator (rights table); the référent cancels instead.
    Operation(
        "delete_rencontre",
        Action.SUPPRIMER_RENCONTRE,
        RencontreCible("93"),
        lambda s, a, c: delete_rencontre(s, actor=a, rencontre_id=c["rencontre_id"]),
        _rencontre_93("tenue"),
    ),
    Operation(
        "replace_contributions",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93"),
        lambda s, a, c: replace_contributions(
            s,
            actor=a,
            rencontre_id=c["rencontre_id"],
            rows=[{"axe": "changements", "theme": "education", "texte": "Plus de soutien scolaire", "rang": 1}],
        ),
        _rencontre_93("tenue"),
    ),
    Operation(
        "update_rencontre_declaree",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93", TILLEULS),
        lambda s, a, c: update_rencontre(
            s, actor=a, rencontre_id=c["rencontre_id"], version=c["version"], data={"participants": 25}
        ),
        _rencontre_tilleuls("validee"),
    ),
    Operation(
        "replace_contributions_declaree",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93", TILLEULS),
        lambda s, a, c: replace_contributions(
            s,
            actor=a,
            rencontre_id=c["rencontre_id"],
            rows=[{"axe": "changements", "theme": "education", "texte": "Soutien scolaire", "rang": 1}],
        ),
        _rencontre_tilleuls("a_valider"),
    ),
    Operation(
        "add_document_declaree",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93", TILLEULS),
        lambda s, a, c: add_document(s, actor=a, rencontre_id=c["rencontre_id"], filename="cr.pdf", content=PDF),
        _rencontre_tilleuls("a_valider"),
    ),
    Operation(
        "valider_declaration",
        Action.VALIDER_RENCONTRE,
        RencontreCible("93", TILLEULS),
        lambda s, a, c: validation.valider(s, actor=a, rencontre_id=c["rencontre_id"], version=c["version"]),
        _rencontre_tilleuls("a_valider"),
    ),
    Operation(
        "renvoyer_declaration",
        Action.VALIDER_RENCONTRE,
        RencontreCible("93", TILLEULS),
        lambda s, a, c: validation.renvoyer(
            s, actor=a, rencontre_id=c["rencontre_id"], version=c["version"], commentaire="Heure ?"
        ),
        _rencontre_tilleuls("a_valider"),
    ),
    Operation(
        "inviter_organisateur",
        Action.INVITER_ORGANISATEUR,
        DepartementCible("93"),
        lambda s, a, _c: add_user(
            s,
            actor=a,
            email="accueil@maison.example.org",
            role="organisateur",
            departement_code="93",
            organisation="Maison de quartier",
        ),
    ),
    Operation(
        "add_document",
        Action.ECRIRE_RENCONTRE,
        RencontreCible("93"),
        lambda s, a, c: add_document(s, actor=a, rencontre_id=c["rencontre_id"], filename="cr.pdf", content=PDF),
        _rencontre_93("tenue"),
    ),
    Operation(
        "read_document",
        Action.LIRE,
        RencontreCible("93"),
        lambda s, a, c: read_document(s, actor=a, document_id=c["document_id"]),
        _document_93,
        write=False,
        expected=_answers_the_pdf,
    ),
    Operation(
        "publier_document",
        Action.PUBLIER_DOCUMENT,
        RencontreCible("93"),
        lambda s, a, c: publier_document(s, actor=a, document_id=c["document_id"]),
        _document_93,
    ),
    Operation(
        "retirer_document",
        Action.PUBLIER_DOCUMENT,
        RencontreCible("93"),
        lambda s, a, c: retirer_document(s, actor=a, document_id=c["document_id"]),
        _published_document_93,
    ),
    Operation(
        "publier_synthese",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        lambda s, a, c: publier_synthese(s, actor=a, document_id=c["synthese_id"]),
        _synthese_version_93,
    ),
    Operation(
        "create_engagement",
        Action.ECRIRE_ENGAGEMENTS,
        DepartementCible("93"),
        lambda s, a, _c: create_engagement(s, actor=a, departement_code="93", data=ENGAGEMENT),
        _qpv,
    ),
    Operation(
        "update_engagement",
        Action.ECRIRE_ENGAGEMENTS,
        DepartementCible("93"),
        lambda s, a, c: update_engagement(
            s, actor=a, engagement_id=c["engagement_id"], version=1, data={**ENGAGEMENT, "statut": "engage"}
        ),
        _engagement_93,
    ),
    Operation(
        "synthese_transmise_region",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        _step("transmise_region", dt.date(2023, 8, 20)),
    ),
    Operation(
        "synthese_transmise_commission",
        Action.INSTRUIRE_SYNTHESE,
        DepartementCible("93"),
        _step("transmise_commission", dt.date(2023, 8, 30)),
        _synthese_93(transmise_region_le=dt.date(2023, 8, 20)),
    ),
    Operation(
        "synthese_restituee",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        _step("restituee", dt.date(2023, 10, 15)),
        _synthese_93(transmise_region_le=dt.date(2023, 8, 20), transmise_commission_le=dt.date(2023, 8, 30)),
    ),
    Operation(
        "synthese_depot_version",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        lambda s, a, _c: deposer_version(s, actor=a, departement_code="93", filename="synthese.pdf", content=PDF),
    ),
    Operation(
        "synthese_textes",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        lambda s, a, _c: enregistrer_textes(
            s, actor=a, departement_code="93", enseignements="Texte", vigilance="", motifs={}, version=0
        ),
    ),
    Operation(
        "signataire",
        Action.REDIGER_SYNTHESE,
        DepartementCible("93"),
        lambda s, a, _c: enregistrer_signataire(
            s, actor=a, departement_code="93", nom="Jacques Witkowski", titre="Le préfet", version=0
        ),
    ),
    Operation(
        "synthese_renvoyee",
        Action.INSTRUIRE_SYNTHESE,
        DepartementCible("93"),
        lambda s, a, c: renvoyer(s, actor=a, departement_code="93", commentaire="À reprendre", version=c["version"]),
        _synthese_93(transmise_region_le=dt.date(2023, 8, 20)),
    ),
    Operation(
        "synthese_lire_version_transmise_a_la_region",
        Action.LIRE,
        VersionCible("93", transmise_region=True),
        lambda s, a, c: lire_version(s, actor=a, document_id=c["document_id"]),
        _synthese_document_93,
        write=False,
        expected=_answers_the_pdf,
    ),
]


def _resource(operation: Operation, actor: Actor) -> Resource:
    return operation.resource(actor) if callable(operation.resource) else operation.resource


# SQL of the fingerprint, compiled once per dialect. Each test has its own engine, so
# SQLAlchemy's compiled cache (per engine) is always cold: compiling these selects for every
# call was more than half of this module's time.
_FINGERPRINT_SQL: dict[str, list[tuple[str, str]]] = {}


def _fingerprint_sql(engine: Engine) -> list[tuple[str, str]]:
    dialect = engine.dialect
    if dialect.name not in _FINGERPRINT_SQL:
        _FINGERPRINT_SQL[dialect.name] = [
            (table.name, str(select(table).order_by(*table.primary_key.columns).compile(dialect=dialect)))
            for table in SQLModel.metadata.sorted_tables
        ]
    return _FINGERPRINT_SQL[dialect.name]


def _fingerprint(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (the matrix databases are small),
    as the driver returns it, and every stored upload."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name, sql in _fingerprint_sql(engine):
            out[name] = [tuple(row) for row in connection.exec_driver_sql(sql)]
    folder = upload_dir()
    out["<uploads>"] = sorted((p.name, p.read_bytes()) for p in folder.iterdir()) if folder.exists() else []
    return out


def _events_by(engine: Engine, email: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.acteur) == email)
        ).scalar_one()


@pytest.mark.parametrize("who", list(ACTORS))
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_service_asks_the_rule(engine: Engine, operation: Operation, who: str) -> None:
    actor = ACTORS[who]
    with session_scope(engine) as session:
        context = operation.prepare(session)
    events_before = _events_by(engine, actor.email)
    with Session(engine, expire_on_commit=False) as session:
        if allowed(actor, operation.action, _resource(operation, actor)) and not operation.write:
            before = _fingerprint(engine)
            result = operation.run(session, actor, context)
            session.commit()
            assert operation.expected(result), f"{operation.name} by {who}: wrong result"
            assert _fingerprint(engine) == before, f"{operation.name} by {who}: a read changed something"
            return
        if allowed(actor, operation.action, _resource(operation, actor)):
            result = operation.run(session, actor, context)
            session.commit()
            assert operation.expected(result)
            assert _events_by(engine, actor.email) > events_before, f"{operation.name} by {who}: not audited"
            return
        before = _fingerprint(engine)
        with pytest.raises(PermissionRefusee) as refused:
            operation.run(session, actor, context)
        session.commit()  # a careless caller commits anyway: there must be nothing to commit
    assert str(refused.value), "the refusal explains itself in French"
    assert _fingerprint(engine) == before, f"{operation.name} refused for {who} but something changed"


def test_services_write_where_the_context_says(engine: Engine) -> None:
    """The matrix rows are real: the référent's writes land on the rencontre and synthèse of the 93."""
    actor = ACTORS["referent_93"]
    with session_scope(engine) as session:
        context = _rencontre_93("prevue")(session)
    with session_scope(engine) as session:
        cancel_rencontre(
            session, actor=actor, rencontre_id=context["rencontre_id"], version=context["version"], motif="Grève"
        )
        _step("transmise_region", dt.date(2023, 8, 20))(session, actor, {})
    with Session(engine) as session:
        rencontre = session.get(Rencontre, context["rencontre_id"])
        assert rencontre is not None
        assert rencontre.statut == "annulee"
        assert rencontre.motif_annulation == "Grève"
        synthese = session.scalars(select(SyntheseDepartementale)).one()
        assert (synthese.departement_code, synthese.transmise_region_le) == ("93", dt.date(2023, 8, 20))
