"""Read model of the priorities rankings, maintained on write.

The rankings of `q2030.priorities` (all axes, by axis, by région or département, each
weighting) are sums over held meetings. Three tables keep those sums up to date:

- `cube_rencontre`: per held rencontre, axis ("*" = all axes) and theme, what the meeting
  adds: its contributions, their 1/rang sum and the theme's weight in the meeting
  (contributions / the meeting's contributions in the axis);
- `cube_theme`: campaign × axis × département × theme, the sums of `cube_rencontre`
  (contributions, meetings citing the theme, score, weight per meeting);
- `cube_groupe`: campaign × axis × département, the held meetings with contributions;
- `cube_filtre`: campaign × public ("*" = all) × (dimension, value) × axis × département ×
  theme, where the dimension is "tout" (value "*"), "format" (the meeting's format), "mois"
  ("2023-07"), "fmt_mois" (format and month: "atelier|2023-07") or "jour" ("2023-07-10"): the
  same sums per public, per format, per month, per format × month and per day, and theme "*"
  rows counting a cell's meetings. Every Priorités filter but the text search reads it or
  `cube_rencontre`: see `q2030.priorities.cube_filtres` (whole months and the days of a
  period that cut a month from `cube_filtre`; with a format, those days from `cube_rencontre`
  by its day index; a quartier's meetings by their ids).

`cube_rencontre` holds a row per meeting × public ("*" = all) × axis × theme, with the
meeting's format, month and day copied (the meeting's rows are rewritten whenever it is saved).

Every write of a rencontre or its contributions is audited as a write of the rencontre;
the transaction's after-write step (`q2030.apres_ecriture`) then calls `actualiser` on the
rencontres written, before the commit: the meeting's old rows are subtracted and its new
rows added, so a saved contribution shows at once (the Excel import: once for the file). `reconstruire`
recomputes everything from the raw rows (`python -m q2030 rebuild-agregats`, the demo
loader, the migrations that created the tables); both compute a meeting's rows with the
same query (`_lignes_rencontres`).

On PostgreSQL the cube rows are updated in key order (no deadlock between two writers);
two writers of the same département queue on the same rows, and a meeting's writers
already queue on the meeting itself (lock or compare-and-set).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import (
    CompoundSelect,
    Float,
    Select,
    String,
    case,
    cast,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, col

from q2030.comptage import compte
from q2030.db import analyser, select_columns
from q2030.frontieres import LigneSql, ValeurSql
from q2030.models import Contribution, CubeFiltre, CubeGroupe, CubeRencontre, CubeTheme, Rencontre, table_of
from q2030.nomenclature import StatutRencontre

TOUS_AXES = "*"
TOUS_PUBLICS = "*"
TOUS_THEMES = "*"  # cube_filtre rows holding a cell's meeting count (group totals)
FORMAT_MOIS = "fmt_mois"  # cube_filtre dimension: format and month, value "atelier|2023-07"
JOUR = "jour"  # cube_filtre dimension: the meeting's day, value "2023-07-10"
SEPARATEUR = "|"
CHUNK = 500  # rencontre ids per IN (...) list

_RENCONTRE_COLUMNS = [
    "rencontre_id", "public", "axe", "theme", "campaign_id", "departement_code", "format", "mois", "jour",
    "contributions", "score_rang", "poids",
]  # fmt: skip
_FILTRE_KEYS = ["campaign_id", "public", "dimension", "valeur", "axe", "departement_code", "theme"]
_SUMS = ["contributions", "rencontres", "score_rang", "poids_rencontre"]


def _lignes_rencontres(ids: list[int] | None = None) -> CompoundSelect[*LigneSql]:
    """Rows of `cube_rencontre` computed from the raw rows (all held meetings, or `ids`)."""
    reciprocal = case((col(Contribution.rang) > 0, 1.0 / cast(col(Contribution.rang), Float)), else_=0.0)
    n = func.count()
    month = func.substr(cast(col(Rencontre.date), String), 1, 7)
    day = func.substr(cast(col(Rencontre.date), String), 1, 10)

    def part(per_public: bool, per_axis: bool) -> Select[*LigneSql]:
        partition: list[Mapped[int] | Mapped[str]] = [col(Contribution.rencontre_id)]
        partition += [col(Contribution.public)] if per_public else []
        partition += [col(Contribution.axe)] if per_axis else []
        query = (
            select_columns(
                col(Contribution.rencontre_id),
                (col(Contribution.public) if per_public else literal(TOUS_PUBLICS)).label("public"),
                (col(Contribution.axe) if per_axis else literal(TOUS_AXES)).label("axe"),
                col(Contribution.theme),
                func.min(Rencontre.campaign_id).label("campaign_id"),
                func.min(Rencontre.departement_code).label("departement_code"),
                func.min(Rencontre.format).label("format"),
                func.min(month).label("mois"),
                func.min(day).label("jour"),
                n.label("contributions"),
                cast(func.sum(reciprocal), Float).label("score_rang"),
                (cast(n, Float) / cast(func.sum(n).over(partition_by=partition), Float)).label("poids"),
            )
            .select_from(Contribution)
            .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
            .where(col(Rencontre.statut) == StatutRencontre.TENUE, compte())
            .group_by(*partition, col(Contribution.theme))
        )
        if ids is not None:
            query = query.where(col(Contribution.rencontre_id).in_(ids))
        return query

    parts = [part(per_public, per_axis) for per_public in (False, True) for per_axis in (False, True)]
    return union_all(*parts)


def schema_courant(session: Session) -> bool:
    """The cube tables have the columns this module writes (a migration older than the one that
    created them skips its refill: the later migration refills them)."""
    columns = {c["name"] for c in inspect(session.connection()).get_columns(CubeRencontre.__tablename__)}
    return set(_RENCONTRE_COLUMNS) <= columns


def reconstruire(session: Session) -> dict[str, int]:
    """Recompute the four tables from the raw rows; return their row counts."""
    for table in (CubeRencontre, CubeTheme, CubeGroupe, CubeFiltre):
        session.exec(delete(table))
    session.exec(insert(CubeRencontre).from_select(_RENCONTRE_COLUMNS, _lignes_rencontres()))
    cr = CubeRencontre
    everyone = col(cr.public) == TOUS_PUBLICS
    keys = [col(cr.campaign_id), col(cr.axe), col(cr.departement_code)]
    sums = [func.sum(cr.contributions), func.count(), func.sum(cr.score_rang), func.sum(cr.poids)]
    session.exec(
        insert(CubeTheme).from_select(
            ["campaign_id", "axe", "departement_code", "theme", *_SUMS],
            select_columns(*keys, col(cr.theme), *sums).where(everyone).group_by(*keys, col(cr.theme)),
        )
    )
    session.exec(
        insert(CubeGroupe).from_select(
            ["campaign_id", "axe", "departement_code", "rencontres"],
            select(*keys, func.count(func.distinct(cr.rencontre_id))).where(everyone).group_by(*keys),
        )
    )
    dimensions = (
        ("tout", literal(TOUS_PUBLICS)),
        ("format", col(cr.format)),
        ("mois", col(cr.mois)),
        (FORMAT_MOIS, col(cr.format) + SEPARATEUR + col(cr.mois)),
        (JOUR, col(cr.jour)),
    )
    for dimension, value in dimensions:
        cell = [col(cr.campaign_id), col(cr.public), value, col(cr.axe), col(cr.departement_code)]
        grouped = [c for c in cell if dimension != "tout" or c is not value]  # never GROUP BY a parameter
        session.exec(
            insert(CubeFiltre).from_select(
                [*_FILTRE_KEYS, *_SUMS],
                select_columns(*cell[:2], literal(dimension), *cell[2:], col(cr.theme), *sums).group_by(
                    *grouped, col(cr.theme)
                ),
            )
        )
        session.exec(
            insert(CubeFiltre).from_select(
                [*_FILTRE_KEYS, *_SUMS],
                select_columns(
                    *cell[:2], literal(dimension), *cell[2:], literal(TOUS_THEMES), func.sum(cr.contributions),
                    func.count(func.distinct(cr.rencontre_id)), literal(0.0), literal(0.0),
                ).group_by(*grouped),
            )
        )  # fmt: skip
    session.flush()
    tables = (CubeRencontre, CubeTheme, CubeGroupe, CubeFiltre)
    analyser(session.connection(), [str(table.__tablename__) for table in tables])  # rebuilt: fresh statistics
    return {table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0 for table in tables}


def actualiser(session: Session, rencontre_ids: Iterable[int | None]) -> None:
    """Bring the cube in line with the raw rows of these rencontres (the after-write step of the
    transaction calls it, `q2030.apres_ecriture`)."""
    session.flush()
    ids = sorted({i for i in rencontre_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        _actualiser(session, ids[start : start + CHUNK])


Row = LigneSql  # a cube row's key and values, as read


def _deltas(old: list[Row], new: list[Row]) -> tuple[dict[Row, list[float]], dict[Row, int], dict[Row, list[float]]]:
    """What the meetings' old rows take away and their new rows add, per cube row."""
    themes: dict[Row, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    groupes: dict[Row, int] = defaultdict(int)
    filtres: dict[Row, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for rows, sign in ((old, -1), (new, 1)):
        meetings: set[Row] = set()
        cells: set[Row] = set()
        for rid, public, axe, theme, campaign_id, dep, fmt, mois, jour, n, score, poids in rows:
            if public == TOUS_PUBLICS:
                delta = themes[(campaign_id, axe, dep, theme)]
                delta[0] += sign * n
                delta[1] += sign
                delta[2] += sign * score
                delta[3] += sign * poids
                meetings.add((rid, campaign_id, axe, dep))
            values = (
                ("tout", TOUS_PUBLICS), ("format", fmt), ("mois", mois), (FORMAT_MOIS, fmt + SEPARATEUR + mois),
                (JOUR, jour),
            )  # fmt: skip
            for dimension, value in values:
                cell = (campaign_id, public, dimension, value, axe, dep)
                delta = filtres[(*cell, theme)]
                delta[0] += sign * n
                delta[1] += sign
                delta[2] += sign * score
                delta[3] += sign * poids
                filtres[(*cell, TOUS_THEMES)][0] += sign * n
                cells.add((rid, *cell))
        for _rid, campaign_id, axe, dep in meetings:
            groupes[(campaign_id, axe, dep)] += sign
        for _rid, *key in cells:
            filtres[(*key, TOUS_THEMES)][1] += sign
    return themes, groupes, filtres


def _actualiser(session: Session, ids: list[int]) -> None:
    cr = CubeRencontre
    stored = select(*(getattr(cr, c) for c in _RENCONTRE_COLUMNS)).where(col(cr.rencontre_id).in_(ids))
    old = [tuple(row) for row in session.connection().execute(stored)]
    new = [tuple(row) for row in session.connection().execute(_lignes_rencontres(ids))]
    if sorted(old) == sorted(new):
        return
    themes, groupes, filtres = _deltas(old, new)
    session.exec(delete(cr).where(col(cr.rencontre_id).in_(ids)))
    if new:
        session.exec(insert(cr), params=[dict(zip(_RENCONTRE_COLUMNS, row, strict=True)) for row in new])
    theme_rows = [
        {"campaign_id": k[0], "axe": k[1], "departement_code": k[2], "theme": k[3], "contributions": d[0],
         "rencontres": d[1], "score_rang": d[2], "poids_rencontre": d[3]}
        for k, d in sorted(themes.items())
        if d != [0, 0, 0.0, 0.0]
    ]  # fmt: skip
    groupe_rows = [
        {"campaign_id": k[0], "axe": k[1], "departement_code": k[2], "rencontres": d}
        for k, d in sorted(groupes.items())
        if d
    ]
    filtre_rows = [
        dict(zip([*_FILTRE_KEYS, *_SUMS], [*k, *d], strict=True))
        for k, d in sorted(filtres.items())
        if d != [0, 0, 0.0, 0.0]
    ]
    _ajouter(session, CubeTheme, theme_rows, _SUMS)
    _ajouter(session, CubeGroupe, groupe_rows, ["rencontres"])
    _ajouter(session, CubeFiltre, filtre_rows, _SUMS)
    session.exec(delete(CubeTheme).where(col(CubeTheme.contributions) <= 0))
    session.exec(delete(CubeGroupe).where(col(CubeGroupe.rencontres) <= 0))
    session.exec(delete(CubeFiltre).where(col(CubeFiltre.rencontres) <= 0))


def _ajouter(session: Session, model: type[SQLModel], rows: list[dict[str, ValeurSql]], summed: list[str]) -> None:
    """Add the deltas to the cube rows (insert the missing ones), in key order."""
    if not rows:
        return
    table = table_of(model)
    statement = postgresql.insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in summed},
    )
    session.exec(statement, params=rows)
