"""Reading the audit trail: filter by user, entity and date; one page at a time; CSV export.

Filtering, counting and paging run in SQL (the table grows with every write). Dates are
French calendar days (Europe/Paris); timestamps are stored in UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.formatting import fr_date
from q2030.frontieres import JsonValeur
from q2030.models import AuditEvent
from q2030.nomenclature import (
    ACCESSIBILITE,
    FORMATS,
    ORGANISATEURS,
    PERIMETRES,
    ROLES,
    STATUTS_RENCONTRE,
    STATUTS_SYNTHESE_DEPARTEMENTALE,
    TYPES_LIEU,
)
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.rencontres.saisie import LABELS as RENCONTRE_LABELS
from q2030.safe_text import csv_cell

PARIS = ZoneInfo("Europe/Paris")
PAGE_SIZE = 50
COLUMNS = ["Horodatage", "Utilisateur", "Action", "Entité", "Identifiant", "Avant", "Après"]
REFUS = "Seul un administrateur peut consulter le journal d'audit."
# French wording of every code of AuditEvent.action / .entite (mypy checks the codes written;
# tests/test_audit_log.py that each has its words here).
ACTIONS: dict[str, str] = {
    "creation": "Création",
    "modification": "Modification",
    "suppression": "Suppression",
    "annulation": "Annulation",
    "activation": "Activation",
    "desactivation": "Désactivation",
    "contributions": "Saisie des contributions",
    "depot_document": "Dépôt de document",
    "import": "Import",
    "demo": "Chargement de la démonstration",
    "invitation": "Invitation",
    "envoi": "Envoi des relances",
    "validation": "Validation de la rencontre",
    "renvoi_organisateur": "Renvoi à l'organisateur",
    "refus_doublon": "Refus (doublon)",
    "publication_document": "Publication du document",
    "retrait_document": "Retrait de la publication du document",
    "publication_synthese": "Publication de la synthèse",
    "retrait_synthese": "Retrait de la publication de la synthèse",
    "transmise_region": "Transmission à la préfecture de région",
    "transmise_commission": "Transmission à la commission et à l'ANCT",
    "restituee": "Restitution publique",
    "renvoyee": "Renvoi de la synthèse au département",
    "fichier_indisponible": "Fichier publié indisponible (absent ou altéré sur le disque)",
    "depot_synthese": "Dépôt de la synthèse",
    "textes_synthese": "Textes de la synthèse",
    "creation_engagement": "Création d'engagement",
    "modification_engagement": "Modification d'engagement",
    "codage": "Codage d'un texte libre",
    "correction": "Correction du codage",
    "entrainement": "Entraînement du modèle de codage",
}
ENTITES: dict[str, str] = {
    "rencontre": "Rencontre",
    "document": "Document",
    "qpv": "Quartiers (QPV)",
    "campagne": "Campagne",
    "utilisateur": "Utilisateur",
    "synthese_departementale": "Synthèse départementale",
    "synthese_document": "Document de synthèse",
    "synthese_texte": "Textes de la synthèse",
    "engagement": "Engagement",
    "questionnaire": "Questionnaire en ligne",
    "correspondance_questionnaire": "Correspondance des colonnes du questionnaire",
    "modele_codage": "Modèle de codage",
    "texte_libre": "Texte libre",
    "relances": "Relances",
    "signataire": "Signataire",
}
# Field names of the snapshots in words (rencontre fields come from the form's labels).
FIELDS: dict[str, str] = {
    **RENCONTRE_LABELS,
    "departement_code": "Département",
    "region_code": "Région",
    "campaign_id": "Campagne",
    "version": "Version",
    "transmise_region_le": "Transmise à la préfecture de région le",
    "transmise_commission_le": "Transmise à la commission le",
    "restitution_le": "Restitution le",
    "renvoyee_le": "Renvoyée le",
    "motif": "Motif",
    "motif_annulation": "Motif d'annulation",
    "nom": "Nom",
    "email": "Adresse électronique",
    "role": "Rôle",
    "actif": "Actif",
    "nom_fichier": "Fichier",
    "cree_le": "Créé le",
    "modifie_le": "Modifié le",
    "depose_le": "Déposé le",
    "depose_par": "Déposé par",
}
# Stored codes shown in words, by field (a code alone, such as "transmise_region", means nothing to a reader).
CODES: dict[str, dict[str, str]] = {
    "statut": {**STATUTS_RENCONTRE, **STATUTS_SYNTHESE_DEPARTEMENTALE},
    "perimetre": PERIMETRES,
    "format": FORMATS,
    "type_lieu": TYPES_LIEU,
    "role": ROLES,
    "organisateurs": ORGANISATEURS,
    "accessibilite": ACCESSIBILITE,
    "departement_code": {code: f"{nom} ({code})" for code, (nom, _region) in DEPARTEMENTS.items()},
    "region_code": REGIONS,
}
SUMMARY_LIMIT = 300  # characters of the "champ : valeur" text shown in the table


@dataclass(frozen=True)
class AuditFilters:
    acteur: str | None = None
    entite: str | None = None
    du: dt.date | None = None  # inclusive, Paris calendar day
    au: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class AuditPage:
    frame: pd.DataFrame
    total: int
    page: int
    pages: int


def _paris_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=PARIS).astimezone(dt.UTC)


_T = TypeVar("_T")


def _filtered(query: SelectOfScalar[_T], filters: AuditFilters) -> SelectOfScalar[_T]:
    if filters.acteur:
        query = query.where(AuditEvent.acteur == filters.acteur)
    if filters.entite:
        query = query.where(AuditEvent.entite == filters.entite)
    if filters.du:
        query = query.where(AuditEvent.horodatage >= _paris_midnight(filters.du))
    if filters.au:
        query = query.where(AuditEvent.horodatage < _paris_midnight(filters.au + dt.timedelta(days=1)))
    return query


def _json(value: dict[str, JsonValeur] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def entite_label(code: str) -> str:
    return ENTITES.get(code, code)


def field_label(name: str) -> str:
    return FIELDS.get(name, name.replace("_", " ").capitalize())


def _value_text(value: object, field: str = "") -> str:
    codes = CODES.get(field)
    if codes is not None:
        if isinstance(value, list):
            return ", ".join(codes.get(str(v), str(v)) for v in value) or "—"
        if isinstance(value, str) and value in codes:
            return codes[value]
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return _json(value)
    if isinstance(value, str) and len(value) >= 10:
        try:  # snapshots store dates as ISO strings
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return fr_date(parsed.date() if len(value) == 10 else parsed)
    return str(value)


def summary(value: dict[str, JsonValeur] | None, other: dict[str, JsonValeur] | None = None) -> str:
    """ "champ : valeur ; …", limited to the fields that differ from `other` when both exist."""
    if not value:
        return ""
    keys = [k for k in value if other is None or other.get(k) != value[k]] or list(value)
    text = " ; ".join(f"{field_label(k)} : {_value_text(value[k], k)}" for k in keys)
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def identifiant(event: AuditEvent) -> str:
    """What the event is about, in words: "Seine-Saint-Denis (93)" for a département's synthesis
    (its row id alone read "94"), "n° 12" for a rencontre."""
    snapshot = event.apres or event.avant or {}
    dep = snapshot.get("departement_code")
    if event.entite.startswith("synthese") and dep in DEPARTEMENTS:
        return f"{DEPARTEMENTS[dep][0]} ({dep})"
    if event.entite == "rencontre" and event.entite_id:
        return f"n° {event.entite_id}"
    return str(event.entite_id)


def _rows(events: list[AuditEvent], *, readable: bool = True) -> pd.DataFrame:
    """Readable "champ : valeur" for the screen; the CSV keeps the exact JSON records."""
    return pd.DataFrame(
        [
            {
                "Horodatage": e.horodatage.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S"),
                "Utilisateur": e.acteur,
                "Action": action_label(e.action),
                "Entité": entite_label(e.entite),
                "Identifiant": identifiant(e) if readable else e.entite_id,
                "Avant": summary(e.avant, e.apres) if readable else _json(e.avant),
                "Après": summary(e.apres, e.avant) if readable else _json(e.apres),
            }
            for e in events
        ],
        columns=COLUMNS,
    )


def filter_options(session: Session, *, actor: Actor) -> tuple[list[str], list[str]]:
    """Distinct users and entities present in the log, for the filter pickers."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    acteurs = session.exec(select(AuditEvent.acteur).distinct().order_by(AuditEvent.acteur)).all()
    entites = session.exec(select(AuditEvent.entite).distinct().order_by(AuditEvent.entite)).all()
    return list(acteurs), list(entites)


def query_audit(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters = AuditFilters(),
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of events, newest first, and the number of matching events."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    total = session.exec(_filtered(select(func.count()).select_from(AuditEvent), filters)).one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    events = session.exec(
        _filtered(select(AuditEvent), filters)
        .order_by(col(AuditEvent.horodatage).desc(), col(AuditEvent.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return AuditPage(frame=_rows(list(events)), total=total, page=page, pages=pages)


def export_audit_csv(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters = AuditFilters(),
    batch: int = 5000,
) -> bytes:
    """Every matching event as CSV (`;`, UTF-8 with BOM: opens as is in French Excel)."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    query = _filtered(select(AuditEvent), filters).order_by(col(AuditEvent.horodatage), col(AuditEvent.id))
    offset = 0
    while True:
        events = session.exec(query.offset(offset).limit(batch)).all()
        if not events:
            break
        for row in _rows(list(events), readable=False).itertuples(index=False):
            writer.writerow([csv_cell(str(v)) for v in row])
        offset += batch
    return ("\ufeff" + out.getvalue()).encode("utf-8")
