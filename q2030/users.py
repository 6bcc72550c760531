"""Administration of users: who may sign in, with which role and scope.

Only an administrator writes here. A référent has a département, a préfecture de région
a région, national roles (commission, administrateur) no territory at all. Emails are kept
in lower case: the identity provider's case must not create a second account.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, DepartementCible, exiger
from q2030.errors import IntrouvableError, ValidationError
from q2030.models import Departement, Region, User
from q2030.nomenclature import ROLES, Role

EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ENTITE: Final = "utilisateur"
REFUS = "Seul un administrateur peut gérer les utilisateurs."
REFUS_INVITATION = "Seuls le référent du département et un administrateur invitent ses organisateurs locaux."
TYPES_ORGANISATION: dict[str, str] = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "centre_social": "Centre social",
    "association": "Association",
    "conseil_citoyen": "Conseil citoyen",
    "table_de_quartier": "Table de quartier",
    "bailleur": "Bailleur social",
    "autre": "Autre",
}


def list_users(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Every user, with French labels (admin only: emails are personal data)."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    rows = session.exec(select(User).order_by(User.email)).all()
    return pd.DataFrame(
        [
            {
                "id": u.id,
                "Adresse électronique": u.email,
                "Nom": u.nom,
                "Rôle": ROLES.get(u.role, u.role),
                "Département": u.departement_code or "",
                "Région": u.region_code or "",
                "Actif": u.actif,
            }
            for u in rows
        ],
        columns=["id", "Adresse électronique", "Nom", "Rôle", "Département", "Région", "Actif"],
    )


def _validate_scope(
    session: Session, role: str, departement_code: str | None, region_code: str | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"Rôle inconnu « {role} »."]
        return errors
    if role == Role.REFERENT:
        if not departement_code:
            errors["departement_code"] = ["Un référent départemental doit avoir un département."]
        elif session.get(Departement, departement_code) is None:
            errors["departement_code"] = [f"Département inconnu « {departement_code} »."]
        if region_code:
            errors["region_code"] = ["La région d'un référent découle de son département : ne la saisissez pas."]
    elif role == Role.PREFET_REGION:
        if not region_code:
            errors["region_code"] = ["Une préfecture de région doit avoir une région."]
        elif session.get(Region, region_code) is None:
            errors["region_code"] = [f"Région inconnue « {region_code} »."]
        if departement_code:
            errors["departement_code"] = ["Une préfecture de région n'a pas de département."]
    elif role == Role.ORGANISATEUR:
        if not departement_code:
            errors["departement_code"] = ["Un organisateur local est rattaché à un département."]
        elif session.get(Departement, departement_code) is None:
            errors["departement_code"] = [f"Département inconnu « {departement_code} »."]
        if region_code:
            errors["region_code"] = ["La région d'un organisateur découle de son département : ne la saisissez pas."]
    elif departement_code or region_code:
        errors["role"] = [f"Le rôle « {ROLES[role]} » est national : ni département ni région."]
    return errors


def _validate_organisation(role: str, organisation: str, organisation_type: str) -> dict[str, list[str]]:
    if role != Role.ORGANISATEUR:
        return {"organisation": ["Seul un organisateur local a une organisation."]} if organisation else {}
    if not organisation:
        return {"organisation": ["Indiquez l'organisation de l'organisateur (commune, centre social, association…)."]}
    if len(organisation) > 200:
        return {"organisation": ["Le nom de l'organisation ne doit pas dépasser 200 caractères."]}
    if organisation_type and organisation_type not in TYPES_ORGANISATION:
        return {"organisation_type": [f"Type d'organisation inconnu « {organisation_type} »."]}
    return {}


def _require_manage(actor: Actor, role: str, departement_code: str | None) -> None:
    """Administrators manage every account; a référent invites the organisers of its département."""
    if role == Role.ORGANISATEUR and departement_code:
        exiger(actor, Action.INVITER_ORGANISATEUR, DepartementCible(departement_code), REFUS_INVITATION)
    else:
        exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise IntrouvableError("Utilisateur introuvable.")
    return user


def _is_self(actor: Actor, user: User) -> bool:
    return actor.email.strip().lower() == user.email.strip().lower()


def add_user(
    session: Session,
    *,
    actor: Actor,
    email: str,
    role: str,
    nom: str = "",
    departement_code: str | None = None,
    region_code: str | None = None,
    organisation: str = "",
    organisation_type: str = "",
    territoires: list[str] | None = None,
) -> User:
    """Create an account. An organisateur (invited by the référent of its département or an
    administrator) has a département, an organisation and the quartiers or communes it works in."""
    email = (email or "").strip().lower()
    nom = (nom or "").strip()
    departement_code = (departement_code or "").strip().upper() or None
    region_code = (region_code or "").strip() or None
    organisation, organisation_type = (organisation or "").strip(), (organisation_type or "").strip()
    _require_manage(actor, role, departement_code)
    errors: dict[str, list[str]] = {}
    if not EMAIL.match(email) or len(email) > 254:
        errors["email"] = ["Adresse électronique invalide (exemple : prenom.nom@interieur.gouv.fr)."]
    elif session.exec(select(User.id).where(func.lower(User.email) == email)).first() is not None:
        errors["email"] = [f"Un utilisateur existe déjà avec l'adresse {email}."]
    if len(nom) > 200:
        errors["nom"] = ["Le nom ne doit pas dépasser 200 caractères."]
    errors |= _validate_scope(session, role, departement_code, region_code)
    errors |= _validate_organisation(role, organisation, organisation_type)
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        nom=nom,
        role=role,
        departement_code=departement_code,
        region_code=region_code,
        organisation=organisation or None,
        organisation_type=organisation_type,
        territoires=sorted({t.strip().upper() for t in territoires or [] if t.strip()}),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="creation", entite=ENTITE, entite_id=user.id, apres=audit.snapshot(user))
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    role: str,
    nom: str | None = None,
    departement_code: str | None = None,
    region_code: str | None = None,
) -> User:
    """Change role and scope (and name). An administrator cannot demote themself."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    user = _get(session, user_id)
    departement_code = (departement_code or "").strip().upper() or None
    region_code = (region_code or "").strip() or None
    errors = _validate_scope(session, role, departement_code, region_code)
    if _is_self(actor, user) and role != Role.ADMIN:
        errors.setdefault("role", []).append("Vous ne pouvez pas retirer votre propre rôle d'administrateur.")
    if nom is not None and len(nom.strip()) > 200:
        errors["nom"] = ["Le nom ne doit pas dépasser 200 caractères."]
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(user)
    user.role, user.departement_code, user.region_code = role, departement_code, region_code
    if nom is not None:
        user.nom = nom.strip()
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="modification",
        entite=ENTITE,
        entite_id=user.id,
        avant=before,
        apres=audit.snapshot(user),
    )
    return user


def set_user_active(session: Session, *, actor: Actor, user_id: int, actif: bool) -> User:
    """Disable (or re-enable) sign-in; the account and its history stay."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, REFUS)
    user = _get(session, user_id)
    if not actif and _is_self(actor, user):
        raise ValidationError({"actif": ["Vous ne pouvez pas désactiver votre propre compte."]})
    if user.actif == actif:
        return user
    before = audit.snapshot(user)
    user.actif = actif
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="activation" if actif else "desactivation",
        entite=ENTITE,
        entite_id=user.id,
        avant=before,
        apres=audit.snapshot(user),
    )
    return user
