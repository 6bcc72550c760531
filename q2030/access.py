"""Who may read and write what. Services call these checks; pages only hide.

The acting user is a plain frozen `Actor` (never an ORM object) so it can be cached,
compared and passed across threads.
"""

from __future__ import annotations

from dataclasses import dataclass

from q2030.errors import PermissionRefusee
from q2030.models import User

SYSTEM_EMAIL = "systeme@q2030"


@dataclass(frozen=True)
class Actor:
    email: str
    role: str  # nomenclature.ROLES
    departement_code: str | None = None
    region_code: str | None = None  # for a référent: the région of its département
    nom: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_national(self) -> bool:
        return self.role in ("commission", "admin")

    @classmethod
    def from_user(cls, user: User, region_code: str | None = None) -> Actor:
        return cls(
            email=user.email,
            role=user.role,
            departement_code=user.departement_code,
            region_code=user.region_code or region_code,
            nom=user.nom,
        )


SYSTEM = Actor(email=SYSTEM_EMAIL, role="admin", nom="Système (ligne de commande)")
# A resident on the public restitution pages: no role of ROLES, so every check refuses it;
# it reads only what the `q2030.public` queries return (published, aggregated).
ANONYME = Actor(email="anonyme@public", role="public", nom="Visiteur")


def can_read_departement(actor: Actor, departement_code: str, region_of_departement: str) -> bool:
    if actor.is_national:
        return True
    if actor.role == "prefet_region":
        return actor.region_code == region_of_departement
    return actor.role == "referent" and actor.departement_code == departement_code


def can_write_rencontres(actor: Actor, departement_code: str) -> bool:
    return actor.role == "referent" and actor.departement_code == departement_code


def can_write_engagements(actor: Actor, departement_code: str, region_of_departement: str) -> bool:
    """The référent of the département, or the préfecture de région of its région."""
    if actor.role == "prefet_region":
        return actor.region_code == region_of_departement
    return can_write_rencontres(actor, departement_code)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionRefusee(message)
