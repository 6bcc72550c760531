"""The pipeline of the meetings declared by local organisers, as the coverage pages show it.

Coverage itself (q2030.coverage) counts only what `comptage.compte()` lets count. Beside it,
the référents and the State see the pipeline: per quartier, how many meetings are declared
and wait for validation and how many are validated; per territory the same counts; at
national level the share of the counting meetings filed by organisers and the median delay
between a meeting's date and its validated compte rendu. These are the current state of the
declarations (validation has no history), for the active campaign; cancelled meetings are
left out. Everything is computed in SQL (the median with window functions).

When is a compte rendu validated? A document uploaded by the préfecture counts at once; an
organiser's upload sends the meeting back to the queue (`comptage.soumettre`), so its compte
rendu counts from the meeting's (last) validation: the later of the first upload and the
validation date. A meeting validated again after a later change is dated by that later
validation (the state keeps no earlier one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Label
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.types import Integer
from sqlmodel import Session, col

from q2030.access import Column, Lecteur, Scope, resolve_scope
from q2030.campaigns import active_campaign
from q2030.comptage import compte, en_attente
from q2030.formatting import fr_count
from q2030.frontieres import LigneSql
from q2030.models import Departement, Document, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre

Niveau = Literal["departement", "region", "national"]


# --- Portable SQL: days between an instant and a date, the later of two instants ----------


class _JoursDepuis(FunctionElement[int]):
    """Whole days from a date to the (UTC) day of an instant."""

    type = Integer()
    inherit_cache = True
    name = "jours_depuis"


@compiles(_JoursDepuis)
def _jours_depuis_postgresql(element: _JoursDepuis, compiler: SQLCompiler, **kw: object) -> str:
    instant, day = list(element.clauses)
    return f"(CAST(timezone('UTC', {compiler.process(instant, **kw)}) AS DATE) - {compiler.process(day, **kw)})"


@compiles(_JoursDepuis, "sqlite")
def _jours_depuis_sqlite(element: _JoursDepuis, compiler: SQLCompiler, **kw: object) -> str:
    instant, day = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday(date({instant})) - julianday({day}) AS INTEGER)"


class _PlusTard(FunctionElement[dt.datetime]):
    """The later of two instants of the same type (NULLs are never the later)."""

    inherit_cache = True
    name = "plus_tard"


@compiles(_PlusTard)
def _plus_tard_postgresql(element: _PlusTard, compiler: SQLCompiler, **kw: object) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"  # PostgreSQL's ignores NULLs


@compiles(_PlusTard, "sqlite")
def _plus_tard_sqlite(element: _PlusTard, compiler: SQLCompiler, **kw: object) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"max(coalesce({first}, {second}), coalesce({second}, {first}))"


# --- Per quartier ------------------------------------------------------------------------------


def _compteurs() -> tuple[Label[int], Label[int]]:
    declarees = func.count(func.distinct(case((en_attente(), col(Rencontre.id)))))
    validees = func.count(func.distinct(case((compte(), col(Rencontre.id)))))
    return declarees.label("declarees"), validees.label("validees")


def _vivantes(campaign_id: int) -> ColumnElement[bool]:
    return and_(col(Rencontre.campaign_id) == campaign_id, col(Rencontre.statut) != StatutRencontre.ANNULEE)


def quartiers(session: Session, *, actor: Lecteur, departement_code: str | None = None) -> pd.DataFrame:
    """One row per QPV of the scope (campaign geography): qpv_code, declarees (meetings
    declared and awaiting validation), validees (meetings that count), etape (in words)."""
    campaign = active_campaign(session)
    scope = resolve_scope(actor, departement_code=departement_code)
    declarees, validees = _compteurs()
    query: Select[*LigneSql] = (
        select(col(Qpv.code).label("qpv_code"), declarees, validees)
        .select_from(Qpv)
        .join(Departement, col(Departement.code) == col(Qpv.departement_code))
        .outerjoin(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
        .outerjoin(
            Rencontre,
            and_(col(Rencontre.id) == col(RencontreQpv.rencontre_id), _vivantes(campaign.id or 0)),
        )
        .where(col(Qpv.geographie) == campaign.geographie, _dans(scope, col(Qpv.departement_code)))
        .group_by(col(Qpv.code))
        .order_by(col(Qpv.code))
    )
    rows = session.connection().execute(query).all()
    frame = pd.DataFrame(rows, columns=["qpv_code", "declarees", "validees"])
    frame["declarees"] = frame["declarees"].astype(int)
    frame["validees"] = frame["validees"].astype(int)
    frame["etape"] = [etape(int(d), int(v)) for d, v in zip(frame["declarees"], frame["validees"], strict=True)]
    return frame


def etape(declarees: int, validees: int) -> str:
    """« 1 validée », « 2 déclarées, à valider », « 1 validée, 1 déclarée à valider », « — »."""
    parts = []
    if validees:
        parts.append(fr_count(validees, "validée"))
    if declarees:
        parts.append(fr_count(declarees, "déclarée") + (" à valider" if validees else ", à valider"))
    return ", ".join(parts) or "—"


def _dans(scope: Scope, departement_column: Column) -> ColumnElement[bool]:
    if scope.departement_code is None and scope.region_code is None:
        return literal(True)
    return scope.clause(departement_column, col(Departement.region_code))


# --- Per territory ------------------------------------------------------------------------------


def par_territoire(
    session: Session,
    *,
    actor: Lecteur,
    niveau: Niveau = "departement",
    region_code: str | None = None,
    departement_code: str | None = None,
) -> pd.DataFrame:
    """Per département / région / France: code, declarees, validees (meetings), validees_organisateurs
    (validated meetings filed by organisers), qpv_declares (QPV with a declaration awaiting
    validation and no validated meeting yet)."""
    campaign = active_campaign(session)
    scope = resolve_scope(actor, departement_code=departement_code, region_code=region_code)
    r_dep = col(Rencontre.departement_code)
    key = {"departement": r_dep, "region": col(Departement.region_code), "national": literal("FR")}[niveau]
    declarees, validees = _compteurs()
    query: Select[*LigneSql] = (
        select(
            key.label("code"),
            declarees,
            validees,
            func.sum(case((and_(compte(), col(Rencontre.organisation).is_not(None)), 1), else_=0)),
        )
        .select_from(Rencontre)
        .join(Departement, col(Departement.code) == r_dep)
        .where(_vivantes(campaign.id or 0), _dans(scope, r_dep))
        .group_by(key)
    )
    rows = session.connection().execute(query).all()
    frame = pd.DataFrame(rows, columns=["code", "declarees", "validees", "validees_organisateurs"])
    par_qpv = _quartiers_portee(session, scope)
    en_cours = par_qpv[(par_qpv["declarees"] > 0) & (par_qpv["validees"] == 0)]
    qpv_key = {"departement": "departement_code", "region": "region_code", "national": None}[niveau]
    declares = pd.Series({"FR": len(en_cours)}, dtype=int) if qpv_key is None else en_cours.groupby(qpv_key).size()
    frame = frame.set_index("code")
    frame["qpv_declares"] = declares.reindex(frame.index).fillna(0)
    for column in ("declarees", "validees", "validees_organisateurs", "qpv_declares"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    return frame.reset_index().sort_values("code").reset_index(drop=True)


def _quartiers_portee(session: Session, scope: Scope) -> pd.DataFrame:
    """`quartiers` with each QPV's département and région, for a région or France."""
    campaign = active_campaign(session)
    declarees, validees = _compteurs()
    query: Select[*LigneSql] = (
        select(
            col(Qpv.code).label("qpv_code"),
            col(Qpv.departement_code).label("departement_code"),
            col(Departement.region_code).label("region_code"),
            declarees,
            validees,
        )
        .select_from(Qpv)
        .join(Departement, col(Departement.code) == col(Qpv.departement_code))
        .join(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
        .join(Rencontre, and_(col(Rencontre.id) == col(RencontreQpv.rencontre_id), _vivantes(campaign.id or 0)))
        .where(col(Qpv.geographie) == campaign.geographie, _dans(scope, col(Qpv.departement_code)))
        .group_by(col(Qpv.code), col(Qpv.departement_code), col(Departement.region_code))
    )
    rows = session.connection().execute(query).all()
    return pd.DataFrame(rows, columns=["qpv_code", "departement_code", "region_code", "declarees", "validees"])


# --- National figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chaine:
    """The national (or scope's) figures of the pipeline."""

    rencontres: int  # meetings that count (held or planned)
    par_organisateurs: int  # of which filed by local organisers
    en_attente: int  # declarations awaiting validation
    comptes_rendus: int  # held counting meetings with a validated compte rendu
    delai_median_jours: float | None  # median days from the meeting to its validated compte rendu
    delai_median_organisateurs_jours: float | None  # the same, meetings filed by organisers

    @property
    def part_organisateurs(self) -> float | None:
        return self.par_organisateurs / self.rencontres if self.rencontres else None


def chaine(session: Session, *, actor: Lecteur, region_code: str | None = None) -> Chaine:
    """Share of the counting meetings filed by organisers, pending declarations, median delay."""
    campaign = active_campaign(session)
    scope = resolve_scope(actor, region_code=region_code)
    r_dep = col(Rencontre.departement_code)
    base = and_(_vivantes(campaign.id or 0), _dans(scope, r_dep))
    counts = (
        session.connection()
        .execute(
            select(
                func.sum(case((compte(), 1), else_=0)),
                func.sum(case((and_(compte(), col(Rencontre.organisation).is_not(None)), 1), else_=0)),
                func.sum(case((en_attente(), 1), else_=0)),
            )
            .select_from(Rencontre)
            .join(Departement, col(Departement.code) == r_dep)
            .where(base)
        )
        .one()
    )
    delais = _delais(campaign.id or 0, scope)
    median_all, n = _mediane(session, delais, None)
    median_org, _ = _mediane(session, delais, True)
    return Chaine(
        rencontres=int(counts[0] or 0),
        par_organisateurs=int(counts[1] or 0),
        en_attente=int(counts[2] or 0),
        comptes_rendus=n,
        delai_median_jours=median_all,
        delai_median_organisateurs_jours=median_org,
    )


def _delais(campaign_id: int, scope: Scope) -> Subquery:
    """Subquery: one row per held counting meeting with a compte rendu: its delay in days and
    whether an organiser filed it."""
    premier = (
        select(col(Document.rencontre_id).label("rencontre_id"), func.min(col(Document.depose_le)).label("depose_le"))
        .group_by(col(Document.rencontre_id))
        .subquery("premier_compte_rendu")
    )
    valide_le = _PlusTard(premier.c.depose_le, col(Rencontre.validee_le))
    return (
        select(
            _JoursDepuis(valide_le, col(Rencontre.date)).label("jours"),
            col(Rencontre.organisation).is_not(None).label("organisateur"),
        )
        .select_from(Rencontre)
        .join(premier, premier.c.rencontre_id == col(Rencontre.id))
        .join(Departement, col(Departement.code) == col(Rencontre.departement_code))
        .where(
            col(Rencontre.campaign_id) == campaign_id,
            col(Rencontre.statut) == StatutRencontre.TENUE,
            compte(),
            _dans(scope, col(Rencontre.departement_code)),
        )
        .subquery("delais")
    )


def _mediane(session: Session, delais: Subquery, organisateur: bool | None) -> tuple[float | None, int]:
    """The median of `jours` (mean of the two middle values when the count is even), in SQL."""
    source = select(delais.c.jours)
    if organisateur is not None:
        source = source.where(delais.c.organisateur == organisateur)
    inner = source.subquery("choisis")
    rangs = select(
        inner.c.jours,
        func.row_number().over(order_by=inner.c.jours).label("rang"),
        func.count().over().label("n"),
    ).subquery("rangs")
    milieu = and_(rangs.c.rang >= (rangs.c.n + 1) // 2, rangs.c.rang <= (rangs.c.n + 2) // 2)
    total = session.connection().execute(select(func.count()).select_from(inner)).scalar_one()
    value = session.connection().execute(select(func.avg(rangs.c.jours * 1.0)).where(milieu)).scalar_one()
    return (None if value is None else float(value)), int(total)
