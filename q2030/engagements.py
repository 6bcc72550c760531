"""Engagements: « ce que nous avons fait de votre parole ».

After the consultation, the référent of a département (or the préfecture de région of its
région) records what was committed to: a contrat de ville action, a project... Each
engagement answers one or more themes, concerns zero or more quartiers of the département,
has a status (prévu, engagé, réalisé, abandonné), dates, milestones and a short public
text. Everything in an engagement is public once recorded: the form says so.

Writes are validated (French messages), authorised, versioned (compare-and-set), audited.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pydantic import BaseModel, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from q2030 import audit
from q2030.access import Action, Actor, DepartementCible, exiger
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.errors import IntrouvableError, ValidationError
from q2030.frontieres import ObjetJson, ValeurChamp
from q2030.models import Departement, Engagement, EngagementQpv, EngagementTheme, Qpv, stored_id, utcnow
from q2030.nomenclature import STATUTS_ENGAGEMENT, THEMES, StatutRencontre, theme_label
from q2030.versioning import compare_and_set

MAX_JALONS = 20
COLUMNS = [
    "id",
    "version",
    "departement_code",
    "titre",
    "statut",
    "date_debut",
    "date_fin",
    "themes",
    "quartiers",
    "texte_public",
    "jalons",
]


class EngagementIn(BaseModel):
    """What the form (or any caller) sends; validated before anything is written."""

    titre: str
    texte_public: str = ""
    statut: str = "prevu"
    date_debut: dt.date | None = None
    date_fin: dt.date | None = None
    themes: list[str] = []
    qpv_codes: list[str] = []
    jalons: list[dict[str, ValeurChamp]] = []

    @field_validator("titre", "texte_public", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return " ".join(str(value).split()) if isinstance(value, str) else value


def _errors(data: dict[str, ValeurChamp]) -> tuple[EngagementIn | None, dict[str, list[str]]]:
    try:
        payload = EngagementIn.model_validate(data)
    except PydanticValidationError as error:
        out: dict[str, list[str]] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            out.setdefault(field, []).append(f"Valeur invalide pour « {field} ».")
        return None, out
    errors: dict[str, list[str]] = {}
    _check_fields(payload, errors)
    _check_jalons(payload, errors)
    return payload, errors


def _check_fields(payload: EngagementIn, errors: dict[str, list[str]]) -> None:
    if not payload.titre:
        errors.setdefault("titre", []).append("Donnez un titre à l'engagement.")
    elif len(payload.titre) > 200:
        errors.setdefault("titre", []).append("Le titre fait 200 caractères au plus.")
    if len(payload.texte_public) > 2000:
        errors.setdefault("texte_public", []).append("Le texte public fait 2 000 caractères au plus.")
    if payload.statut not in STATUTS_ENGAGEMENT:
        errors.setdefault("statut", []).append(f"Statut inconnu : {payload.statut}.")
    if not payload.themes:
        errors.setdefault("themes", []).append("Choisissez au moins un thème auquel l'engagement répond.")
    unknown = [t for t in payload.themes if t not in THEMES]
    if unknown:
        errors.setdefault("themes", []).append(f"Thème inconnu : {', '.join(unknown)}.")
    if payload.date_debut and payload.date_fin and payload.date_fin < payload.date_debut:
        errors.setdefault("date_fin", []).append("La date de fin précède la date de début.")


def _check_jalons(payload: EngagementIn, errors: dict[str, list[str]]) -> None:
    if len(payload.jalons) > MAX_JALONS:
        errors.setdefault("jalons", []).append(f"{MAX_JALONS} jalons au plus.")
    for number, jalon in enumerate(payload.jalons, start=1):
        texte = " ".join(str(jalon.get("texte") or "").split())
        day = jalon.get("date")
        if not texte:
            errors.setdefault("jalons", []).append(f"Jalon {number} : décrivez l'étape.")
        elif len(texte) > 300:
            errors.setdefault("jalons", []).append(f"Jalon {number} : 300 caractères au plus.")
        if day is not None and not isinstance(day, dt.date):
            try:
                dt.date.fromisoformat(str(day))
            except ValueError:
                errors.setdefault("jalons", []).append(f"Jalon {number} : date invalide ({day}).")


def _jalons(payload: EngagementIn) -> list[dict[str, str]]:
    out = []
    for jalon in payload.jalons:
        day = jalon.get("date")
        iso = day.isoformat() if isinstance(day, dt.date) else (str(day) if day else "")
        out.append({"date": iso, "texte": " ".join(str(jalon.get("texte") or "").split())})
    return sorted(out, key=lambda j: (j["date"] == "", j["date"]))


def _region_of(session: Session, departement_code: str) -> str:
    departement = session.get(Departement, departement_code)
    if departement is None:
        raise IntrouvableError(f"Département inconnu : {departement_code}.")
    return departement.region_code


def _require_write(session: Session, actor: Actor, departement_code: str) -> None:
    _region_of(session, departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.ECRIRE_ENGAGEMENTS,
        DepartementCible(departement_code),
        "Seuls le référent du département et la préfecture de région enregistrent ses engagements.",
    )


def _check_qpv(session: Session, departement_code: str, codes: list[str], errors: dict[str, list[str]]) -> None:
    if not codes:
        return
    found = set(
        session.exec(
            select(col(Qpv.code)).where(col(Qpv.code).in_(codes), col(Qpv.departement_code) == departement_code)
        )
    )
    missing = [c for c in codes if c not in found]
    if missing:
        errors.setdefault("qpv_codes", []).append(f"Quartier hors du département ou inconnu : {', '.join(missing)}.")


def _snapshot(session: Session, engagement: Engagement) -> ObjetJson:
    out = audit.snapshot(engagement) or {}
    out["themes"] = _themes(session, stored_id(engagement))
    out["qpv"] = _qpv(session, stored_id(engagement))
    return out


def _themes(session: Session, engagement_id: int) -> list[str]:
    return list(
        session.exec(
            select(EngagementTheme.theme)
            .where(EngagementTheme.engagement_id == engagement_id)
            .order_by(EngagementTheme.theme)
        )
    )


def _qpv(session: Session, engagement_id: int) -> list[str]:
    return list(
        session.exec(
            select(EngagementQpv.qpv_code)
            .where(EngagementQpv.engagement_id == engagement_id)
            .order_by(EngagementQpv.qpv_code)
        )
    )


def _write_links(session: Session, engagement_id: int, payload: EngagementIn) -> None:
    session.exec(delete(EngagementTheme).where(col(EngagementTheme.engagement_id) == engagement_id))
    session.exec(delete(EngagementQpv).where(col(EngagementQpv.engagement_id) == engagement_id))
    session.add_all(EngagementTheme(engagement_id=engagement_id, theme=t) for t in dict.fromkeys(payload.themes))
    session.add_all(EngagementQpv(engagement_id=engagement_id, qpv_code=q) for q in dict.fromkeys(payload.qpv_codes))


def create_engagement(
    session: Session, *, actor: Actor, departement_code: str, data: dict[str, ValeurChamp]
) -> Engagement:
    _require_write(session, actor, departement_code)
    payload, errors = _errors(data)
    if payload is not None:
        _check_qpv(session, departement_code, payload.qpv_codes, errors)
    if errors or payload is None:
        raise ValidationError(errors)
    engagement = Engagement(
        campaign_id=stored_id(active_campaign(session)),
        departement_code=departement_code,
        titre=payload.titre,
        texte_public=payload.texte_public,
        statut=payload.statut,
        date_debut=payload.date_debut,
        date_fin=payload.date_fin,
        jalons=_jalons(payload),
        cree_par=actor.email,
        modifie_par=actor.email,
    )
    session.add(engagement)
    session.flush()
    _write_links(session, stored_id(engagement), payload)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="creation_engagement",
        entite="engagement",
        entite_id=engagement.id,
        apres=_snapshot(session, engagement),
    )
    session.flush()
    return engagement


def update_engagement(
    session: Session, *, actor: Actor, engagement_id: int, version: int, data: dict[str, ValeurChamp]
) -> Engagement:
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise IntrouvableError(f"L'engagement n° {engagement_id} n'existe pas (ou plus).")
    _require_write(session, actor, engagement.departement_code)
    payload, errors = _errors(data)
    if payload is not None:
        _check_qpv(session, engagement.departement_code, payload.qpv_codes, errors)
    if errors or payload is None:
        raise ValidationError(errors)
    before = _snapshot(session, engagement)
    engagement.version = compare_and_set(
        session,
        Engagement,
        row_id=engagement_id,
        version=version,
        entite="engagement",
        conflit=f"L'engagement n° {engagement_id} a été modifié par quelqu'un d'autre depuis que vous l'avez ouvert : "
        "rechargez-le, puis reportez-y vos changements.",
    )
    engagement.titre = payload.titre
    engagement.texte_public = payload.texte_public
    engagement.statut = payload.statut
    engagement.date_debut = payload.date_debut
    engagement.date_fin = payload.date_fin
    engagement.jalons = _jalons(payload)
    engagement.modifie_le = utcnow()
    engagement.modifie_par = actor.email
    session.add(engagement)
    _write_links(session, engagement_id, payload)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="modification_engagement",
        entite="engagement",
        entite_id=engagement_id,
        avant=before,
        apres=_snapshot(session, engagement),
    )
    session.flush()
    return engagement


# --- Reads (public: an engagement holds nothing internal) ----------------------------------


def list_engagements(
    session: Session, *, departement_code: str | None = None, qpv_code: str | None = None
) -> pd.DataFrame:
    """Engagements of the active campaign (a département's, or those naming a quartier).

    Public: no author, no e-mail. `themes` and `quartiers` are lists of codes.
    """
    campaign = active_campaign(session)
    query = select(Engagement).where(Engagement.campaign_id == campaign.id)
    if departement_code:
        query = query.where(Engagement.departement_code == departement_code)
    if qpv_code:
        query = query.where(
            col(Engagement.id).in_(select(EngagementQpv.engagement_id).where(EngagementQpv.qpv_code == qpv_code))
        )
    rows = session.exec(query.order_by(col(Engagement.departement_code), col(Engagement.id))).all()
    ids = [stored_id(r) for r in rows]
    themes: dict[int, list[str]] = {i: [] for i in ids}
    quartiers: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for engagement_id, theme in session.exec(
            select(EngagementTheme.engagement_id, EngagementTheme.theme)
            .where(col(EngagementTheme.engagement_id).in_(ids))
            .order_by(EngagementTheme.theme)
        ):
            themes[engagement_id].append(theme)
        for engagement_id, code in session.exec(
            select(EngagementQpv.engagement_id, EngagementQpv.qpv_code)
            .where(col(EngagementQpv.engagement_id).in_(ids))
            .order_by(EngagementQpv.qpv_code)
        ):
            quartiers[engagement_id].append(code)
    records = [
        (
            r.id,
            r.version,
            r.departement_code,
            r.titre,
            r.statut,
            r.date_debut,
            r.date_fin,
            themes[stored_id(r)],
            quartiers[stored_id(r)],
            r.texte_public,
            list(r.jalons or []),
        )
        for r in rows
    ]
    return pd.DataFrame(records, columns=COLUMNS)


def engagements_par_theme(session: Session, *, departement_code: str | None = None) -> pd.DataFrame:
    """How many engagements (not abandoned) answer each theme: theme, engagements (SQL count)."""
    campaign = active_campaign(session)
    query = (
        select(EngagementTheme.theme, func.count(col(EngagementTheme.engagement_id)))
        .join(Engagement, col(Engagement.id) == EngagementTheme.engagement_id)
        .where(Engagement.campaign_id == campaign.id, Engagement.statut != "abandonne")
        .group_by(EngagementTheme.theme)
    )
    if departement_code:
        query = query.where(Engagement.departement_code == departement_code)
    frame = pd.DataFrame([tuple(r) for r in session.exec(query)], columns=["theme", "engagements"])
    return frame.sort_values(["engagements", "theme"], ascending=[False, True]).reset_index(drop=True)


def themes_sans_engagement(session: Session, *, minimum: int = 1) -> pd.DataFrame:
    """National view: themes with at least `minimum` contributions and no engagement (not
    abandoned) answering them, most cited first: theme, libelle, contributions."""
    from q2030.models import Contribution, Rencontre

    campaign = active_campaign(session)
    answered = (
        select(EngagementTheme.theme)
        .join(Engagement, col(Engagement.id) == EngagementTheme.engagement_id)
        .where(Engagement.campaign_id == campaign.id, Engagement.statut != "abandonne")
    )
    query = (
        select(Contribution.theme, func.count(col(Contribution.id)))
        .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
        .where(Rencontre.campaign_id == campaign.id, Rencontre.statut == StatutRencontre.TENUE, compte())
        .where(col(Contribution.theme).not_in(answered))
        .group_by(Contribution.theme)
        .having(func.count(col(Contribution.id)) >= minimum)
    )
    frame = pd.DataFrame([tuple(r) for r in session.exec(query)], columns=["theme", "contributions"])
    frame.insert(1, "libelle", frame["theme"].map(theme_label))
    return frame.sort_values(["contributions", "theme"], ascending=[False, True]).reset_index(drop=True)
