"""Read model of the priorities rankings, maintained on write.

The rankings of `q2030.priorities` (all axes, by axis, by région or département, each
weighting) are sums over held meetings. Three tables keep those sums up to date:

- `cube_rencontre`: per held rencontre, axis ("*" = all axes) and theme, what the meeting
  adds: its contributions, their 1/rang sum and the theme's weight in the meeting
  (contributions / the meeting's contributions in the axis);
- `cube_theme`: campaign × axis × département × theme, the sums of `cube_rencontre`
  (contributions, meetings citing the theme, score, weight per meeting);
- `cube_groupe`: campaign × axis × département, the held meetings with contributions.

Every write of a rencontre or its contributions is audited as a write of the rencontre;
the transaction's after-write step (`q2030.apres_ecriture`) then calls `actualiser` on the
rencontres written, before the commit: the meeting's old rows are subtracted and its new
rows added, so a saved contribution shows at once (the Excel import: once for the file). `reconstruire`
recomputes everything from the raw rows (`python -m q2030 rebuild-agregats`, the demo
loader, the migration that created the tables); both compute a meeting's rows with the
same query (`_lignes_rencontres`).

On PostgreSQL the cube rows are updated in key order (no deadlock between two writers);
two writers of the same département queue on the same rows, and a meeting's writers
already queue on the meeting itself (lock or compare-and-set).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Float, Select, case, cast, delete, func, insert, literal, select
from sqlmodel import Session

from q2030.models import Contribution, CubeGroupe, CubeRencontre, CubeTheme, Rencontre
from q2030.nomenclature import StatutRencontre

TOUS_AXES = "*"
CHUNK = 500  # rencontre ids per IN (...) list

_RENCONTRE_COLUMNS = [
    "rencontre_id", "axe", "theme", "campaign_id", "departement_code", "contributions", "score_rang", "poids",
]  # fmt: skip


def _lignes_rencontres(ids: list[int] | None = None) -> Select:
    """Rows of `cube_rencontre` computed from the raw rows (all held meetings, or `ids`)."""
    reciprocal = case((Contribution.rang > 0, 1.0 / cast(Contribution.rang, Float)), else_=0.0)  # type: ignore[operator]
    n = func.count()

    def part(per_axis: bool) -> Select:
        partition = [Contribution.rencontre_id, *([Contribution.axe] if per_axis else [])]
        query = (
            select(
                Contribution.rencontre_id,
                (Contribution.axe if per_axis else literal(TOUS_AXES)).label("axe"),
                Contribution.theme,
                func.min(Rencontre.campaign_id).label("campaign_id"),
                func.min(Rencontre.departement_code).label("departement_code"),
                n.label("contributions"),
                cast(func.sum(reciprocal), Float).label("score_rang"),
                (cast(n, Float) / cast(func.sum(n).over(partition_by=partition), Float)).label("poids"),
            )
            .select_from(Contribution)
            .join(Rencontre, Rencontre.id == Contribution.rencontre_id)
            .where(Rencontre.statut == StatutRencontre.TENUE)
            .group_by(*partition, Contribution.theme)
        )
        if ids is not None:
            query = query.where(Contribution.rencontre_id.in_(ids))  # type: ignore[attr-defined]
        return query

    return part(True).union_all(part(False))  # type: ignore[return-value]


def reconstruire(session: Session) -> dict[str, int]:
    """Recompute the three tables from the raw rows; return their row counts."""
    for table in (CubeRencontre, CubeTheme, CubeGroupe):
        session.exec(delete(table))
    session.exec(insert(CubeRencontre).from_select(_RENCONTRE_COLUMNS, _lignes_rencontres()))
    cr = CubeRencontre
    keys = [cr.campaign_id, cr.axe, cr.departement_code]
    sums = [func.sum(cr.contributions), func.count(), func.sum(cr.score_rang), func.sum(cr.poids)]
    theme_columns = ["contributions", "rencontres", "score_rang", "poids_rencontre"]
    session.exec(
        insert(CubeTheme).from_select(
            ["campaign_id", "axe", "departement_code", "theme", *theme_columns],
            select(*keys, cr.theme, *sums).group_by(*keys, cr.theme),
        )
    )
    session.exec(
        insert(CubeGroupe).from_select(
            ["campaign_id", "axe", "departement_code", "rencontres"],
            select(*keys, func.count(func.distinct(cr.rencontre_id))).group_by(*keys),
        )
    )
    session.flush()
    return {
        table.__tablename__: session.exec(select(func.count()).select_from(table)).one()  # type: ignore[call-overload]
        for table in (CubeRencontre, CubeTheme, CubeGroupe)
    }


def actualiser(session: Session, rencontre_ids: Iterable[int | None]) -> None:
    """Bring the cube in line with the raw rows of these rencontres (the after-write step of the
    transaction calls it, `q2030.apres_ecriture`)."""
    session.flush()
    ids = sorted({i for i in rencontre_ids if i is not None})
    for start in range(0, len(ids), CHUNK):
        _actualiser(session, ids[start : start + CHUNK])


def _actualiser(session: Session, ids: list[int]) -> None:
    cr = CubeRencontre
    stored = select(*(getattr(cr, c) for c in _RENCONTRE_COLUMNS)).where(cr.rencontre_id.in_(ids))  # type: ignore[attr-defined]
    old = [tuple(row) for row in session.exec(stored)]  # type: ignore[call-overload]
    new = [tuple(row) for row in session.exec(_lignes_rencontres(ids))]  # type: ignore[call-overload]
    if sorted(old) == sorted(new):
        return
    themes: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    groupes: dict[tuple[Any, ...], int] = defaultdict(int)
    for rows, sign in ((old, -1), (new, 1)):
        meetings: set[tuple[Any, ...]] = set()
        for rid, axe, theme, campaign_id, dep, n, score, poids in rows:
            delta = themes[(campaign_id, axe, dep, theme)]
            delta[0] += sign * n
            delta[1] += sign
            delta[2] += sign * score
            delta[3] += sign * poids
            meetings.add((rid, campaign_id, axe, dep))
        for _rid, campaign_id, axe, dep in meetings:
            groupes[(campaign_id, axe, dep)] += sign
    session.exec(delete(cr).where(cr.rencontre_id.in_(ids)))  # type: ignore[attr-defined]
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
    _ajouter(session, CubeTheme, theme_rows, ["contributions", "rencontres", "score_rang", "poids_rencontre"])
    _ajouter(session, CubeGroupe, groupe_rows, ["rencontres"])
    session.exec(delete(CubeTheme).where(CubeTheme.contributions <= 0))  # type: ignore[arg-type]
    session.exec(delete(CubeGroupe).where(CubeGroupe.rencontres <= 0))  # type: ignore[arg-type]


def _ajouter(session: Session, model: type, rows: list[dict[str, Any]], summed: list[str]) -> None:
    """Add the deltas to the cube rows (insert the missing ones), in key order."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table)
    keys = [column.name for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in summed},
    )
    session.exec(statement, params=rows)
