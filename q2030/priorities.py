"""What residents asked for: themes ranked, compared, searched, traced back to their sources.

Only contributions of rencontres *tenues* of the active campaign count. Every aggregate
is computed in SQL with the filters in the WHERE clause; pandas only reshapes results of a
few dozen rows. The Excel export (q2030.excel) must call `classement` so that the workbook
and the page show the same ranking.

Weightings (`ponderation`):
- "contribution": each contribution counts 1 (raw counts);
- "rencontre": each rencontre counts 1: a theme weighs, in a meeting, its contributions
  divided by the meeting's contributions (within the group and the filters), so that a
  meeting that produced 80 contributions does not drown one that produced 5;
- "departement": each département counts 1, in the same way (a département that logged
  many meetings does not drown the others).
`part` is the theme's weight divided by the group's total weight (shares sum to 1).

Rank-weighted score (`score_rang`): the sum, over the theme's contributions, of 1 / rang
(reciprocal rank: ranked 1st counts 1, 2nd 1/2, 3rd 1/3...; unranked contributions count
0). Chosen over a Borda count ((n+1-rang)/n) because it does not depend on how many
contributions a meeting listed and strongly favours what meetings put first.

Contribution texts are listed only within the actor's reading scope (référent: its
département; préfecture de région: its région; commission and administrators: all);
so are the recurring words and phrases and their counts (they are text). Theme aggregates
are national for everyone, except under a text search (`Filtres.recherche`): whether a
word appears in a text is the text itself, so every count of a search is computed within
the actor's reading scope (`_lecture`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

import pandas as pd
from sqlalchemy import ColumnElement, Float, Select, case, cast, exists, func, literal
from sqlmodel import Session, col, select

from q2030.access import Actor, scope_clause
from q2030.bootstrap import active_campaign
from q2030.csv_export import to_csv
from q2030.cube import TOUS_AXES
from q2030.errors import ValidationError
from q2030.formatting import fr_date
from q2030.models import Contribution, CubeGroupe, CubeTheme, Departement, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import AXES, FORMATS, PUBLICS, THEMES, Role, StatutRencontre, theme_label
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.safe_text import text_cell
from q2030.stopwords import STOP_WORDS
from q2030.textnorm import normalize

PONDERATIONS: dict[str, str] = {
    "contribution": "Chaque contribution compte pour un",
    "rencontre": "Chaque rencontre compte pour un",
    "departement": "Chaque département compte pour un",
}
TRIS: dict[str, str] = {
    "poids": "Poids (selon la pondération)",
    "score_rang": "Score de rang (1/rang)",
    "rencontres": "Nombre de rencontres",
}
GROUPES = ("axe", "region", "departement", "aucun")
TOUS = "tous"
MAX_LIGNES = 500  # contributions listed on screen; exports have them all


@dataclass(frozen=True)
class Filtres:
    """The shared filters of the results pages (None = no restriction). Hashable: a cache key."""

    region: str | None = None
    departement: str | None = None
    qpv: str | None = None
    axe: str | None = None
    theme: str | None = None
    public: str | None = None
    debut: dt.date | None = None
    fin: dt.date | None = None
    format: str | None = None
    recherche: str = ""  # words that must all appear in the text (accents and case ignored)

    def territoire(self) -> Filtres:
        """The same filters at national scale (for comparisons)."""
        return replace(self, region=None, departement=None, qpv=None)

    def decrire(self) -> list[tuple[str, str]]:
        """(label, value) of the active filters, in French, for exports and captions."""
        rows = [
            ("Région", REGIONS.get(self.region or "", self.region or "")),
            ("Département", f"{self.departement} – {DEPARTEMENTS[self.departement][0]}" if self.departement else ""),
            ("Quartier (QPV)", self.qpv or ""),
            ("Axe", AXES.get(self.axe or "", "")),
            ("Thème", theme_label(self.theme) if self.theme else ""),
            ("Public", PUBLICS.get(self.public or "", "")),
            ("Du", fr_date(self.debut)),
            ("Au", fr_date(self.fin)),
            ("Format", FORMATS.get(self.format or "", "")),
            ("Recherche", self.recherche),
        ]
        return [(label, value) for label, value in rows if value]


def valider(filtres: Filtres) -> None:
    errors: dict[str, list[str]] = {}
    checks = [
        ("region", filtres.region, REGIONS, "Région inconnue"),
        ("departement", filtres.departement, DEPARTEMENTS, "Département inconnu"),
        ("axe", filtres.axe, AXES, "Axe inconnu"),
        ("theme", filtres.theme, THEMES, "Thème inconnu"),
        ("public", filtres.public, PUBLICS, "Public inconnu"),
        ("format", filtres.format, FORMATS, "Format inconnu"),
    ]
    for field, value, known, message in checks:
        if value is not None and value not in known:
            errors[field] = [f"{message} : « {value} »."]
    if filtres.debut and filtres.fin and filtres.debut > filtres.fin:
        errors["fin"] = ["La date de fin précède la date de début."]
    if errors:
        raise ValidationError(errors)


# --- Query building ------------------------------------------------------------------------


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(session: Session, filtres: Filtres) -> list[ColumnElement[bool]]:
    valider(filtres)
    campaign = active_campaign(session)
    conds: list[ColumnElement[bool]] = [
        Rencontre.campaign_id == campaign.id,  # type: ignore[list-item]
        Rencontre.statut == StatutRencontre.TENUE,  # type: ignore[list-item]
    ]
    if filtres.region:
        conds.append(Departement.region_code == filtres.region)  # type: ignore[arg-type]
    if filtres.departement:
        conds.append(Rencontre.departement_code == filtres.departement)  # type: ignore[arg-type]
    if filtres.qpv:
        conds.append(
            exists().where(RencontreQpv.rencontre_id == Rencontre.id, RencontreQpv.qpv_code == filtres.qpv)  # type: ignore[arg-type]
        )
    for column, value in (
        (Contribution.axe, filtres.axe),
        (Contribution.theme, filtres.theme),
        (Contribution.public, filtres.public),
        (Rencontre.format, filtres.format),
    ):
        if value:
            conds.append(column == value)  # type: ignore[arg-type]
    if filtres.debut:
        conds.append(Rencontre.date >= filtres.debut)  # type: ignore[arg-type]
    if filtres.fin:
        conds.append(Rencontre.date <= filtres.fin)  # type: ignore[arg-type]
    for term in normalize(filtres.recherche).split():
        conds.append(Contribution.texte_norm.like(_like(term), escape="\\"))  # type: ignore[attr-defined]
    return conds


def _from(query: Select) -> Select:
    return (
        query.select_from(Contribution)
        .join(Rencontre, Rencontre.id == Contribution.rencontre_id)
        .join(
            Departement,
            Departement.code == Rencontre.departement_code,  # type: ignore[arg-type]
        )
    )


def _scope(actor: Actor) -> ColumnElement[bool]:
    """Which contributions' texts the actor may read (the query joins Departement)."""
    return scope_clause(actor, col(Rencontre.departement_code), col(Departement.region_code))


def cherche_du_texte(filtres: Filtres) -> bool:
    """A text search: its counts say whether words appear in texts, so they follow the reading scope."""
    return bool(normalize(filtres.recherche))


def _lecture(actor: Actor, filtres: Filtres) -> list[ColumnElement[bool]]:
    """The reading-scope condition that the aggregates of `filtres` need (none without a text search)."""
    return [_scope(actor)] if cherche_du_texte(filtres) else []


def perimetre_lecture(actor: Actor) -> str:
    if actor.is_national:
        return "France entière"
    if actor.role == Role.PREFET_REGION and actor.region_code:
        return f"région {REGIONS.get(actor.region_code, actor.region_code)}"
    if actor.role == Role.REFERENT and actor.departement_code:
        return f"département {actor.departement_code} – {DEPARTEMENTS[actor.departement_code][0]}"
    return "aucun"


# --- Ranking ---------------------------------------------------------------------------------

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
    actor: Actor,
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


def agregats(session: Session, *, actor: Actor, filtres: Filtres, groupe: str = "axe") -> pd.DataFrame:
    """The SQL part of a ranking: every count and weight per (group, theme), unranked.

    Cheap to cache: `classer` turns it into a ranking for any weighting and order.
    """
    if groupe not in GROUPES:
        raise ValidationError({"groupe": [f"Regroupement inconnu : « {groupe} »."]})
    if _depuis_cube(filtres):  # national for every role
        return _agregats_cube(session, filtres, groupe)
    rows, totals = _lignes_brutes(session, filtres, groupe, _lecture(actor, filtres))
    return _assembler(rows, totals, groupe)


_ROWS = ["g", "dep", "theme", "contributions", "rencontres", "score_rang", "poids_rencontre"]


def _depuis_cube(filtres: Filtres) -> bool:
    """The read model (q2030.cube) answers the territory and axis filters; the others read raw rows."""
    return not (
        filtres.qpv or filtres.theme or filtres.public or filtres.debut or filtres.fin or filtres.format
        or normalize(filtres.recherche)
    )  # fmt: skip


def _agregats_cube(session: Session, filtres: Filtres, groupe: str) -> pd.DataFrame:
    """`agregats` from the read model: a few hundred cube rows summed in SQL, a few dozen returned."""
    valider(filtres)
    campaign = active_campaign(session)
    per_axis = groupe == "axe"

    def where(model: type[CubeTheme] | type[CubeGroupe]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [model.campaign_id == campaign.id]  # type: ignore[list-item]
        if filtres.axe:
            conds.append(model.axe == filtres.axe)  # type: ignore[arg-type]
        elif per_axis:
            conds.append(model.axe != TOUS_AXES)  # type: ignore[arg-type]
        else:
            conds.append(model.axe == TOUS_AXES)  # type: ignore[arg-type]
        if filtres.departement:
            conds.append(model.departement_code == filtres.departement)  # type: ignore[arg-type]
        if filtres.region:
            conds.append(Departement.region_code == filtres.region)  # type: ignore[arg-type]
        return conds

    def key(model: type[CubeTheme] | type[CubeGroupe]) -> ColumnElement[str]:
        return {
            "axe": model.axe,
            "region": Departement.region_code,
            "departement": model.departement_code,
            "aucun": literal(TOUS),
        }[groupe]  # type: ignore[return-value]

    ct, cg = CubeTheme, CubeGroupe
    # A theme's weight in a département: its contributions / the département's (in the group).
    departement_share = cast(ct.contributions, Float) / cast(
        func.sum(ct.contributions).over(partition_by=[key(ct), ct.departement_code]), Float
    )
    per_departement = (
        select(
            key(ct).label("g"),
            ct.theme,
            ct.contributions,
            ct.rencontres,
            ct.score_rang,
            ct.poids_rencontre,
            departement_share.label("pd"),
        )
        .join(Departement, Departement.code == ct.departement_code)
        .where(*where(ct))
        .subquery("par_departement")
    )
    d = per_departement.c
    themes = select(
        d.g, d.theme, func.sum(d.contributions), func.sum(d.rencontres), func.count(), func.sum(d.score_rang),
        func.sum(d.poids_rencontre), func.sum(d.pd),
    ).group_by(d.g, d.theme)  # fmt: skip
    groups = (
        select(key(cg).label("g"), func.sum(cg.rencontres), func.count())
        .join(Departement, Departement.code == cg.departement_code)  # type: ignore[arg-type]
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
    """The same figures as `_lignes_cube`, computed from the raw rows (any filter, plus `lecture`)."""
    conds = [*_conditions(session, filtres), *lecture]
    key = _GROUP_COLUMNS.get(groupe)
    # Inner level, one row per (meeting, theme[, axis]): n, 1/rang sum and the meeting's size
    # in the group (window). Grouping by the meeting and theme only (région and département
    # are the meeting's: taken with min()) lets SQLite read the covering index
    # ix_contribution_agregats (rencontre_id, theme, axe, ...) without touching the texts.
    per_axis = groupe == "axe"
    inner_keys = [Contribution.axe.label("g")] if per_axis else []  # type: ignore[attr-defined]
    meeting_key = [func.min(key).label("g")] if key is not None and not per_axis else []
    reciprocal = case((Contribution.rang > 0, 1.0 / Contribution.rang), else_=0.0)  # type: ignore[operator]
    partition = [Contribution.rencontre_id, *([Contribution.axe] if per_axis else [])]
    inner = (
        _from(
            select(
                *inner_keys,
                *meeting_key,
                Contribution.rencontre_id.label("rid"),  # type: ignore[attr-defined]
                func.min(Rencontre.departement_code).label("dep"),
                Contribution.theme.label("theme"),  # type: ignore[attr-defined]
                func.count().label("n"),
                func.sum(reciprocal).label("sr"),
                func.sum(func.count()).over(partition_by=partition).label("mn"),
            )
        )
        .where(*conds)
        # Same order as the window's partition: SQLite then sorts once.
        .group_by(*partition, Contribution.theme)
        .subquery("par_rencontre")
    )
    gk = [inner.c.g] if key is not None else []
    # Outer level, per (group, département, theme): a few thousand rows at most. A theme's
    # weight in a meeting is n / meeting size; the département weight is computed below
    # from these rows (n / département size), a reshaping of a small result.
    outer = select(
        *gk,
        inner.c.dep,
        inner.c.theme,
        func.sum(inner.c.n).label("contributions"),
        func.count().label("rencontres"),
        func.sum(inner.c.sr).label("score_rang"),
        func.sum(inner.c.n * 1.0 / inner.c.mn).label("poids_rencontre"),
    ).group_by(*gk, inner.c.dep, inner.c.theme)
    meetings = (
        _from(select(*inner_keys, *meeting_key, Contribution.rencontre_id))
        .where(*conds)
        .group_by(Contribution.rencontre_id, *([Contribution.axe] if per_axis else []))
        .subquery("rencontres_du_groupe")
    )
    totals_query = select(
        *([meetings.c.g] if key is not None else []), func.count().label("rencontres_total")
    ).select_from(meetings)
    if key is not None:
        totals_query = totals_query.group_by(meetings.c.g)

    def frame(query, columns: list[str]) -> pd.DataFrame:
        names = (["g"] if key is not None else []) + columns
        df = pd.DataFrame(session.exec(query).all(), columns=names)
        if key is None:
            df.insert(0, "g", TOUS)
        return df

    rows = frame(outer, _ROWS[1:])
    return rows, frame(totals_query, ["rencontres_total"])


_AGREGATS_COLUMNS = [
    "g", "theme", "contributions", "rencontres", "departements", "score_rang", "poids_rencontre",
    "poids_departement", "rencontres_total", "departements_total", "groupe_type",
]  # fmt: skip


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
        for g, dep, theme, n, meetings, score, weight in rows[_ROWS].itertuples(index=False, name=None)
    )
    per_departement: dict[tuple[str, str], int] = {}
    for g, dep, _theme, n, *_rest in ordered:
        per_departement[(g, dep)] = per_departement.get((g, dep), 0) + n
    sums: dict[tuple[str, str], list] = {}
    departements: dict[str, set[str]] = {}
    for g, dep, theme, n, meetings, score, weight in ordered:
        acc = sums.setdefault((g, theme), [0, 0, set(), 0.0, 0.0, 0.0])
        acc[0] += n
        acc[1] += meetings
        acc[2].add(dep)
        acc[3] += score
        acc[4] += weight
        acc[5] += n / per_departement[(g, dep)]
        departements.setdefault(g, set()).add(dep)
    rencontres_total = {str(g): int(total) for g, total in totals[["g", "rencontres_total"]].itertuples(index=False)}
    # The cube's sums are kept by additions and subtractions: equal to a rebuild up to
    # rounding, so ties rank the same way.
    records = [
        (g, theme, acc[0], acc[1], len(acc[2]), round(acc[3], 9), round(acc[4], 9), round(acc[5], 9),
         rencontres_total[g], len(departements[g]), groupe)
        for (g, theme), acc in sorted(sums.items())
    ]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=_AGREGATS_COLUMNS)


def classer(df: pd.DataFrame, *, ponderation: str = "contribution", tri: str = "poids") -> pd.DataFrame:
    """Rank the themes of `agregats` within each group (pure, no database)."""
    if ponderation not in PONDERATIONS:
        raise ValidationError({"ponderation": [f"Pondération inconnue : « {ponderation} »."]})
    if tri not in TRIS:
        raise ValidationError({"tri": [f"Tri inconnu : « {tri} »."]})
    if df.empty:
        return pd.DataFrame(columns=CLASSEMENT_COLUMNS)
    df = df.copy()
    df["poids"] = {
        "contribution": df["contributions"].astype(float),
        "rencontre": df["poids_rencontre"],
        "departement": df["poids_departement"],
    }[ponderation]
    df["part"] = df["poids"] / df.groupby("g")["poids"].transform("sum")
    df["part_rencontres"] = df["rencontres"] / df["rencontres_total"]
    df["theme_libelle"] = df["theme"].map(theme_label)
    df = df.rename(columns={"g": "groupe"})
    df["groupe_libelle"] = [_libelle_groupe(t, code) for t, code in zip(df["groupe_type"], df["groupe"], strict=True)]
    order = {
        "poids": ["poids", "contributions"],
        "score_rang": ["score_rang", "poids"],
        "rencontres": ["rencontres", "poids"],
    }[tri]
    df = df.sort_values(["groupe", *order, "theme_libelle"], ascending=[True, False, False, True], kind="mergesort")
    df["rang"] = df.groupby("groupe").cumcount() + 1
    return df[CLASSEMENT_COLUMNS].reset_index(drop=True)


def carte_de_chaleur(
    session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution"
) -> pd.DataFrame:
    """Axe × thème: one row per cell that has contributions (long form, for a heatmap)."""
    return classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="axe")


def par_region(
    session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution", top: int = 5
) -> pd.DataFrame:
    """The `top` first themes of each région (small multiples)."""
    df = classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="region")
    return df[df["rang"] <= top].reset_index(drop=True)


def comparaison(session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution") -> pd.DataFrame:
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


# --- Contributions behind a figure ----------------------------------------------------------

CONTRIBUTION_COLUMNS = [
    "id", "texte", "axe", "theme", "rang", "public", "date", "lieu", "commune", "qpv",
    "departement", "departement_nom", "region", "format", "rencontre_id",
]  # fmt: skip


def compter_contributions(session: Session, *, actor: Actor, filtres: Filtres) -> tuple[int, int]:
    """(contributions readable by the actor, contributions in the filtered view).

    Under a text search both are counted within the reading scope (the search is text).
    """
    conds = [*_conditions(session, filtres), *_lecture(actor, filtres)]
    total, lisibles = session.exec(  # type: ignore[call-overload]
        _from(select(func.count(), func.sum(case((_scope(actor), 1), else_=0)))).where(*conds)
    ).one()
    return int(lisibles or 0), int(total or 0)


def contributions(
    session: Session, *, actor: Actor, filtres: Filtres, limite: int | None = MAX_LIGNES, ids: list[int] | None = None
) -> pd.DataFrame:
    """The contributions behind a figure, with their rencontre (date, place, QPV, département).

    Labels are French; `limite=None` returns them all (exports). `ids` restricts further.
    """
    conds = [*_conditions(session, filtres), _scope(actor)]
    if ids is not None:
        conds.append(Contribution.id.in_(ids))  # type: ignore[union-attr]
    query = (
        _from(
            select(
                Contribution.id,
                Contribution.texte,
                Contribution.axe,
                Contribution.theme,
                Contribution.rang,
                Contribution.public,
                Rencontre.date,
                Rencontre.lieu,
                Rencontre.commune_nom,
                Rencontre.departement_code,
                Departement.nom,
                Departement.region_code,
                Rencontre.format,
                Rencontre.id,
            )
        )
        .where(*conds)
        .order_by(Rencontre.date.desc(), Contribution.rencontre_id, Contribution.rang, Contribution.id)  # type: ignore[attr-defined]
    )
    if limite is not None:
        query = query.limit(limite)
    rows = session.exec(query).all()  # type: ignore[call-overload]
    names = [c for c in CONTRIBUTION_COLUMNS if c != "qpv"]
    df = pd.DataFrame(rows, columns=names)
    quartiers = _qpv_des_rencontres(session, sorted(set(df["rencontre_id"])))
    df.insert(CONTRIBUTION_COLUMNS.index("qpv"), "qpv", df["rencontre_id"].map(quartiers).fillna(""))
    df["axe"] = df["axe"].map(lambda code: AXES.get(code, code))
    df["theme"] = df["theme"].map(theme_label)
    df["public"] = df["public"].map(lambda code: PUBLICS.get(code, code))
    df["format"] = df["format"].map(lambda code: FORMATS.get(code, code))
    df["region"] = df["region"].map(lambda code: REGIONS.get(code, code))
    df["commune"] = df["commune"].fillna("")
    df["rang"] = df["rang"].astype("Int64")
    return df


def _qpv_des_rencontres(session: Session, rencontre_ids: list[int]) -> dict[int, str]:
    """ "QN09301M Nom, ..." per rencontre, in chunks (bound-parameter limits)."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(rencontre_ids), 5000):
        chunk = rencontre_ids[start : start + 5000]
        query = (
            select(RencontreQpv.rencontre_id, Qpv.code, Qpv.nom)
            .join(Qpv, Qpv.code == RencontreQpv.qpv_code)  # type: ignore[arg-type]
            .where(RencontreQpv.rencontre_id.in_(chunk))  # type: ignore[attr-defined]
            .order_by(RencontreQpv.rencontre_id, Qpv.code)
        )
        for rencontre_id, code, nom in session.exec(query):
            found.setdefault(rencontre_id, []).append(f"{code} {nom}")
    return {key: ", ".join(values) for key, values in found.items()}


def quartiers(session: Session, *, departement: str) -> dict[str, str]:
    """QPV of a département of the campaign's geography: code -> "code – nom"."""
    campaign = active_campaign(session)
    query = (
        select(Qpv.code, Qpv.nom)
        .where(Qpv.departement_code == departement, Qpv.geographie == campaign.geographie)
        .order_by(Qpv.code)
    )
    return {code: f"{code} – {nom}" for code, nom in session.exec(query)}


# --- Search ----------------------------------------------------------------------------------


def recherche_par_theme(session: Session, *, actor: Actor, filtres: Filtres, texte: str) -> pd.DataFrame:
    """Contributions whose text holds every word of `texte` (accents, case ignored), by theme."""
    if not normalize(texte):
        raise ValidationError({"recherche": ["Saisissez au moins un mot à rechercher."]})
    return classement(
        session, actor=actor, filtres=replace(filtres, recherche=texte), groupe="aucun", ponderation="contribution"
    )[["theme", "theme_libelle", "contributions", "rencontres"]]


# --- Recurring words -------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # letters, hyphenated words kept whole


@lru_cache(maxsize=50_000)
def _fold(word: str) -> str:
    return normalize(word)


def _terms(texte: str) -> tuple[set[str], set[str], dict[str, str]]:
    """(words, two-word phrases, folded -> shown form) of one text.

    Stop words are removed first, then phrases are pairs of neighbouring remaining words
    ("rénover les logements" gives "rénover logements").
    """
    shown: dict[str, str] = {}
    kept: list[str] = []
    for token in _WORD.findall(texte.casefold()):
        folded = _fold(token)
        if folded in STOP_WORDS or len(folded) < 2:
            continue
        shown.setdefault(folded, token)
        kept.append(folded)
    phrases = {f"{first} {second}" for first, second in pairwise(kept)}
    return set(kept), phrases, shown


def mots_frequents(session: Session, *, actor: Actor, filtres: Filtres, n: int = 20) -> pd.DataFrame:
    """Most frequent words and two-word phrases of the filtered texts.

    `contributions` counts the contributions holding the term (once each), so that it
    equals the length of `contributions_du_terme`. The texts are fetched grouped (one row
    per distinct text with its count): identical texts are tokenised once.
    Columns: type ("mot" / "expression"), terme (folded, the key), affiche, contributions.
    """
    conds = [*_conditions(session, filtres), _scope(actor)]  # words of readable texts only
    query = _from(select(Contribution.texte, func.count())).where(*conds).group_by(Contribution.texte)
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    forms: Counter[tuple[str, str]] = Counter()
    for texte, count in session.exec(query):  # type: ignore[call-overload]
        text_words, text_phrases, shown = _terms(texte)
        for word in text_words:
            words[word] += count
            forms[(word, shown[word])] += count
        for phrase in text_phrases:
            phrases[phrase] += count
    best_form: dict[str, str] = {}
    for (word, form), _count in forms.most_common():
        best_form.setdefault(word, form)

    def show(term: str) -> str:
        return " ".join(best_form.get(part, part) for part in term.split())

    rows = [("mot", term, show(term), count) for term, count in _top(words, n)]
    rows += [("expression", term, show(term), count) for term, count in _top(phrases, n) if count > 1]
    return pd.DataFrame(rows, columns=["type", "terme", "affiche", "contributions"])


def _top(counter: Counter[str], n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:n]


def contributions_du_terme(
    session: Session, *, actor: Actor, filtres: Filtres, terme: str, limite: int | None = MAX_LIGNES
) -> tuple[pd.DataFrame, int]:
    """The contributions holding a word or two-word phrase exactly as `mots_frequents` counts it.

    Returns (the first `limite` readable contributions, how many readable contributions hold
    it in the filtered view). SQL narrows with LIKE on the folded text, Python checks the
    terms. Like the words themselves, the count stays within the actor's reading scope.
    """
    folded = normalize(terme)
    if not folded:
        raise ValidationError({"terme": ["Terme vide."]})
    narrowed = replace(filtres, recherche=folded)
    conds = _conditions(session, narrowed)
    query = _from(select(Contribution.id, Contribution.texte)).where(*conds, _scope(actor)).order_by(Contribution.id)
    readable: list[int] = []
    is_phrase = " " in folded
    for contribution_id, texte in session.exec(query):  # type: ignore[call-overload]
        words, phrases, _shown = _terms(texte)
        if folded in (phrases if is_phrase else words):
            readable.append(contribution_id)
    shown_ids = readable if limite is None else readable[:limite]
    return contributions(session, actor=actor, filtres=narrowed, limite=None, ids=shown_ids), len(readable)


# --- Exports ---------------------------------------------------------------------------------

CONTRIBUTION_HEADERS = {
    "id": "Identifiant", "texte": "Contribution", "axe": "Axe", "theme": "Thème", "rang": "Rang",
    "public": "Public", "date": "Date de la rencontre", "lieu": "Lieu", "commune": "Commune",
    "qpv": "Quartiers (QPV)", "departement": "Département", "departement_nom": "Nom du département",
    "region": "Région", "format": "Format", "rencontre_id": "Rencontre",
}  # fmt: skip
CLASSEMENT_HEADERS = {
    "groupe_libelle": "Regroupement", "rang": "Rang", "theme_libelle": "Thème", "contributions": "Contributions",
    "rencontres": "Rencontres citant le thème", "rencontres_total": "Rencontres du regroupement",
    "part_rencontres": "Part des rencontres", "departements": "Départements citant le thème", "poids": "Poids",
    "part": "Part pondérée", "score_rang": "Score de rang",
}  # fmt: skip


def table_classement(df: pd.DataFrame) -> pd.DataFrame:
    """A ranking with French headers (page tables, CSV and Excel share it)."""
    return df[list(CLASSEMENT_HEADERS)].rename(columns=CLASSEMENT_HEADERS)


def table_contributions(df: pd.DataFrame) -> pd.DataFrame:
    return df[list(CONTRIBUTION_HEADERS)].rename(columns=CONTRIBUTION_HEADERS)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV as French spreadsheets open it (q2030.csv_export.to_csv); shares keep 4 decimals."""
    return to_csv(df, decimals=4)


def export_csv(
    session: Session, *, actor: Actor, filtres: Filtres, quoi: str, ponderation: str = "contribution"
) -> bytes:
    """ "contributions" (all readable ones of the view) or "classement" (per axis)."""
    if quoi == "contributions":
        return csv_bytes(table_contributions(contributions(session, actor=actor, filtres=filtres, limite=None)))
    if quoi == "classement":
        return csv_bytes(table_classement(classement(session, actor=actor, filtres=filtres, ponderation=ponderation)))
    raise ValidationError({"quoi": [f"Export inconnu : « {quoi} »."]})


def export_excel(session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution") -> bytes:
    """Workbook of the filtered view: filters, ranking per axis, all axes, contributions.

    Write-only mode: the contributions sheet streams, whatever its size.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    header_font, header_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="000091")

    def sheet(title: str, df: pd.DataFrame, widths: dict[int, int] | None = None) -> None:
        ws = book.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, width in (widths or {}).items():
            ws.column_dimensions[chr(ord("A") + index)].width = width
        header = []
        for name in df.columns:
            cell = WriteOnlyCell(ws, value=str(name))
            cell.font, cell.fill = header_font, header_fill
            header.append(cell)
        ws.append(header)
        for row in df.itertuples(index=False):
            values = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row]
            ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in values])  # text, never a formula

    description = filtres.decrire() or [("Filtres", "aucun (toutes les contributions)")]
    campaign = active_campaign(session)
    meta = pd.DataFrame(
        [("Campagne", campaign.nom), ("Pondération", PONDERATIONS[ponderation]), *description,
         ("Contributions lisibles", f"périmètre : {perimetre_lecture(actor)}")],
        columns=["Paramètre", "Valeur"],
    )  # fmt: skip
    sheet("Filtres", meta, {0: 24, 1: 60})
    sheet(
        "Classement par axe",
        table_classement(classement(session, actor=actor, filtres=filtres, ponderation=ponderation)),
        {0: 40, 2: 40},
    )
    sheet(
        "Classement tous axes",
        table_classement(classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="aucun")),
        {0: 14, 2: 40},
    )
    sheet(
        "Contributions",
        table_contributions(contributions(session, actor=actor, filtres=filtres, limite=None)),
        {1: 70, 2: 30, 3: 30},
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = [
    "GROUPES",
    "PONDERATIONS",
    "TRIS",
    "Filtres",
    "carte_de_chaleur",
    "cherche_du_texte",
    "classement",
    "comparaison",
    "compter_contributions",
    "contributions",
    "contributions_du_terme",
    "export_csv",
    "export_excel",
    "mots_frequents",
    "par_region",
    "quartiers",
    "recherche_par_theme",
    "valider",
]
