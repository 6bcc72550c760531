"""Filtered rankings from the read model (q2030.cube): public, format, period, quartier, theme.

Two shapes answer every filter but the text search:
- `cube_filtre` (campaign × public × axis × département × format or month × theme) when the
  meeting filters are one format or whole months (or none): a few thousand rows per view;
- `cube_rencontre` (per held meeting × public × axis × theme) joined at query time to the
  small meeting table for any other period, a quartier, or a format with a period.

A meeting filter selects whole meetings, so a meeting's rows (its weights within the public
and axis) are the same as the raw rows' under that filter. A theme filter keeps only that
theme's rows: each meeting then weighs 1 (`rencontres`), as the raw rows compute it.
Both shapes return the same columns as `agregation._assembler` (equal up to rounding).
"""

from __future__ import annotations

import calendar
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, SQLColumnExpression, cast, func, literal, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from q2030.campaigns import active_campaign
from q2030.cube import TOUS_AXES, TOUS_PUBLICS, TOUS_THEMES
from q2030.models import CubeFiltre, CubeRencontre, Departement, Rencontre, RencontreQpv
from q2030.priorities.filtres import TOUS, Filtres

AGREGATS_COLUMNS = [
    "g", "theme", "contributions", "rencontres", "departements", "score_rang", "poids_rencontre",
    "poids_departement", "rencontres_total", "departements_total", "groupe_type",
]  # fmt: skip


def _mois(filtres: Filtres) -> tuple[str | None, str | None] | None:
    """The period as whole months ("2023-07", inclusive bounds), or None when it cuts a month."""
    debut = fin = None
    if filtres.debut:
        if filtres.debut.day != 1:
            return None
        debut = f"{filtres.debut:%Y-%m}"
    if filtres.fin:
        if filtres.fin.day != calendar.monthrange(filtres.fin.year, filtres.fin.month)[1]:
            return None
        fin = f"{filtres.fin:%Y-%m}"
    return debut, fin


def _cellule(filtres: Filtres) -> tuple[str, list[ColumnElement[bool]]] | None:
    """(dimension, conditions on `valeur`) of `cube_filtre` answering the meeting filters, if any."""
    if filtres.qpv:
        return None
    valeur = col(CubeFiltre.valeur)
    months = _mois(filtres) if filtres.debut or filtres.fin else (None, None)
    if months is None:
        return None
    if filtres.format and (filtres.debut or filtres.fin):
        return None
    if filtres.format:
        return "format", [valeur == filtres.format]
    if filtres.debut or filtres.fin:
        debut, fin = months
        conds = [valeur >= debut] if debut else []
        return "mois", conds + ([valeur <= fin] if fin else [])
    return "tout", [valeur == TOUS_PUBLICS]


def _key(groupe: str, axe: Mapped[str], dep: Mapped[str]) -> SQLColumnExpression[str]:
    keys: dict[str, SQLColumnExpression[str]] = {
        "axe": axe,
        "region": col(Departement.region_code),
        "departement": dep,
        "aucun": literal(TOUS),
    }
    return keys[groupe]


def _axes(filtres: Filtres, groupe: str, axe: Mapped[str]) -> ColumnElement[bool]:
    if filtres.axe:
        return axe == filtres.axe
    return (axe != TOUS_AXES) if groupe == "axe" else (axe == TOUS_AXES)


def agregats_filtres(session: Session, filtres: Filtres, groupe: str) -> pd.DataFrame:
    """`agregats` for any filter but the text search, from the read model."""
    campaign = active_campaign(session)
    cell = _cellule(filtres)
    territory: list[ColumnElement[bool]] = []
    meetings: Any
    if cell is not None:
        f = CubeFiltre
        dimension, values = cell
        dep = col(f.departement_code)
        conds = [
            col(f.campaign_id) == campaign.id,
            col(f.public) == (filtres.public or TOUS_PUBLICS),
            col(f.dimension) == dimension,
            *values,
            _axes(filtres, groupe, col(f.axe)),
        ]
        base: Select[Any] = select().select_from(f)
        theme, axe = col(f.theme), col(f.axe)
        n, meetings, score, weight = (
            col(f.contributions),
            func.sum(f.rencontres),
            col(f.score_rang),
            col(f.poids_rencontre),
        )
        total_meetings: Any = func.sum(f.rencontres)
    else:
        r = CubeRencontre
        dep = col(r.departement_code)
        conds = [
            col(r.campaign_id) == campaign.id,
            col(r.public) == (filtres.public or TOUS_PUBLICS),
            _axes(filtres, groupe, col(r.axe)),
        ]
        if filtres.format:
            conds.append(col(Rencontre.format) == filtres.format)
        if filtres.debut:
            conds.append(col(Rencontre.date) >= filtres.debut)
        if filtres.fin:
            conds.append(col(Rencontre.date) <= filtres.fin)
        if filtres.qpv:
            # The quartier's few meetings drive the query (an IN list on the meeting's key).
            linked = select(col(RencontreQpv.rencontre_id)).where(col(RencontreQpv.qpv_code) == filtres.qpv)
            conds.append(col(Rencontre.id).in_(linked))
        base = select().select_from(Rencontre).join(r, col(r.rencontre_id) == col(Rencontre.id))
        theme, axe = col(r.theme), col(r.axe)
        n, score, weight = col(r.contributions), col(r.score_rang), col(r.poids)
        meetings = func.count()
        total_meetings = func.count(func.distinct(col(r.rencontre_id)))
    if filtres.region or groupe == "region":  # the région is the département's: joined only when needed
        base = base.join(Departement, col(Departement.code) == dep)
    if filtres.departement:
        territory.append(dep == filtres.departement)
    if filtres.region:
        territory.append(col(Departement.region_code) == filtres.region)
    key = _key(groupe, axe, dep)
    if filtres.theme:  # one theme: every meeting citing it weighs 1 (its whole share)
        themes_cond = [theme == filtres.theme]
        weight_sum: Any = meetings
        totals_cond = themes_cond
    else:
        themes_cond = [theme != TOUS_THEMES]
        weight_sum = func.sum(weight)
        totals_cond = [theme == TOUS_THEMES] if cell is not None else []
    per_departement = (
        base.add_columns(
            key.label("g"),
            dep.label("dep"),
            theme.label("theme"),
            func.sum(n).label("n"),
            meetings.label("meetings"),
            func.sum(score).label("score"),
            weight_sum.label("weight"),
        )
        .where(*conds, *territory, *themes_cond)
        .group_by(key, dep, theme)
        .subquery("par_departement")
    )
    d = per_departement.c
    share = cast(d.n, Float) / cast(func.sum(d.n).over(partition_by=[d.g, d.dep]), Float)
    shares = select(d.g, d.theme, d.n, d.meetings, d.score, d.weight, share.label("share")).subquery("parts")
    s = shares.c
    themes = select(
        s.g, s.theme, func.sum(s.n), func.sum(s.meetings), func.count(), func.sum(s.score), func.sum(s.weight),
        func.sum(s.share),
    ).group_by(s.g, s.theme)  # fmt: skip
    totals = (
        base.add_columns(key.label("g"), total_meetings, func.count(func.distinct(dep)))
        .where(*conds, *territory, *totals_cond)
        .group_by(key)
    )
    connection = session.connection()
    group_totals = {g: (int(m), int(deps)) for g, m, deps in connection.execute(totals)}
    records = sorted(
        (g, th, int(count), int(cited), int(deps), round(float(sr), 9), round(float(w), 9), round(float(sh), 9),
         *group_totals[g], groupe)
        for g, th, count, cited, deps, sr, w, sh in connection.execute(themes)
    )  # fmt: skip
    return pd.DataFrame.from_records(records, columns=AGREGATS_COLUMNS)
