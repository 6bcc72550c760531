"""A rencontre as the access rule sees it (`cible`), finding its row, and who reads it."""

from __future__ import annotations

from sqlmodel import Session

from q2030.access import Action, Actor, Lecteur, RencontreCible, exiger, require_read_departement
from q2030.errors import IntrouvableError
from q2030.models import Rencontre


def cible(rencontre: Rencontre) -> RencontreCible:
    """The rencontre as the access rule sees it."""
    return RencontreCible(rencontre.departement_code, getattr(rencontre, "organisation", None))


def find_rencontre(session: Session, rencontre_id: int | None) -> Rencontre:
    """The rencontre's row, or IntrouvableError (no right is checked: callers do)."""
    rencontre = session.get(Rencontre, rencontre_id) if rencontre_id is not None else None
    if rencontre is None:
        raise IntrouvableError(f"La rencontre n° {rencontre_id} n'existe pas (ou plus).")
    return rencontre


def require_read(session: Session, actor: Lecteur, departement_code: str) -> None:
    """The actor reads the rencontres of this département (access.require_read_departement)."""
    require_read_departement(actor, departement_code, "Vous n'avez pas accès aux rencontres de ce département.")


def require_read_rencontre(actor: Actor, rencontre: Rencontre) -> None:
    """The actor reads this rencontre: a reader of its département, or its own organiser."""
    exiger(actor, Action.LIRE, cible(rencontre), "Vous n'avez pas accès à cette rencontre.")
