"""The synthèse départementale chain, one row per département and campaign.

brouillon -> transmise à la préfecture de région (date) -> transmise à la commission et à
l'ANCT (date, due campaign.synthese_departementale_echeance) -> restitution publique (date,
expected within restitution_debut..restitution_fin).

The référent records the first and last steps for its département; the préfecture de
région records the transmission to the commission for the départements of its région.
Each write is validated (dates in order, none in the future), version-checked and audited.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from q2030 import audit, clock
from q2030.access import Actor, require
from q2030.bootstrap import active_campaign
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.models import SyntheseDepartementale, utcnow
from q2030.nomenclature import STATUTS_SYNTHESE_DEPARTEMENTALE
from q2030.referentiel import DEPARTEMENTS

# Step code -> (column, previous step's column, label of the previous step)
ETAPES: dict[str, tuple[str, str | None, str]] = {
    "transmise_region": ("transmise_region_le", None, ""),
    "transmise_commission": (
        "transmise_commission_le",
        "transmise_region_le",
        "la transmission à la préfecture de région",
    ),
    "restituee": ("restitution_le", "transmise_commission_le", "la transmission à la commission et à l'ANCT"),
}
ORDRE = ["transmise_region_le", "transmise_commission_le", "restitution_le"]
CONFLIT = "La synthèse a été modifiée entre-temps : rechargez la page avant d'enregistrer."


@dataclass(frozen=True)
class SyntheseView:
    """Plain values (cacheable) describing one département's chain."""

    departement_code: str
    statut: str
    transmise_region_le: dt.date | None
    transmise_commission_le: dt.date | None
    restitution_le: dt.date | None
    echeance: dt.date
    restitution_debut: dt.date
    restitution_fin: dt.date
    version: int  # 0 while nothing has been recorded

    @property
    def statut_libelle(self) -> str:
        return STATUTS_SYNTHESE_DEPARTEMENTALE[self.statut]

    @property
    def transmise_en_retard(self) -> bool:
        return self.transmise_commission_le is not None and self.transmise_commission_le > self.echeance

    @property
    def restitution_dans_fenetre(self) -> bool | None:
        if self.restitution_le is None:
            return None
        return self.restitution_debut <= self.restitution_le <= self.restitution_fin


def peut_enregistrer(actor: Actor, departement_code: str, etape: str) -> bool:
    if etape == "transmise_commission":
        return actor.role == "prefet_region" and actor.region_code == DEPARTEMENTS[departement_code][1]
    return actor.role == "referent" and actor.departement_code == departement_code


def _row(session: Session, campaign_id: int, departement_code: str) -> SyntheseDepartementale | None:
    return session.exec(
        select(SyntheseDepartementale).where(
            SyntheseDepartementale.campaign_id == campaign_id,
            SyntheseDepartementale.departement_code == departement_code,
        )
    ).first()


def _create_row(session: Session, *, campaign_id: int, departement_code: str) -> SyntheseDepartementale:
    """The département's row at version 0 (nothing recorded yet), created once.

    Two first saves at once: the second insert hits the unique (campaign, département)
    constraint inside a savepoint and reuses the row; the compare-and-set then refuses it."""
    try:
        with session.begin_nested():
            row = SyntheseDepartementale(campaign_id=campaign_id, departement_code=departement_code, version=0)
            session.add(row)
    except IntegrityError:
        existing = _row(session, campaign_id, departement_code)
        if existing is None:
            raise
        return existing
    return row


def synthese_departementale(session: Session, *, actor: Actor, departement_code: str) -> SyntheseView:
    if departement_code not in DEPARTEMENTS:
        raise ValidationError({"departement_code": [f"Département inconnu : {departement_code}."]})
    region = DEPARTEMENTS[departement_code][1]
    require(
        actor.is_national
        or (actor.role == "prefet_region" and actor.region_code == region)
        or (actor.role == "referent" and actor.departement_code == departement_code),
        "Vous ne pouvez consulter que les synthèses de votre périmètre.",
    )
    campaign = active_campaign(session)
    row = _row(session, campaign.id, departement_code)  # type: ignore[arg-type]
    return SyntheseView(
        departement_code=departement_code,
        statut=row.statut if row else "brouillon",
        transmise_region_le=row.transmise_region_le if row else None,
        transmise_commission_le=row.transmise_commission_le if row else None,
        restitution_le=row.restitution_le if row else None,
        echeance=campaign.synthese_departementale_echeance,
        restitution_debut=campaign.restitution_debut,
        restitution_fin=campaign.restitution_fin,
        version=row.version if row else 0,
    )


def enregistrer_etape(
    session: Session,
    *,
    actor: Actor,
    departement_code: str,
    etape: str,
    date: dt.date | None,
    version: int,
    aujourd_hui: dt.date | None = None,
) -> SyntheseView:
    """Record (or correct) the date of a step. `version` is the one the user saw (0 if none)."""
    if etape not in ETAPES:
        raise ValidationError({"etape": [f"Étape inconnue : {etape}."]})
    if departement_code not in DEPARTEMENTS:
        raise ValidationError({"departement_code": [f"Département inconnu : {departement_code}."]})
    require(
        peut_enregistrer(actor, departement_code, etape),
        "La transmission à la commission est enregistrée par la préfecture de région ; "
        "les autres étapes par le référent du département."
        if etape == "transmise_commission" or actor.role != "referent"
        else "Vous ne pouvez enregistrer que les étapes de votre département.",
    )
    campaign = active_campaign(session)
    today = aujourd_hui or clock.today()
    row = _row(session, campaign.id, departement_code)  # type: ignore[arg-type]
    current_version = row.version if row else 0
    if version != current_version:
        raise ConflitDeVersion(CONFLIT)
    column, previous, previous_label = ETAPES[etape]
    dates = {name: getattr(row, name) if row else None for name in ORDRE}
    errors: list[str] = []
    if date is None:
        errors.append("La date est obligatoire.")
    else:
        if date > today:
            errors.append("La date ne peut pas être dans le futur.")
        if date < campaign.lancement:
            errors.append("La date est antérieure au lancement de la campagne.")
        if previous is not None and dates[previous] is None:
            errors.append(f"Enregistrez d'abord {previous_label}.")
        dates[column] = date
        known = [dates[name] for name in ORDRE if dates[name] is not None]
        if any(earlier > later for earlier, later in itertools.pairwise(known)):
            errors.append("Les dates des étapes doivent se suivre : préfecture de région, commission, restitution.")
    if errors:
        raise ValidationError({"date": errors})
    before = audit.snapshot(row)
    dates[column] = date
    statut = next((step for step, (name, _, _) in reversed(ETAPES.items()) if dates[name] is not None), "brouillon")
    if row is None:
        row = _create_row(session, campaign_id=campaign.id, departement_code=departement_code)  # type: ignore[arg-type]
    # Compare-and-set: two concurrent saves from the same version cannot both pass.
    result = session.exec(  # type: ignore[call-overload]
        update(SyntheseDepartementale)
        .where(SyntheseDepartementale.id == row.id, SyntheseDepartementale.version == version)  # type: ignore[arg-type]
        .values({column: date, "statut": statut, "version": version + 1, "modifie_le": utcnow(),
                 "modifie_par": actor.email})
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:
        raise ConflitDeVersion(CONFLIT)
    session.refresh(row)
    audit.record(
        session,
        actor=actor,
        action=etape,
        entite="synthese_departementale",
        entite_id=row.id or "",
        avant=before,
        apres=audit.snapshot(row),
    )
    return synthese_departementale(session, actor=actor, departement_code=departement_code)
