"""Themes ranked within groups, from the read model (q2030.cube) or the raw rows.

Weightings (`ponderation`):
- "contribution": each contribution counts 1 (raw counts);
- "rencontre": each rencontre counts 1: a theme weighs, in a meeting, its contributions
  divided by the meeting's contributions (within the group and the filters), so that a
  meeting that produced 80 contributions does not drown one that produced 5;
- "departement": each département counts 1, in the same way.
`part` is the theme's weight divided by the group's total weight (shares sum to 1).

Rank-weighted score (`score_rang`): the sum, over the theme's contributions, of 1 / rang
(reciprocal rank; unranked contributions count 0). Theme aggregates are national for everyone,
except under a text search (`Filtres.recherche`): whether a word appears in a text is the text
itself, so every count of a search is computed within the actor's reading scope (`filtres.lecture`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, SQLColumnExpression, case, cast, func, literal, select
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import Label
from sqlmodel import Session, col

from q2030.access import Lecteur
from q2030.campaigns import active_campaign
from q2030.cube import TOUS_AXES
from q2030.errors import ValidationError
from q2030.frontieres import LigneSql
from q2030.models import Contribution, CubeGroupe, CubeTheme, Departement, Rencontre
from q2030.nomenclature import AXES, theme_label
from q2030.priorities import index_recherche
from q2030.priorities.cube_filtres import AGREGATS_COLUMNS, agregats_filtres, decouper
from q2030.priorities.filtres import (
    GROUPES,
    PONDERATIONS,
    TOUS,
    TRIS,
    Filtres,
    conditions,
    jointures,
    lecture,
    lit_departement,
    recherche_jointe,
    valider,
)
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.textnorm import normalize

_GROUP_COLUMNS = {
    "axe": Contribution.axe,
    "region": Departement.region_code,
    "departement": Rencontre.departement_code,
}


def _libelle_groupe(groupe: str, code: str) -> str:
    if groupe == "axe":
        return AXES.get(code, code)
    if groupe == "region":
        return REGIONS.get(code, code)
    if groupe == "departement":
        return f"{code} – {DEPARTEMENTS[code][0]}" if code in DEPARTEMENTS else code
    return "Tous axes"


def classement(
    session: Session,
    *,
    actor: Lecteur,
    filtres: Filtres,
    ponderation: str = "contribution",
    groupe: str = "axe",
    tri: str = "poids",
) -> pd.DataFrame:
    """Themes ranked within each group ("axe", "region", "departement" or "aucun").

    Columns: groupe, groupe_libelle, rang, theme, theme_libelle, contributions, rencontres,
    rencontres_total, part_rencontres, departements, poids, part, score_rang.
    """
    return classer(agregats(session, actor=actor, filtres=filtres, groupe=groupe), ponderation=ponderation, tri=tri)


CLASSEMENT_COLUMNS = [
    "groupe", "groupe_libelle", "rang", "theme", "theme_libelle", "contributions", "rencontres",
    "rencontres_total", "part_rencontres", "departements", "poids", "part", "score_rang",
]  # fmt: skip


def agregats(session: Session, *, actor: Lecteur, filtres: Filtres, groupe: str = "axe") -> pd.DataFrame:
    """The SQL part of a ranking: every count and weight per (group, theme), unranked.

    Cheap to cache: `classer` turns it into a ranking for any weighting and order.
    """
    if groupe not in GROUPES:
        raise ValidationError({"groupe": [f"Regroupement inconnu : « {groupe} »."]})
    if _depuis_cube(filtres):  # national for every role
        return _agregats_cube(session, filtres, groupe)
    # A text search, or a period cutting months (the read model's day cells are many): the
    # index in memory, once built for this data version.
    index = index_recherche.a_jour(session) if _par_index(filtres) else None
    if index is not None:
        return _assembler(*index_recherche.lignes(session, index, filtres, groupe, actor), groupe)
    if _depuis_cube_filtre(filtres):  # national for every role
        valider(filtres)
        return agregats_filtres(session, filtres, groupe)
    return _assembler(*_lignes_brutes(session, filtres, groupe, lecture(actor, filtres)), groupe)


_ROWS = ["g", "dep", "theme", "contributions", "rencontres", "score_rang", "poids_rencontre"]


def _depuis_cube(filtres: Filtres) -> bool:
    """The read model (q2030.cube) answers the territory and axis filters; the others read raw rows."""
    return not (
        filtres.qpv or filtres.theme or filtres.public or filtres.debut or filtres.fin or filtres.format
        or normalize(filtres.recherche)
    )  # fmt: skip


def _par_index(filtres: Filtres) -> bool:
    """Whether the index in memory (`index_recherche`) answers best: a text search, or a period
    that cuts a month (the read model then sums a day cell per meeting day and theme)."""
    return bool(normalize(filtres.recherche)) or bool(decouper(filtres.debut, filtres.fin).jours)


def _depuis_cube_filtre(filtres: Filtres) -> bool:
    """Every filter but the text search reads the read model's filtered shapes (`cube_filtres`)."""
    return not normalize(filtres.recherche)


def _agregats_cube(session: Session, filtres: Filtres, groupe: str) -> pd.DataFrame:
    """`agregats` from the read model: a few hundred cube rows summed in SQL, a few dozen returned."""
    valider(filtres)
    campaign = active_campaign(session)
    per_axis = groupe == "axe"

    def where(model: type[CubeTheme] | type[CubeGroupe]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [col(model.campaign_id) == campaign.id]
        if filtres.axe:
            conds.append(col(model.axe) == filtres.axe)
        elif per_axis:
            conds.append(col(model.axe) != TOUS_AXES)
        else:
            conds.append(col(model.axe) == TOUS_AXES)
        if filtres.departement:
            conds.append(col(model.departement_code) == filtres.departement)
        if filtres.region:
            conds.append(col(Departement.region_code) == filtres.region)
        return conds

    def key(model: type[CubeTheme] | type[CubeGroupe]) -> SQLColumnExpression[str]:
        keys: dict[str, SQLColumnExpression[str]] = {
            "axe": col(model.axe),
            "region": col(Departement.region_code),
            "departement": col(model.departement_code),
            "aucun": literal(TOUS),
        }
        return keys[groupe]

    ct, cg = CubeTheme, CubeGroupe
    # A theme's weight in a département: its contributions / the département's (in the group).
    departement_share = cast(ct.contributions, Float) / cast(
        func.sum(ct.contributions).over(partition_by=[key(ct), ct.departement_code]), Float
    )
    per_departement = (
        select(
            key(ct).label("g"),
            col(ct.theme),
            col(ct.contributions),
            col(ct.rencontres),
            col(ct.score_rang),
            col(ct.poids_rencontre),
            departement_share.label("pd"),
        )
        .join(Departement, col(Departement.code) == col(ct.departement_code))
        .where(*where(ct))
        .subquery("par_departement")
    )
    d = per_departement.c
    themes: Select[*LigneSql] = select(
        d.g, d.theme, func.sum(d.contributions), func.sum(d.rencontres), func.count(), func.sum(d.score_rang),
        func.sum(d.poids_rencontre), func.sum(d.pd),
    ).group_by(d.g, d.theme)  # fmt: skip
    groups: Select[str, int, int] = (
        select(key(cg).label("g"), func.sum(col(cg.rencontres)), func.count())
        .join(Departement, col(Departement.code) == col(cg.departement_code))
        .where(*where(cg))
        .group_by("g")
    )
    connection = session.connection()  # Core rows: no ORM work for a few dozen tuples
    totals = {g: (int(meetings), int(deps)) for g, meetings, deps in connection.execute(groups)}
    # The cube's sums are kept by additions and subtractions: equal to a rebuild up to
    # rounding, so ties rank the same way.
    records = sorted(
        (g, theme, int(n), int(meetings), int(deps), round(float(score), 9), round(float(weight), 9),
         round(float(share), 9), *totals[g], groupe)
        for g, theme, n, meetings, deps, score, weight, share in connection.execute(themes)
    )  # fmt: skip
    return pd.DataFrame.from_records(records, columns=_AGREGATS_COLUMNS)


def _lignes_brutes(
    session: Session, filtres: Filtres, groupe: str, lecture: list[ColumnElement[bool]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same figures as `_lignes_cube`, computed from the raw rows (any filter, plus `lecture`),
    in one statement: the text search is looked up once (on SQLite its FTS5 matches drive it)."""
    fts, search = recherche_jointe(session, filtres.recherche)
    conds = [*conditions(session, filtres, recherche=False), *search, *lecture]
    key = _GROUP_COLUMNS.get(groupe)
    # Inner level, one row per (meeting, theme[, axis]): n, 1/rang sum and the meeting's size
    # in the group (window). Grouping by the meeting and theme only (région and département
    # are the meeting's: taken with min()) lets SQLite read the covering index
    # ix_contribution_agregats (rencontre_id, theme, axe, ...) without touching the texts.
    # `premier` marks each meeting's first row in the group: their sum counts the meetings.
    per_axis = groupe == "axe"
    inner_keys: list[Label[str]] = [col(Contribution.axe).label("g")] if per_axis else []
    meeting_key = [func.min(key).label("g")] if key is not None and not per_axis else []
    # Floats, as the read model sums them (PostgreSQL would otherwise compute `1.0 / rang` in numeric, slower).
    reciprocal = case((col(Contribution.rang) > 0, 1.0 / cast(col(Contribution.rang), Float)), else_=0.0)
    partition: list[Mapped[int] | Mapped[str]] = [
        col(Contribution.rencontre_id),
        *([col(Contribution.axe)] if per_axis else []),
    ]
    # The meeting's first theme (its themes are one row each): one window over the same partition
    # as the meeting's size, so one sort (row_number() ordered by theme needed a second one).
    first = func.min(col(Contribution.theme)).over(partition_by=partition)
    inner = (
        jointures(
            select(
                *inner_keys,
                *meeting_key,
                col(Contribution.rencontre_id).label("rid"),
                func.min(Rencontre.departement_code).label("dep"),
                col(Contribution.theme).label("theme"),
                func.count().label("n"),
                func.sum(reciprocal).label("sr"),
                func.sum(func.count()).over(partition_by=partition).label("mn"),
                case((col(Contribution.theme) == first, 1), else_=0).label("premier"),
            ),
            fts,
            departement=lit_departement(*conds, *([key] if key is not None else [])),
        )
        .where(*conds)
        # Same order as the window's partition: SQLite then sorts once.
        .group_by(*partition, col(Contribution.theme))
        .subquery("par_rencontre")
    )
    gk = [inner.c.g] if key is not None else []
    # Outer level, per (group, département, theme): a few thousand rows at most. A theme's
    # weight in a meeting is n / meeting size; the département weight is computed below
    # from these rows (n / département size), a reshaping of a small result.
    outer: Select[*LigneSql] = select(
        *gk,
        inner.c.dep,
        inner.c.theme,
        func.sum(inner.c.n).label("contributions"),
        func.count().label("rencontres"),
        func.sum(inner.c.sr).label("score_rang"),
        func.sum(cast(inner.c.n, Float) / cast(inner.c.mn, Float)).label("poids_rencontre"),
        func.sum(inner.c.premier).label("premiers"),
    ).group_by(*gk, inner.c.dep, inner.c.theme)
    names = (["g"] if key is not None else []) + [*_ROWS[1:], "premiers"]
    rows = pd.DataFrame(session.connection().execute(outer).all(), columns=names)
    if key is None:
        rows.insert(0, "g", TOUS)
    return rows, rows.groupby("g", as_index=False)["premiers"].sum().rename(columns={"premiers": "rencontres_total"})


_AGREGATS_COLUMNS = AGREGATS_COLUMNS


@dataclass
class _Somme:
    """A (group, theme)'s running sums in `_assembler`."""

    n: int = 0
    meetings: int = 0
    departements: set[str] = field(default_factory=set)
    score: float = 0.0
    weight: float = 0.0
    share: float = 0.0


def _assembler(rows: pd.DataFrame, totals: pd.DataFrame, groupe: str) -> pd.DataFrame:
    """Per (group, theme) sums of the per (group, département, theme) rows, plus the group totals.

    Plain Python over a few hundred to a few thousand rows: pandas' groupby and merges cost
    ten times more than the read model's query here.
    """
    if rows.empty:
        return pd.DataFrame(columns=_AGREGATS_COLUMNS)
    # Same order whatever the source (cube or raw rows): the float sums then agree.
    ordered = sorted(
        (str(g), str(dep), str(theme), int(n), int(meetings), float(score), float(weight))
        for g, dep, theme, n, meetings, score, weight in zip(*(rows[c].tolist() for c in _ROWS), strict=True)
    )
    per_departement: dict[tuple[str, str], int] = {}
    for g, dep, _theme, n, *_rest in ordered:
        per_departement[(g, dep)] = per_departement.get((g, dep), 0) + n
    sums: dict[tuple[str, str], _Somme] = {}
    departements: dict[str, set[str]] = {}
    for g, dep, theme, n, meetings, score, weight in ordered:
        acc = sums.setdefault((g, theme), _Somme())
        acc.n += n
        acc.meetings += meetings
        acc.departements.add(dep)
        acc.score += score
        acc.weight += weight
        acc.share += n / per_departement[(g, dep)]
        departements.setdefault(g, set()).add(dep)
    pairs = zip(totals["g"].tolist(), totals["rencontres_total"].tolist(), strict=True)
    rencontres_total = {str(g): int(total) for g, total in pairs}
    # The cube's sums are kept by additions and subtractions: equal to a rebuild up to
    # rounding, so ties rank the same way.
    records = [
        (g, theme, acc.n, acc.meetings, len(acc.departements), round(acc.score, 9), round(acc.weight, 9),
         round(acc.share, 9), rencontres_total[g], len(departements[g]), groupe)
        for (g, theme), acc in sorted(sums.items())
    ]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=_AGREGATS_COLUMNS)


_POIDS = {"contribution": "contributions", "rencontre": "poids_rencontre", "departement": "poids_departement"}
_ORDRE = {
    "poids": ("poids", "contributions"),
    "score_rang": ("score_rang", "poids"),
    "rencontres": ("rencontres", "poids"),
}


def classer(df: pd.DataFrame, *, ponderation: str = "contribution", tri: str = "poids") -> pd.DataFrame:
    """Rank the themes of `agregats` within each group (pure, no database).

    Plain Python over a few dozen to a few hundred rows (pandas' groupby, sort and column
    inserts cost several milliseconds here, on every change of weighting or order)."""
    if ponderation not in PONDERATIONS:
        raise ValidationError({"ponderation": [f"Pondération inconnue : « {ponderation} »."]})
    if tri not in TRIS:
        raise ValidationError({"tri": [f"Tri inconnu : « {tri} »."]})
    if df.empty:
        return pd.DataFrame(columns=CLASSEMENT_COLUMNS)
    columns = ["g", "theme", "contributions", "rencontres", "departements", "score_rang", _POIDS[ponderation],
               "rencontres_total", "groupe_type"]  # fmt: skip
    rows = [
        {"groupe": g, "theme": theme, "contributions": int(n), "rencontres": int(m), "departements": int(deps),
         "score_rang": float(score), "poids": float(weight), "rencontres_total": int(total), "groupe_type": kind}
        # Column lists zipped: `itertuples` over a selection costs ~20 times more for a few dozen rows.
        for g, theme, n, m, deps, score, weight, total, kind in zip(*(df[c].tolist() for c in columns), strict=True)
    ]  # fmt: skip
    weights: dict[str, float] = {}
    for row in rows:
        weights[row["groupe"]] = weights.get(row["groupe"], 0.0) + row["poids"]
    for row in rows:
        total = weights[row["groupe"]]
        row["part"] = row["poids"] / total if total else float("nan")
        meetings = row["rencontres_total"]
        row["part_rencontres"] = row["rencontres"] / meetings if meetings else float("nan")
        row["theme_libelle"] = theme_label(row["theme"])
        row["groupe_libelle"] = _libelle_groupe(row["groupe_type"], row["groupe"])
    first, second = _ORDRE[tri]
    # Group ascending, the two figures descending, the label ascending; stable like a mergesort.
    rows.sort(key=lambda r: (r["groupe"], -r[first], -r[second], r["theme_libelle"]))
    rang: dict[str, int] = {}
    for row in rows:
        row["rang"] = rang[row["groupe"]] = rang.get(row["groupe"], 0) + 1
    return pd.DataFrame.from_records([[row[c] for c in CLASSEMENT_COLUMNS] for row in rows], columns=CLASSEMENT_COLUMNS)


def carte_de_chaleur(
    session: Session, *, actor: Lecteur, filtres: Filtres, ponderation: str = "contribution"
) -> pd.DataFrame:
    """Axe × thème: one row per cell that has contributions (long form, for a heatmap)."""
    return classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="axe")


def par_region(
    session: Session, *, actor: Lecteur, filtres: Filtres, ponderation: str = "contribution", top: int = 5
) -> pd.DataFrame:
    """The `top` first themes of each région (small multiples)."""
    df = classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="region")
    return df[df["rang"] <= top].reset_index(drop=True)


def comparaison(
    session: Session, *, actor: Lecteur, filtres: Filtres, ponderation: str = "contribution"
) -> pd.DataFrame:
    """Each theme in the territory of `filtres` against the same filters nationally.

    indice = part in the territory / part nationally (> 1: over-represented). Themes
    absent from the territory appear with 0 so that an absence is visible too.
    """
    if not (filtres.region or filtres.departement or filtres.qpv):
        raise ValidationError({"territoire": ["Choisissez une région, un département ou un quartier à comparer."]})
    keep = ["theme", "theme_libelle", "contributions", "rencontres", "poids", "part"]
    local = classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="aucun")[keep]
    national = classement(session, actor=actor, filtres=filtres.territoire(), ponderation=ponderation, groupe="aucun")[
        keep
    ]
    df = national.merge(local, on=["theme", "theme_libelle"], how="left", suffixes=("_national", "_territoire"))
    for column in ("contributions_territoire", "rencontres_territoire"):
        df[column] = df[column].fillna(0).astype(int)
    for column in ("poids_territoire", "part_territoire"):
        df[column] = df[column].fillna(0.0).astype(float)
    df["indice"] = df["part_territoire"] / df["part_national"]
    df["ecart_points"] = (df["part_territoire"] - df["part_national"]) * 100
    df = df.sort_values(["indice", "theme_libelle"], ascending=[False, True], kind="mergesort")
    return df.reset_index(drop=True)
