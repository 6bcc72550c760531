"""Administration of the campaign: its name and every deadline the app measures against.

Deadlines are data: the next consultation is configured here, never in code. Edits are
checked against the version the administrator opened (two admins, one wins, the other is
told), and dates must follow the consultation's order.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlmodel import Session

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.errors import IntrouvableError, ValidationError
from q2030.formatting import fr_date
from q2030.models import Campaign
from q2030.versioning import check_version, compare_and_set

ENTITE: Final = "campagne"

CONFLIT = "La campagne a été modifiée par quelqu'un d'autre depuis l'ouverture du formulaire : rechargez la page."


def update_campaign(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int,
    version: int,
    nom: str,
    lancement: dt.date,
    rencontres_echeance: dt.date,
    synthese_participants_delai_mois: int,
    synthese_departementale_echeance: dt.date,
    restitution_debut: dt.date,
    restitution_fin: dt.date,
    questionnaire_ouverture: dt.date | None = None,
    questionnaire_fermeture: dt.date | None = None,
) -> Campaign:
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut modifier la campagne.")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise IntrouvableError("Campagne introuvable.")
    check_version(session, campaign, version, entite=ENTITE, conflit=CONFLIT)
    nom = (nom or "").strip()
    errors: dict[str, list[str]] = {}
    if not nom:
        errors["nom"] = ["Le nom de la campagne est obligatoire."]
    elif len(nom) > 200:
        errors["nom"] = ["Le nom ne doit pas dépasser 200 caractères."]
    if rencontres_echeance < lancement:
        errors["rencontres_echeance"] = [
            f"L'échéance des rencontres ({fr_date(rencontres_echeance)}) ne peut précéder "
            f"le lancement ({fr_date(lancement)})."
        ]
    if synthese_departementale_echeance < rencontres_echeance:
        errors["synthese_departementale_echeance"] = [
            f"L'échéance de la synthèse départementale ({fr_date(synthese_departementale_echeance)}) "
            f"ne peut précéder l'échéance des rencontres ({fr_date(rencontres_echeance)})."
        ]
    if restitution_debut > restitution_fin:
        errors["restitution_fin"] = ["La fin de la période de restitution ne peut précéder son début."]
    if questionnaire_ouverture and questionnaire_fermeture and questionnaire_ouverture > questionnaire_fermeture:
        errors["questionnaire_fermeture"] = ["La fermeture du questionnaire ne peut précéder son ouverture."]
    if not isinstance(synthese_participants_delai_mois, int) or synthese_participants_delai_mois < 0:
        errors["synthese_participants_delai_mois"] = [
            "Le délai d'envoi de la synthèse aux participants doit être positif ou nul (en mois)."
        ]
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(campaign)
    # Compare-and-set: the version the administrator opened must still be the stored one.
    compare_and_set(
        session,
        Campaign,
        row_id=campaign_id,
        version=version,
        entite=ENTITE,
        conflit=CONFLIT,
        values={
            "nom": nom,
            "lancement": lancement,
            "rencontres_echeance": rencontres_echeance,
            "synthese_participants_delai_mois": synthese_participants_delai_mois,
            "synthese_departementale_echeance": synthese_departementale_echeance,
            "restitution_debut": restitution_debut,
            "restitution_fin": restitution_fin,
            "questionnaire_ouverture": questionnaire_ouverture,
            "questionnaire_fermeture": questionnaire_fermeture,
        },
    )
    session.refresh(campaign)
    audit.record(
        session,
        actor=actor,
        action="modification",
        entite=ENTITE,
        entite_id=campaign.id or "",
        avant=before,
        apres=audit.snapshot(campaign),
    )
    return campaign
