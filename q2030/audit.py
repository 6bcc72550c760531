"""Audit trail: one AuditEvent per write, in the writer's transaction.

Recording an event also notes what the transaction wrote for its after-write step
(`q2030.apres_ecriture`: read model, data version, public feeds, before the commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

from sqlalchemy import insert
from sqlmodel import Session, SQLModel

from q2030 import apres_ecriture
from q2030.access import Actor
from q2030.frontieres import Json, ObjetJson, ValeurSql
from q2030.models import AuditEvent, utcnow


def snapshot(record: SQLModel | None, exclude: set[str] | None = None) -> ObjetJson | None:
    """JSON-safe dict of a record's columns (dates as ISO strings), in the model's field order.

    Not `model_dump()`: on a row reloaded after a commit, SQLAlchemy refills `__dict__` in
    set order (varies between processes) and an expired row dumps as {}. Reading each
    declared field loads it and gives the same key order everywhere."""
    if record is None:
        return None
    skip = exclude or set()
    fields = type(record).model_fields
    return snapshot_values(type(record), {key: getattr(record, key) for key in fields if key not in skip})


def snapshot_values(model: type[SQLModel], values: Mapping[str, ValeurSql]) -> ObjetJson:
    """`snapshot` of a row given as its column values (a bulk insert's), in the model's field order."""
    out: ObjetJson = {}
    for key in model.model_fields:
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, (dt.date, dt.time, dt.datetime)):
            value = value.isoformat()
        out[key] = value
    return out


# Every code of AuditEvent.action and .entite, checked by mypy at each call; the journal words
# each one in French (q2030.audit_log, and a test that none is missing).
ActionAudit = Literal[
    "creation", "modification", "suppression", "annulation", "activation", "desactivation",
    "contributions", "depot_document", "import", "demo", "invitation", "envoi",
    "validation", "renvoi_organisateur", "refus_doublon",
    "publication_document", "retrait_document", "publication_synthese", "retrait_synthese",
    "transmise_region", "transmise_commission", "restituee", "renvoyee", "fichier_indisponible",
    "depot_synthese", "textes_synthese", "creation_engagement", "modification_engagement",
    "codage", "correction", "entrainement",
]  # fmt: skip
EntiteAudit = Literal[
    "rencontre", "document", "qpv", "campagne", "utilisateur", "synthese_departementale",
    "synthese_document", "synthese_texte", "engagement", "questionnaire", "correspondance_questionnaire",
    "modele_codage", "texte_libre", "relances", "signataire",
]  # fmt: skip


def record(
    session: Session,
    *,
    actor: Actor,
    action: ActionAudit,
    entite: EntiteAudit,
    entite_id: str | int | None = "",
    avant: Mapping[str, Json] | None = None,
    apres: Mapping[str, Json] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        acteur=actor.email,
        action=action,
        entite=entite,
        entite_id="" if entite_id is None else str(entite_id),
        avant=None if avant is None else dict(avant),
        apres=None if apres is None else dict(apres),
    )
    session.add(event)
    apres_ecriture.noter(session, entite=entite, entite_id=entite_id)
    return event


def record_many(
    session: Session,
    *,
    actor: Actor,
    action: ActionAudit,
    entite: EntiteAudit,
    events: Sequence[tuple[str | int | None, Mapping[str, Json] | None, Mapping[str, Json] | None]],
) -> None:
    """`record` for many rows of one entity at once (a bulk write): one INSERT, the same events.

    `events`: (entite_id, avant, apres) per row written."""
    if not events:
        return
    now = utcnow()
    session.execute(
        insert(AuditEvent),
        [
            {
                "horodatage": now,
                "acteur": actor.email,
                "action": action,
                "entite": entite,
                "entite_id": "" if entite_id is None else str(entite_id),
                "avant": avant,
                "apres": apres,
            }
            for entite_id, avant, apres in events
        ],
    )
    for entite_id, _avant, _apres in events:
        apres_ecriture.noter(session, entite=entite, entite_id=entite_id)
