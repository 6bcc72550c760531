"""The shared filters of the results pages, their validation and the WHERE clause they make.

`conditions` turns `Filtres` into the WHERE clause over the raw rows (contributions joined to
their rencontre and département, `jointures`); `perimetre` is the actor's reading scope over
the same join. Only contributions of rencontres *tenues* of the active campaign count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, exists, literal_column, table
from sqlalchemy import column as table_column
from sqlalchemy.sql import visitors
from sqlmodel import Session, col, select

from q2030.access import Lecteur, scope_clause
from q2030.access import lecture as lecture_de
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.errors import ValidationError
from q2030.formatting import fr_date
from q2030.frontieres import LigneSql, ValeurSql
from q2030.models import Contribution, Departement, Qpv, Rencontre, RencontreQpv, table_of
from q2030.nomenclature import AXES, FORMATS, PUBLICS, THEMES, StatutRencontre, theme_label
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.textnorm import normalize

AnySelect = TypeVar("AnySelect", bound="Select[*LigneSql]")  # sqlmodel's and sqlalchemy's Select

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
    checks: list[tuple[str, str | None, Mapping[str, object], str]] = [
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


def like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def conditions(session: Session, filtres: Filtres, *, recherche: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clause of `filtres` over `jointures`; `recherche=False`: without the text search
    (the caller joins it, `recherche_jointe`)."""
    valider(filtres)
    campaign = active_campaign(session)
    conds: list[ColumnElement[bool]] = [
        col(Rencontre.campaign_id) == campaign.id,
        col(Rencontre.statut) == StatutRencontre.TENUE,
        compte(),
    ]
    if filtres.region:
        conds.append(col(Departement.region_code) == filtres.region)
    if filtres.departement:
        conds.append(col(Rencontre.departement_code) == filtres.departement)
    if filtres.qpv:
        conds.append(
            exists().where(
                col(RencontreQpv.rencontre_id) == col(Rencontre.id), col(RencontreQpv.qpv_code) == filtres.qpv
            )
        )
    for column, value in (
        (col(Contribution.axe), filtres.axe),
        (col(Contribution.theme), filtres.theme),
        (col(Contribution.public), filtres.public),
        (col(Rencontre.format), filtres.format),
    ):
        if value:
            conds.append(column == value)
    if filtres.debut:
        conds.append(col(Rencontre.date) >= filtres.debut)
    if filtres.fin:
        conds.append(col(Rencontre.date) <= filtres.fin)
    if recherche:
        conds.extend(conditions_recherche(session, filtres.recherche))
    return conds


SQLITE_FTS = "contribution_fts"  # migration 0016: FTS5, trigram tokenizer, over contribution.texte_norm
TRIGRAMME = 3  # a trigram index answers words of 3 characters or more


def conditions_recherche(session: Session, recherche: str) -> list[ColumnElement[bool]]:
    """Each word must appear in the folded text (a substring: « secur » finds « sécurité »).

    The question is `texte_norm LIKE '%mot%'`. PostgreSQL answers it with its trigram index
    (pg_trgm, migration 0016) as written; SQLite looks a word of 3 characters or more up in
    the FTS5 trigram table (a phrase there is a substring match: the same rows), a shorter
    word stays a LIKE."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    conds: list[ColumnElement[bool]] = []
    for term in normalize(recherche).split():
        if sqlite and len(term) >= TRIGRAMME:
            phrase = '"' + term.replace('"', '""') + '"'
            matches = literal_column(SQLITE_FTS).op("MATCH")(phrase)
            found: Select[*LigneSql] = select(literal_column("rowid")).select_from(table(SQLITE_FTS)).where(matches)
            conds.append(col(Contribution.id).in_(found))
        else:
            conds.append(col(Contribution.texte_norm).like(like_pattern(term), escape="\\"))
    return conds


def recherche_jointe(session: Session, recherche: str) -> tuple[str | None, list[ColumnElement[bool]]]:
    """The text search as the source of a query (`jointures(query, fts)`): on SQLite the FTS5
    query of every word of 3 characters or more (one MATCH, phrases all required), whose rowids
    then drive the lookups of the contributions, and a LIKE per shorter word; elsewhere no
    source and `conditions_recherche` (PostgreSQL's trigram index answers the LIKE). The same
    rows as `conditions_recherche`."""
    terms = normalize(recherche).split()
    if session.get_bind().dialect.name != "sqlite":
        return None, conditions_recherche(session, recherche)
    phrases = ['"' + term.replace('"', '""') + '"' for term in terms if len(term) >= TRIGRAMME]
    shorter = [t for t in terms if len(t) < TRIGRAMME]
    likes: list[ColumnElement[bool]] = [
        col(Contribution.texte_norm).like(like_pattern(t), escape="\\") for t in shorter
    ]
    return (" AND ".join(phrases) or None), likes


_FTS = table(SQLITE_FTS, table_column("rowid"))


def jointures(query: AnySelect, fts: str | None = None, *, departement: bool = True) -> AnySelect:
    """Contributions joined to their rencontre and its département (filters and scope read them);
    `fts` (`recherche_jointe`): the FTS5 matches first, each joined to its contribution;
    `departement=False`: without the département (`lit_departement` says when it is read)."""
    if fts is None:
        query = query.select_from(Contribution)
    else:
        query = (
            query.select_from(_FTS)
            .join(Contribution, col(Contribution.id) == _FTS.c.rowid)
            .where(literal_column(SQLITE_FTS).op("MATCH")(fts))
        )
    query = query.join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
    if departement:
        query = query.join(Departement, col(Departement.code) == col(Rencontre.departement_code))
    return query


def lit_departement(*expressions: ValeurSql) -> bool:
    """Whether these expressions read a column of `departement` (the région of a filter, a
    grouping or a reading scope): only then must `jointures` join it (a join per found row)."""
    table = table_of(Departement)
    return any(getattr(element, "table", None) is table for e in expressions for element in visitors.iterate(e))


def perimetre(actor: Lecteur) -> ColumnElement[bool]:
    """Which contributions' texts the actor may read (the query joins Departement)."""
    return scope_clause(actor, col(Rencontre.departement_code), col(Departement.region_code))


def cherche_du_texte(filtres: Filtres) -> bool:
    """A text search: its counts say whether words appear in texts, so they follow the reading scope."""
    return bool(normalize(filtres.recherche))


def lecture(actor: Lecteur, filtres: Filtres) -> list[ColumnElement[bool]]:
    """The reading-scope condition that the aggregates of `filtres` need (none without a text search)."""
    return [perimetre(actor)] if cherche_du_texte(filtres) else []


def perimetre_lecture(actor: Lecteur) -> str:
    scope = lecture_de(actor)
    if scope.aucun or scope.organisation is not None:
        return "aucun"
    if scope.departement_code:
        return f"département {scope.departement_code} – {DEPARTEMENTS[scope.departement_code][0]}"
    if scope.region_code:
        return f"région {REGIONS.get(scope.region_code, scope.region_code)}"
    return "France entière"


def quartiers(session: Session, *, departement: str) -> dict[str, str]:
    """QPV of a département of the campaign's geography: code -> "code – nom"."""
    campaign = active_campaign(session)
    query = (
        select(Qpv.code, Qpv.nom)
        .where(Qpv.departement_code == departement, Qpv.geographie == campaign.geographie)
        .order_by(Qpv.code)
    )
    return {code: f"{code} – {nom}" for code, nom in session.exec(query)}
