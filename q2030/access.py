"""Who may read and write what. Services call these checks; pages only hide.

The acting user is a plain frozen `Actor` (never an ORM object) so it can be cached,
compared and passed across threads.

The reading scope is written here and nowhere else: which départements an actor reads
(`departements_lus`), whether it reads one (`lit_departement`, `require_read_departement`),
the territory a read model covers (`resolve_scope`, `Scope.clause` for a SQL WHERE on a
département or région column, `scope_clause` for the actor's own scope), its French label
(`scope_label`) and the one error for an unknown département (`DepartementInconnu`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import col

from q2030.errors import DepartementInconnu, PermissionRefusee
from q2030.models import SyntheseDocument, User
from q2030.nomenclature import Role
from q2030.referentiel import DEPARTEMENTS, REGIONS

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
        return self.role == Role.ADMIN

    @property
    def is_national(self) -> bool:
        return self.role in (Role.COMMISSION, Role.ADMIN)

    @classmethod
    def from_user(cls, user: User, region_code: str | None = None) -> Actor:
        return cls(
            email=user.email,
            role=user.role,
            departement_code=user.departement_code,
            region_code=user.region_code or region_code,
            nom=user.nom,
        )


SYSTEM = Actor(email=SYSTEM_EMAIL, role=Role.ADMIN, nom="Système (ligne de commande)")
# A resident on the public restitution pages: no role of ROLES, so every check refuses it;
# it reads only what the `q2030.public` queries return (published, aggregated).
ANONYME = Actor(email="anonyme@public", role="public", nom="Visiteur")


def can_read_departement(actor: Actor, departement_code: str, region_of_departement: str) -> bool:
    if actor.is_national:
        return True
    if actor.role == Role.PREFET_REGION:
        return actor.region_code == region_of_departement
    return actor.role == Role.REFERENT and actor.departement_code == departement_code


def can_write_rencontres(actor: Actor, departement_code: str) -> bool:
    return actor.role == Role.REFERENT and actor.departement_code == departement_code


def can_write_engagements(actor: Actor, departement_code: str, region_of_departement: str) -> bool:
    """The référent of the département, or the préfecture de région of its région."""
    if actor.role == Role.PREFET_REGION:
        return actor.region_code == region_of_departement
    return can_write_rencontres(actor, departement_code)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionRefusee(message)


# --- Reading scope -----------------------------------------------------------------------------

Column = SQLCoreOperations[Any]  # a département or région column: Model.column or sqlmodel.col(...)


def region_of(departement_code: str) -> str:
    """The région of a département of the referentiel; DepartementInconnu otherwise."""
    try:
        return DEPARTEMENTS[departement_code][1]
    except KeyError:
        raise DepartementInconnu(departement_code) from None


def departements_lus(actor: Actor) -> list[str]:
    """Codes of the départements whose details the actor reads, in the referentiel's order."""
    if actor.is_national:
        return list(DEPARTEMENTS)
    if actor.role == Role.PREFET_REGION:
        return [code for code, (_nom, region) in DEPARTEMENTS.items() if region == actor.region_code]
    if actor.role == Role.REFERENT and actor.departement_code:
        return [actor.departement_code]
    return []


def lit_departement(actor: Actor, departement_code: str) -> bool:
    """Whether the actor reads this département (DepartementInconnu when it does not exist)."""
    return can_read_departement(actor, departement_code, region_of(departement_code))


def require_read_departement(
    actor: Actor,
    departement_code: str,
    message: str = "Vous ne pouvez consulter que les départements de votre périmètre.",
) -> None:
    require(lit_departement(actor, departement_code), message)


@dataclass(frozen=True)
class Scope:
    """The territory a read model covers: one département, one région, or France (both None)."""

    departement_code: str | None = None
    region_code: str | None = None

    def clause(self, departement_column: Column, region_column: Column | None = None) -> ColumnElement[bool]:
        """SQL condition keeping the rows of this territory. Without a région column (no join
        on Departement), a région is the list of its départements."""
        if self.departement_code is not None:
            return departement_column == self.departement_code
        if self.region_code is not None:
            if region_column is not None:
                return region_column == self.region_code
            codes = [code for code, (_nom, region) in DEPARTEMENTS.items() if region == self.region_code]
            return departement_column.in_(codes)
        return true()


def resolve_scope(actor: Actor, *, departement_code: str | None = None, region_code: str | None = None) -> Scope:
    """Check the actor may read the requested territory; default to the actor's own scope."""
    if departement_code is not None:
        require_read_departement(actor, departement_code)
        return Scope(departement_code=departement_code)
    if actor.role == Role.REFERENT:
        return Scope(departement_code=actor.departement_code)
    if actor.role == Role.PREFET_REGION:
        require(region_code in (None, actor.region_code), "Vous ne pouvez consulter que votre région.")
        return Scope(region_code=actor.region_code)
    require(actor.is_national, "Rôle inconnu.")
    return Scope(region_code=region_code)


def scope_clause(actor: Actor, departement_column: Column, region_column: Column | None = None) -> ColumnElement[bool]:
    """SQL condition keeping the rows of the départements the actor reads (nothing for an
    actor without a reading scope)."""
    if actor.is_national:
        return true()
    if actor.role == Role.PREFET_REGION and actor.region_code:
        return Scope(region_code=actor.region_code).clause(departement_column, region_column)
    if actor.role == Role.REFERENT and actor.departement_code:
        return Scope(departement_code=actor.departement_code).clause(departement_column, region_column)
    return false()


def scope_label(actor: Actor) -> str:
    """The actor's reading scope in French: « Seine-Saint-Denis (93) », « Région Île-de-France »,
    « France entière »."""
    if actor.role == Role.REFERENT and actor.departement_code:
        return f"{DEPARTEMENTS[actor.departement_code][0]} ({actor.departement_code})"
    if actor.role == Role.PREFET_REGION and actor.region_code:
        return f"Région {REGIONS[actor.region_code]}"
    return "France entière"


# --- Versions of a synthèse départementale -------------------------------------------------------


def versions_de_synthese_lues(actor: Actor, departement_code: str) -> ColumnElement[bool]:
    """THE rule for the versions of a département's synthèse an actor sees (SQL condition on
    SyntheseDocument): its référent all of them, drafts included; the préfecture de région of
    its région those transmitted to it; the commission and administrators those forwarded to
    the commission. Anyone else is refused. Every list or download of versions uses it."""
    region = region_of(departement_code)
    if actor.role == Role.REFERENT and actor.departement_code == departement_code:
        return true()
    if actor.role == Role.PREFET_REGION and actor.region_code == region:
        return col(SyntheseDocument.transmis_region_le).is_not(None)
    if actor.is_national:
        return col(SyntheseDocument.transmis_commission_le).is_not(None)
    raise PermissionRefusee("Vous ne pouvez consulter que les synthèses de votre périmètre.")
