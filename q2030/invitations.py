"""Inviting a local organiser: the account is created and an e-mail gives the sign-in address.

The référent of the département or an administrator invites (the rule of `users.add_user`);
the message goes through the SMTP server of the relances (`Q2030_SMTP_URL`, `Q2030_MAIL_FROM`)
and names the app's address (`Q2030_BASE_URL`). One transaction: when the message cannot be
sent, no account is created and the error says so in French. The invitation is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlmodel import Session, col, select

from q2030 import audit
from q2030.access import Action, Actor, DepartementCible, exiger
from q2030.errors import Q2030Error
from q2030.models import User
from q2030.nomenclature import Role
from q2030.referentiel import DEPARTEMENTS
from q2030.relances_envoi import Expediteur, smtp_config
from q2030.settings import base_url
from q2030.users import ENTITE, REFUS_INVITATION, TYPES_ORGANISATION, add_user

SUJET = "Quartiers 2030 : votre accès d'organisateur local"


def message(user: User, expediteur: str) -> EmailMessage:
    """The invitation: who invites whom for what, and how to sign in (ProConnect)."""
    departement = DEPARTEMENTS.get(user.departement_code or "", (user.departement_code or "", ""))[0]
    msg = EmailMessage()
    msg["From"] = expediteur
    msg["To"] = user.email
    msg["Subject"] = SUJET
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="quartiers2030")
    msg.set_content(
        "Bonjour,\n\n"
        f"La préfecture ({departement}) vous invite à déclarer dans Quartiers 2030 les rencontres "
        f"organisées par {user.organisation} avec les habitants des quartiers prioritaires, puis à y déposer "
        "leurs comptes rendus et les contributions recueillies. Le référent de la préfecture valide chaque "
        "rencontre avant qu'elle compte dans le suivi de la concertation.\n\n"
        f"Adresse de connexion : {base_url()}/\n"
        f"Connectez-vous avec ProConnect, avec cette adresse électronique : {user.email}.\n\n"
        "Si vous n'attendiez pas ce message, vous pouvez l'ignorer : aucun accès n'est ouvert à une autre adresse.\n"
    )
    return msg


def inviter_organisateur(
    session: Session,
    *,
    actor: Actor,
    email: str,
    departement_code: str,
    organisation: str,
    nom: str = "",
    organisation_type: str = "",
    territoires: list[str] | None = None,
) -> User:
    """Create the organiser's account and send the invitation (both or neither)."""
    user = add_user(
        session,
        actor=actor,
        email=email,
        role=Role.ORGANISATEUR,
        nom=nom,
        departement_code=departement_code,
        organisation=organisation,
        organisation_type=organisation_type,
        territoires=territoires,
    )
    config = smtp_config()
    expediteur = Expediteur(config)
    try:
        expediteur.envoyer(message(user, config.expediteur))
    except Exception as error:  # SMTP refused or unreachable: the account is not created
        if isinstance(error, Q2030Error):
            raise
        raise Q2030Error(
            f"L'invitation n'a pas pu être envoyée à {user.email} ({error.__class__.__name__}) : "
            "le compte n'a pas été créé. Réessayez plus tard."
        ) from error
    finally:
        expediteur.fermer()
    audit.record(
        session,
        actor=actor,
        action="invitation",
        entite=ENTITE,
        entite_id=user.id,
        apres={"email": user.email, "organisation": user.organisation, "adresse_connexion": f"{base_url()}/"},
    )
    return user


@dataclass(frozen=True)
class Organisateur:
    """An organiser's account as the référent sees it in Mon département."""

    email: str
    nom: str
    organisation: str
    organisation_type: str
    actif: bool
    cree_le: datetime


def organisateurs(session: Session, *, actor: Actor, departement_code: str) -> list[Organisateur]:
    """The organisers of a département, newest first: only for those who may invite them."""
    exiger(actor, Action.INVITER_ORGANISATEUR, DepartementCible(departement_code), REFUS_INVITATION)
    users = session.exec(
        select(User)
        .where(col(User.role) == Role.ORGANISATEUR, col(User.departement_code) == departement_code)
        .order_by(col(User.cree_le).desc(), col(User.id).desc())
    ).all()
    return [
        Organisateur(
            email=u.email,
            nom=u.nom,
            organisation=u.organisation or "",
            organisation_type=TYPES_ORGANISATION.get(u.organisation_type, ""),
            actif=u.actif,
            cree_le=u.cree_le,
        )
        for u in users
    ]
