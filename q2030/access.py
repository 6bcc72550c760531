"""Who may do what: the one access rule of the application.

Two things are decided here and nowhere else:

- `allowed(actor, action, resource)`: may this actor perform this `Action` on this resource
  (a typed value: `NATIONAL`, `DepartementCible`, `RencontreCible`, `VersionCible`,
  `EcranCible`)? Services call `exiger(...)` (the same rule, raising `PermissionRefusee`);
  screens call `allowed(...)` to hide what would be refused.
- `lecture(actor)`: the actor's reading scope as a VALUE (`Scope`): France, one région, one
  département, one organisation's rencontres, or nothing. Read queries filter by it
  (`Scope.clause`), and cached loaders key on it instead of on the person asking.

Nothing outside this module compares roles to decide a permission (tests/test_access_rule.py
walks the code to keep it so). Role-specific *content* (a digest's lines, a label) is fine.

The acting user is a plain frozen `Actor` (never an ORM object) so it can be cached,
compared and passed across threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

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
    organisation: str | None = None  # for an organisateur: the organisation it files for

    @classmethod
    def from_user(cls, user: User, region_code: str | None = None) -> Actor:
        return cls(
            email=user.email,
            role=user.role,
            departement_code=user.departement_code,
            region_code=user.region_code or region_code,
            nom=user.nom,
            organisation=getattr(user, "organisation", None) or None,
        )


SYSTEM = Actor(email=SYSTEM_EMAIL, role=Role.ADMIN, nom="Système (ligne de commande)")
# A resident on the public restitution pages: no role of ROLES, so every check refuses it;
# it reads only what the `q2030.public` queries return (published, aggregated).
ANONYME = Actor(email="anonyme@public", role="public", nom="Visiteur")


# --- Actions and resources -----------------------------------------------------------------------


class Action(StrEnum):
    """What an actor may try. The resource each action takes is in brackets."""

    LIRE = "lire"  # a département's details [DepartementCible], a rencontre [RencontreCible], a version [VersionCible]
    ECRIRE_RENCONTRE = "ecrire_rencontre"  # declare, edit, cancel; its contributions and documents [RencontreCible]
    VALIDER_RENCONTRE = "valider_rencontre"  # validate, return or refuse a declaration [RencontreCible]
    LIRE_NOTES = "lire_notes"  # the State's internal notes on a rencontre, never an organiser's [RencontreCible]
    PUBLIER_DOCUMENT = "publier_document"  # put a compte rendu online, withdraw it [RencontreCible]
    SUPPRIMER_RENCONTRE = "supprimer_rencontre"  # [RencontreCible]
    INVITER_ORGANISATEUR = "inviter_organisateur"  # [DepartementCible]
    ECRIRE_ENGAGEMENTS = "ecrire_engagements"  # restitution: what became of the proposals [DepartementCible]
    REDIGER_SYNTHESE = "rediger_synthese"  # texts, versions, steps up to the région, publication [DepartementCible]
    INSTRUIRE_SYNTHESE = (
        "instruire_synthese"  # préfecture de région: forward to the commission, return [DepartementCible]
    )
    CODER_TEXTES = "coder_textes"  # the commission's coding of free texts [NATIONAL]
    ADMINISTRER = "administrer"  # users, campaign, reference data, questionnaire, relances, audit [NATIONAL]
    OUVRIR_ECRAN = "ouvrir_ecran"  # [EcranCible]


@dataclass(frozen=True)
class National:
    """The whole application (national exports, administration)."""


NATIONAL = National()


@dataclass(frozen=True)
class DepartementCible:
    code: str

    @property
    def region(self) -> str:
        return region_of(self.code)


@dataclass(frozen=True)
class RencontreCible:
    """A rencontre as the rule sees it: its département and, when a local organiser filed
    it, the organisation (None: the préfecture's own)."""

    departement_code: str
    organisation: str | None = None


@dataclass(frozen=True)
class VersionCible:
    """A version of a synthèse départementale and how far it went up the chain."""

    departement_code: str
    transmise_region: bool = False
    transmise_commission: bool = False


@dataclass(frozen=True)
class EcranCible:
    """A screen of the application, by its key in q2030.ui.shell.PAGES."""

    nom: str


Resource = National | DepartementCible | RencontreCible | VersionCible | EcranCible

_TOUS = frozenset(Role)
_AGENTS = frozenset({Role.REFERENT, Role.PREFET_REGION, Role.COMMISSION, Role.ADMIN})
_NATIONAUX = frozenset({Role.COMMISSION, Role.ADMIN})
ECRANS: dict[str, frozenset[str]] = {
    "accueil": _TOUS,
    "rencontres": _TOUS,
    "agenda": _AGENTS,
    "mon_departement": frozenset({Role.REFERENT}),
    "ma_region": frozenset({Role.PREFET_REGION}),
    "national": _NATIONAUX,
    "priorites": _AGENTS,
    "excel": _TOUS,
    "administration": frozenset({Role.ADMIN}),
    "syntheses": frozenset({Role.COMMISSION, Role.ADMIN, Role.PREFET_REGION}),
    "questionnaire": frozenset({Role.ADMIN}),
    "codage": _NATIONAUX,
    "restitution": _TOUS,
}


def _referent_of(actor: Actor, departement_code: str) -> bool:
    return actor.role == Role.REFERENT and actor.departement_code == departement_code


def _prefet_of(actor: Actor, departement_code: str) -> bool:
    return actor.role == Role.PREFET_REGION and actor.region_code == region_of(departement_code)


def _organiser_of(actor: Actor, rencontre: RencontreCible) -> bool:
    return (
        actor.role == Role.ORGANISATEUR
        and bool(actor.organisation)
        and actor.departement_code == rencontre.departement_code
        and actor.organisation == rencontre.organisation
    )


def _ouvrir(actor: Actor, resource: Resource) -> bool:
    return isinstance(resource, EcranCible) and actor.role in ECRANS.get(resource.nom, frozenset())


def _lire(actor: Actor, resource: Resource) -> bool:
    match resource:
        case DepartementCible(code):
            return lecture(actor).lit(code)
        case RencontreCible() as rencontre:
            return lecture(actor).lit(rencontre.departement_code) or _organiser_of(actor, rencontre)
        case VersionCible() as version:
            return _lit_version(actor, version)
    return False


def _ecrire_rencontre(actor: Actor, resource: Resource) -> bool:
    return isinstance(resource, RencontreCible) and (
        _referent_of(actor, resource.departement_code) or _organiser_of(actor, resource)
    )


def _referent(actor: Actor, resource: Resource) -> bool:
    """The référent of the département of the resource."""
    return isinstance(resource, RencontreCible | DepartementCible | VersionCible) and _referent_of(
        actor, resource.departement_code if not isinstance(resource, DepartementCible) else resource.code
    )


def _prefet(actor: Actor, resource: Resource) -> bool:
    return isinstance(resource, DepartementCible) and _prefet_of(actor, resource.code)


def _admin(actor: Actor, resource: Resource) -> bool:
    return actor.role == Role.ADMIN


_RULES: dict[Action, Callable[[Actor, Resource], bool]] = {
    Action.OUVRIR_ECRAN: _ouvrir,
    Action.LIRE: _lire,
    Action.ECRIRE_RENCONTRE: _ecrire_rencontre,
    Action.VALIDER_RENCONTRE: lambda a, r: isinstance(r, RencontreCible) and _referent(a, r),
    Action.LIRE_NOTES: lambda a, r: isinstance(r, RencontreCible) and lecture(a).lit(r.departement_code),
    Action.PUBLIER_DOCUMENT: lambda a, r: isinstance(r, RencontreCible) and _referent(a, r),
    Action.SUPPRIMER_RENCONTRE: lambda a, r: isinstance(r, RencontreCible) and _admin(a, r),
    Action.INVITER_ORGANISATEUR: lambda a, r: isinstance(r, DepartementCible) and (_admin(a, r) or _referent(a, r)),
    Action.ECRIRE_ENGAGEMENTS: lambda a, r: isinstance(r, DepartementCible) and (_referent(a, r) or _prefet(a, r)),
    Action.REDIGER_SYNTHESE: lambda a, r: isinstance(r, DepartementCible) and _referent(a, r),
    Action.INSTRUIRE_SYNTHESE: _prefet,
    Action.CODER_TEXTES: lambda a, r: isinstance(r, National) and a.role in _NATIONAUX,
    Action.ADMINISTRER: lambda a, r: isinstance(r, National) and _admin(a, r),
}


def allowed(actor: Actor, action: Action, resource: Resource) -> bool:
    """May `actor` do `action` on `resource`? The one access rule (an action on a resource
    of the wrong kind is refused)."""
    return _RULES[action](actor, resource)


def exiger(actor: Actor, action: Action, resource: Resource, message: str) -> None:
    """`allowed`, or PermissionRefusee with the French `message` (services call this)."""
    if not allowed(actor, action, resource):
        raise PermissionRefusee(message)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionRefusee(message)


def _lit_version(actor: Actor, version: VersionCible) -> bool:
    """The référent reads every version of its département; the préfecture de région those
    transmitted to it; the commission (and administrators) those forwarded to it."""
    code = version.departement_code
    if _referent_of(actor, code):
        return True
    if _prefet_of(actor, code):
        return version.transmise_region
    return actor.role in _NATIONAUX and version.transmise_commission


def versions_lisibles(actor: Actor, departement_code: str) -> tuple[bool, bool] | None:
    """The versions of a département's synthèse the actor reads, as the two transmission
    flags it needs ((False, False): all; (True, False): those transmitted to the région;
    (False, True): those forwarded to the commission); None when it reads none. Queries
    turn it into a WHERE clause; the rule is `_lit_version`."""
    for flags in ((False, False), (True, False), (False, True)):
        if _lit_version(actor, VersionCible(departement_code, *flags)):
            return flags
    if _lit_version(actor, VersionCible(departement_code, True, True)):
        return (True, True)
    return None


# --- Reading scope -----------------------------------------------------------------------------

# A département or région column: Model.column or sqlmodel.col(...).
Column = SQLCoreOperations[str] | SQLCoreOperations[str | None]


def region_of(departement_code: str) -> str:
    """The région of a département of the referentiel; DepartementInconnu otherwise."""
    try:
        return DEPARTEMENTS[departement_code][1]
    except KeyError:
        raise DepartementInconnu(departement_code) from None


@dataclass(frozen=True)
class Scope:
    """What is read: France (every field None), one région, one département, one
    organisation's rencontres in one département, or nothing (`aucun`). A plain value:
    the same for every user of the same scope, so cached results are shared."""

    departement_code: str | None = None
    region_code: str | None = None
    organisation: str | None = None
    aucun: bool = False

    @property
    def departements(self) -> list[str]:
        """The départements whose details this scope reads, in the referentiel's order."""
        if self.aucun or self.organisation is not None:
            return []
        if self.departement_code is not None:
            return [self.departement_code]
        if self.region_code is not None:
            return [code for code, (_nom, region) in DEPARTEMENTS.items() if region == self.region_code]
        return list(DEPARTEMENTS)

    def lit(self, departement_code: str) -> bool:
        """Whether this scope reads the département (DepartementInconnu when it does not exist)."""
        region = region_of(departement_code)
        if self.aucun or self.organisation is not None:
            return False
        if self.departement_code is not None:
            return self.departement_code == departement_code
        return self.region_code in (None, region)

    def clause(
        self,
        departement_column: Column,
        region_column: Column | None = None,
        organisation_column: Column | None = None,
    ) -> ColumnElement[bool]:
        """SQL condition keeping the rows of this scope. Without a région column (no join on
        Departement), a région is the list of its départements. An organisation's scope
        needs the rencontre's organisation column (without it, nothing)."""
        if self.aucun:
            return false()
        if self.organisation is not None:
            if organisation_column is None:
                return false()
            return (departement_column == self.departement_code) & (organisation_column == self.organisation)
        if self.departement_code is not None:
            return departement_column == self.departement_code
        if self.region_code is not None:
            if region_column is not None:
                return region_column == self.region_code
            return departement_column.in_(self.departements)
        return true()

    @property
    def label(self) -> str:
        """In French: « Seine-Saint-Denis (93) », « Région Île-de-France », « France entière »."""
        if self.organisation is not None:
            return self.organisation
        if self.aucun:
            return "Aucun"
        if self.departement_code is not None:
            return f"{DEPARTEMENTS[self.departement_code][0]} ({self.departement_code})"
        if self.region_code is not None:
            return f"Région {REGIONS[self.region_code]}"
        return "France entière"


FRANCE = Scope()
AUCUN = Scope(aucun=True)
Lecteur = Actor | Scope  # read services take the person asking or, from a cache, its scope


def lecture(who: Lecteur) -> Scope:
    """The reading scope of an actor (a Scope is its own)."""
    if isinstance(who, Scope):
        return who
    if who.role in _NATIONAUX:
        return FRANCE
    if who.role == Role.PREFET_REGION and who.region_code:
        return Scope(region_code=who.region_code)
    if who.role == Role.REFERENT and who.departement_code:
        return Scope(departement_code=who.departement_code)
    if who.role == Role.ORGANISATEUR and who.departement_code and who.organisation:
        return Scope(departement_code=who.departement_code, organisation=who.organisation)
    return AUCUN


def departements_lus(who: Lecteur) -> list[str]:
    """Codes of the départements whose details the actor reads, in the referentiel's order."""
    return lecture(who).departements


def lit_departement(who: Lecteur, departement_code: str) -> bool:
    """Whether the actor reads this département (DepartementInconnu when it does not exist)."""
    return lecture(who).lit(departement_code)


def require_read_departement(
    who: Lecteur,
    departement_code: str,
    message: str = "Vous ne pouvez consulter que les départements de votre périmètre.",
) -> None:
    require(lit_departement(who, departement_code), message)


def resolve_scope(who: Lecteur, *, departement_code: str | None = None, region_code: str | None = None) -> Scope:
    """The territory asked for, checked against the reader's scope; its own scope by default."""
    scope = lecture(who)
    if departement_code is not None:
        require_read_departement(scope, departement_code)
        return Scope(departement_code=departement_code)
    require(not scope.aucun and scope.organisation is None, "Rôle inconnu.")
    if scope.departement_code is not None:
        return scope
    if region_code is not None:
        require(scope.region_code in (None, region_code), "Vous ne pouvez consulter que votre région.")
        return Scope(region_code=region_code)
    return scope


def lit_tout(who: Lecteur) -> bool:
    """Whether the reader reads every département (national exports, national views)."""
    return lecture(who) == FRANCE


def scope_clause(who: Lecteur, departement_column: Column, region_column: Column | None = None) -> ColumnElement[bool]:
    """SQL condition keeping the rows of the départements the actor reads (nothing for an
    actor without a reading scope)."""
    scope = lecture(who)
    if scope.organisation is not None:
        return false()
    return scope.clause(departement_column, region_column)


def scope_label(who: Lecteur) -> str:
    """The reading scope in French: « Seine-Saint-Denis (93) », « Région Île-de-France »,
    « France entière »."""
    return lecture(who).label


# --- Versions of a synthèse départementale -------------------------------------------------------


def versions_de_synthese_lues(actor: Actor, departement_code: str) -> ColumnElement[bool]:
    """The versions of a département's synthèse an actor sees, as an SQL condition on
    SyntheseDocument: the rule of `allowed(actor, Action.LIRE, VersionCible(...))` (its référent
    all of them, drafts included; the préfecture de région of its région those transmitted to
    it; the commission and administrators those forwarded to the commission). Anyone else is
    refused. Every list or download of versions uses it."""
    region_of(departement_code)  # DepartementInconnu first
    flags = versions_lisibles(actor, departement_code)
    if flags is None:
        raise PermissionRefusee("Vous ne pouvez consulter que les synthèses de votre périmètre.")
    transmise_region, transmise_commission = flags
    condition: ColumnElement[bool] = true()
    if transmise_region:
        condition = condition & col(SyntheseDocument.transmis_region_le).is_not(None)
    if transmise_commission:
        condition = condition & col(SyntheseDocument.transmis_commission_le).is_not(None)
    return condition
