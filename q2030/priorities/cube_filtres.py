"""Filtered rankings from the read model (q2030.cube): public, format, period, quartier, theme.

Every filter but the text search is answered from pre-summed or per-meeting cube rows, never
from the contributions:
- `cube_filtre` (campaign × public × axis × département × format, month, format × month or
  day × theme) answers one format, whole months, a format with whole months and the days of a
  period that cut a month: a period from the 10th of July to the 19th of September is July's
  edge days, August, then September's edge days, each a range of its cells;
- `cube_rencontre` (per held meeting × public × axis × theme) answers one format's days, read
  from its format-and-day index (public, axis, format, day, campaign…) alone;
- a quartier selects its few meetings (with the format and period on the small meeting table)
  by their ids, the leading column of `cube_rencontre`'s key.

A meeting filter selects whole meetings, so a meeting's rows (its weights within the public
and axis) are the same as the raw rows' under that filter; the parts of a period hold
disjoint meetings, so their sums add up. A theme filter keeps only that theme's rows: each
meeting then weighs 1 (`rencontres`), as the raw rows compute it.
Every shape returns the same columns as `agregation._assembler` (equal up to rounding).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, and_, any_, cast, func, literal, select, union_all
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import SQLColumnExpression, SQLCoreOperations
from sqlmodel import Session, col

from q2030.campaigns import active_campaign
from q2030.cube import FORMAT_MOIS, JOUR, SEPARATEUR, TOUS_AXES, TOUS_PUBLICS, TOUS_THEMES
from q2030.frontieres import LigneSql
from q2030.models import CubeFiltre, CubeRencontre, Departement, Rencontre, RencontreQpv
from q2030.nomenclature import AXES
from q2030.priorities.filtres import TOUS, Filtres

AGREGATS_COLUMNS = [
    "g", "theme", "contributions", "rencontres", "departements", "score_rang", "poids_rencontre",
    "poids_departement", "rencontres_total", "departements_total", "groupe_type",
]  # fmt: skip

Bornes = tuple[str | None, str | None]  # inclusive, None = open
Dates = tuple[dt.date | None, dt.date | None]


@dataclass(frozen=True)
class Decoupage:
    """A period as whole months ("2023-07", None when it holds none) and the days of the months
    it cuts ("2023-07-10", at most two ranges)."""

    mois: Bornes | None
    jours: tuple[Bornes, ...]


def _dernier_jour(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def decouper(debut: dt.date | None, fin: dt.date | None) -> Decoupage:
    """Split a period (inclusive bounds, None = open) into whole months and edge days."""
    jours: list[tuple[dt.date, dt.date]] = []
    premier: dt.date | None = debut  # first day of the whole months
    dernier: dt.date | None = fin  # last day of the whole months
    if debut is not None and debut.day != 1:
        edge_end = _dernier_jour(debut)
        if fin is not None and fin <= edge_end:
            return Decoupage(None, ((debut.isoformat(), fin.isoformat()),))
        jours.append((debut, edge_end))
        premier = edge_end + dt.timedelta(days=1)
    if fin is not None and fin != _dernier_jour(fin):
        edge_start = fin.replace(day=1)
        if debut is not None and debut >= edge_start:  # within one month, from its first day
            return Decoupage(None, ((debut.isoformat(), fin.isoformat()),))
        jours.append((edge_start, fin))
        dernier = edge_start - dt.timedelta(days=1)
    bornes = tuple((a.isoformat(), b.isoformat()) for a, b in jours)
    if premier is not None and dernier is not None and premier > dernier:
        return Decoupage(None, bornes)
    return Decoupage((f"{premier:%Y-%m}" if premier else None, f"{dernier:%Y-%m}" if dernier else None), bornes)


def _entre(
    column: SQLCoreOperations[str] | SQLCoreOperations[dt.date], bornes: Bornes | Dates
) -> list[ColumnElement[bool]]:
    debut, fin = bornes
    return [*([column >= debut] if debut else []), *([column <= fin] if fin else [])]


def _key(groupe: str, axe: Mapped[str], dep: Mapped[str]) -> SQLColumnExpression[str]:
    return {"axe": axe, "region": col(Departement.region_code), "departement": dep, "aucun": literal(TOUS)}[groupe]


def _axes(filtres: Filtres, groupe: str, axe: Mapped[str], *, listed: bool = False) -> ColumnElement[bool]:
    """The axis rows of the view; `listed`: every axis named (an index with the axis before the
    day or the month is then read range by range, not scanned)."""
    if filtres.axe:
        return axe == filtres.axe
    if groupe == "axe":
        return axe.in_(list(AXES)) if listed else axe != TOUS_AXES
    return axe == TOUS_AXES


def _territoire(
    base: Select[*LigneSql], filtres: Filtres, groupe: str, dep: Mapped[str]
) -> tuple[Select[*LigneSql], list[ColumnElement[bool]]]:
    conds: list[ColumnElement[bool]] = []
    if filtres.region or groupe == "region":  # the région is the département's: joined only when needed
        base = base.join(Departement, col(Departement.code) == dep)
    if filtres.departement:
        conds.append(dep == filtres.departement)
    if filtres.region:
        conds.append(col(Departement.region_code) == filtres.region)
    return base, conds


def _part_cellules(
    filtres: Filtres, groupe: str, campaign_id: int, dimension: str, values: list[ColumnElement[bool]]
) -> Select[*LigneSql]:
    """Per (group, département, theme) sums of pre-summed cells of `cube_filtre` (one dimension, its values)."""
    f = CubeFiltre
    dep, theme, axe = col(f.departement_code), col(f.theme), col(f.axe)
    base, territory = _territoire(select().select_from(f), filtres, groupe, dep)
    conds = [
        col(f.campaign_id) == campaign_id,
        col(f.public) == (filtres.public or TOUS_PUBLICS),
        col(f.dimension) == dimension,
        *values,
        _axes(filtres, groupe, axe, listed=True),
        *territory,
        theme == filtres.theme if filtres.theme else theme != TOUS_THEMES,
    ]
    key = _key(groupe, axe, dep)
    meetings: ColumnElement[int] = func.sum(col(f.rencontres))
    weight: ColumnElement[int] | ColumnElement[float] = meetings if filtres.theme else func.sum(col(f.poids_rencontre))
    return base.add_columns(
        key.label("g"), dep.label("dep"), theme.label("theme"), func.sum(f.contributions).label("n"),
        meetings.label("meetings"), func.sum(f.score_rang).label("score"), weight.label("weight"),
    ).where(*conds).group_by(key, dep, theme)  # fmt: skip


def _part_rencontres(
    filtres: Filtres, groupe: str, campaign_id: int, meeting_conds: list[ColumnElement[bool]]
) -> Select[*LigneSql]:
    """Per (group, département, theme) sums of the per-meeting rows of `cube_rencontre` (conditions on
    its own format, day or meeting ids)."""
    r = CubeRencontre
    dep, theme, axe = col(r.departement_code), col(r.theme), col(r.axe)
    base, territory = _territoire(select().select_from(r), filtres, groupe, dep)
    conds = [
        col(r.campaign_id) == campaign_id,
        col(r.public) == (filtres.public or TOUS_PUBLICS),
        _axes(filtres, groupe, axe, listed=True),
        *meeting_conds,
        *territory,
        *([theme == filtres.theme] if filtres.theme else []),
    ]
    key = _key(groupe, axe, dep)
    meetings = func.count()
    weight = meetings if filtres.theme else func.sum(r.poids)
    return base.add_columns(
        key.label("g"), dep.label("dep"), theme.label("theme"), func.sum(r.contributions).label("n"),
        meetings.label("meetings"), func.sum(r.score_rang).label("score"), weight.label("weight"),
    ).where(*conds).group_by(key, dep, theme)  # fmt: skip


def _parts(filtres: Filtres, groupe: str, campaign_id: int, dialect: str) -> list[Select[*LigneSql]]:
    """The sources answering the meeting filters (format, period, quartier), over disjoint meetings."""
    r = CubeRencontre
    day = col(r.jour)
    if filtres.qpv:
        # The quartier's few meetings (in the format and period) drive the query, on the leading
        # column of the cube's key. PostgreSQL gets them as an array computed once (an InitPlan,
        # by the quartier index): with `IN (SELECT …)` it planned, at ten times the national
        # volume, a parallel scan of the whole link table (9.5 ms of execution, 2.2 ms this way).
        linked = select(col(RencontreQpv.rencontre_id)).where(col(RencontreQpv.qpv_code) == filtres.qpv)
        if filtres.format or filtres.debut or filtres.fin:
            linked = linked.join(Rencontre, col(Rencontre.id) == col(RencontreQpv.rencontre_id))
            linked = linked.where(*([col(Rencontre.format) == filtres.format] if filtres.format else []))
            linked = linked.where(*_entre(col(Rencontre.date), (filtres.debut, filtres.fin)))
        in_quartier = (
            col(r.rencontre_id) == any_(func.array(linked.scalar_subquery()))
            if dialect == "postgresql"
            else col(r.rencontre_id).in_(linked)
        )
        return [_part_rencontres(filtres, groupe, campaign_id, [in_quartier])]
    valeur = col(CubeFiltre.valeur)
    if not (filtres.debut or filtres.fin):
        if filtres.format:
            return [_part_cellules(filtres, groupe, campaign_id, "format", [valeur == filtres.format])]
        return [_part_cellules(filtres, groupe, campaign_id, "tout", [valeur == TOUS_PUBLICS])]
    periode = decouper(filtres.debut, filtres.fin)
    parts: list[Select[*LigneSql]] = []
    if periode.mois is not None:
        if filtres.format:
            debut, fin = periode.mois
            prefix = filtres.format + SEPARATEUR
            bornes = (prefix + (debut or ""), prefix + (fin or "9999-99"))  # this format's months only
            parts.append(_part_cellules(filtres, groupe, campaign_id, FORMAT_MOIS, _entre(valeur, bornes)))
        else:
            parts.append(_part_cellules(filtres, groupe, campaign_id, "mois", _entre(valeur, periode.mois)))
    for jours in periode.jours:
        if filtres.format:  # one format's days: its few meetings, by the format-and-day index
            conds = [col(r.format) == filtres.format, *_entre(day, jours)]
            parts.append(_part_rencontres(filtres, groupe, campaign_id, conds))
        else:  # every format's days: the day cells, pre-summed per département and theme
            parts.append(_part_cellules(filtres, groupe, campaign_id, JOUR, _entre(valeur, jours)))
    return parts


def agregats_filtres(session: Session, filtres: Filtres, groupe: str) -> pd.DataFrame:
    """`agregats` for any filter but the text search, from the read model, in one statement.

    The parts' per (group, département, theme) sums (disjoint meetings: the same cells add up)
    give each theme's sums and département shares. The group's meetings need no second reading
    of the cube: without a theme filter a meeting's theme weights (`poids`, its themes' shares of
    its contributions) sum to 1, so the weights of a group sum to its meetings; with a theme
    filter each meeting citing the theme is one row, counted in `meetings`. Its départements are
    counted from the per (group, département) sizes."""
    campaign = active_campaign(session)
    assert campaign.id is not None
    parts = _parts(filtres, groupe, campaign.id, session.get_bind().dialect.name)
    if len(parts) == 1:
        per_departement = parts[0]
    else:
        u = union_all(*parts).subquery("parties").c
        per_departement = select(
            u.g, u.dep, u.theme, func.sum(u.n).label("n"), func.sum(u.meetings).label("meetings"),
            func.sum(u.score).label("score"), func.sum(u.weight).label("weight"),
        ).group_by(u.g, u.dep, u.theme)  # fmt: skip
    # Each département's size in its group, and the group's départements, from the per
    # (group, département, theme) rows computed once (MATERIALIZED): two small groupings and a
    # join cost less than window functions over the same rows (SQLite: 6.4 against 8.8 ms).
    d = per_departement.cte("par_departement").prefix_with("MATERIALIZED")
    sizes = (
        select(d.c.g, d.c.dep, func.sum(d.c.n).label("size"))
        .group_by(d.c.g, d.c.dep)
        .cte("taille_departement")
        .prefix_with("MATERIALIZED")
    )
    counted = select(sizes.c.g, func.count().label("departements")).group_by(sizes.c.g).subquery("departements")
    share = cast(d.c.n, Float) / cast(sizes.c.size, Float)
    themes = (
        select(
            d.c.g, d.c.theme, func.sum(d.c.n), func.sum(d.c.meetings), func.count(), func.sum(d.c.score),
            func.sum(d.c.weight), func.sum(share), func.max(counted.c.departements),
        )
        .join(sizes, and_(sizes.c.g == d.c.g, sizes.c.dep == d.c.dep))
        .join(counted, counted.c.g == d.c.g)
        .group_by(d.c.g, d.c.theme)
    )  # fmt: skip
    rows = session.connection().execute(themes).all()
    meetings_total: dict[str, float] = {}
    departements_total: dict[str, int] = {}
    for g, _theme, _n, meetings, _deps, _score, weight, _share, departements in rows:
        meetings_total[g] = meetings_total.get(g, 0.0) + float(meetings if filtres.theme else weight)
        departements_total[g] = int(departements)
    records = sorted(
        (g, th, int(n), int(cited), int(deps), round(float(sr), 9), round(float(w), 9), round(float(sh), 9),
         round(meetings_total[g]), departements_total[g], groupe)
        for g, th, n, cited, deps, sr, w, sh, _departements in rows
    )  # fmt: skip
    return pd.DataFrame.from_records(records, columns=AGREGATS_COLUMNS)
