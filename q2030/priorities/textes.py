"""The contributions behind a figure, searched texts and recurring words (reading scope).

Contribution texts are listed only within the actor's reading scope (référent: its
département; préfecture de région: its région; commission and administrators: all); so
are the recurring words and phrases and their counts (they are text).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from q2030.access import Lecteur
from q2030.errors import ValidationError
from q2030.models import Contribution, Departement, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import AXES, FORMATS, PUBLICS, theme_label
from q2030.priorities.agregation import classement
from q2030.priorities.filtres import MAX_LIGNES, Filtres, conditions, jointures, lecture, perimetre
from q2030.referentiel import REGIONS
from q2030.stopwords import STOP_WORDS
from q2030.textnorm import normalize

# --- Contributions behind a figure ----------------------------------------------------------

CONTRIBUTION_COLUMNS = [
    "id", "texte", "axe", "theme", "rang", "public", "date", "lieu", "commune", "qpv",
    "departement", "departement_nom", "region", "format", "rencontre_id",
]  # fmt: skip


def compter_contributions(session: Session, *, actor: Lecteur, filtres: Filtres) -> tuple[int, int]:
    """(contributions readable by the actor, contributions in the filtered view).

    Under a text search both are counted within the reading scope (the search is text).
    """
    conds = [*conditions(session, filtres), *lecture(actor, filtres)]
    total, lisibles = session.exec(
        jointures(select(func.count(), func.sum(case((perimetre(actor), 1), else_=0)))).where(*conds)
    ).one()
    return int(lisibles or 0), int(total or 0)


def contributions(
    session: Session, *, actor: Lecteur, filtres: Filtres, limite: int | None = MAX_LIGNES, ids: list[int] | None = None
) -> pd.DataFrame:
    """The contributions behind a figure, with their rencontre (date, place, QPV, département).

    Labels are French; `limite=None` returns them all (exports). `ids` restricts further.
    """
    conds = [*conditions(session, filtres), perimetre(actor)]
    if ids is not None:
        conds.append(col(Contribution.id).in_(ids))
    query = (
        jointures(
            sa_select(
                *(col(c) for c in (Contribution.id, Contribution.texte, Contribution.axe, Contribution.theme)),
                col(Contribution.rang),
                col(Contribution.public),
                *(col(c) for c in (Rencontre.date, Rencontre.lieu, Rencontre.commune_nom, Rencontre.departement_code)),
                col(Departement.nom),
                col(Departement.region_code),
                col(Rencontre.format),
                col(Rencontre.id),
            )
        )
        .where(*conds)
        .order_by(
            col(Rencontre.date).desc(), col(Contribution.rencontre_id), col(Contribution.rang), col(Contribution.id)
        )
    )
    if limite is not None:
        query = query.limit(limite)
    rows = session.connection().execute(query).all()
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
            .join(Qpv, col(Qpv.code) == col(RencontreQpv.qpv_code))
            .where(col(RencontreQpv.rencontre_id).in_(chunk))
            .order_by(col(RencontreQpv.rencontre_id), col(Qpv.code))
        )
        for rencontre_id, code, nom in session.exec(query):
            found.setdefault(rencontre_id, []).append(f"{code} {nom}")
    return {key: ", ".join(values) for key, values in found.items()}


# --- Search ----------------------------------------------------------------------------------


def recherche_par_theme(session: Session, *, actor: Lecteur, filtres: Filtres, texte: str) -> pd.DataFrame:
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


def mots_frequents(session: Session, *, actor: Lecteur, filtres: Filtres, n: int = 20) -> pd.DataFrame:
    """Most frequent words and two-word phrases of the filtered texts.

    `contributions` counts the contributions holding the term (once each), so that it
    equals the length of `contributions_du_terme`. The texts are fetched grouped (one row
    per distinct text with its count): identical texts are tokenised once.
    Columns: type ("mot" / "expression"), terme (folded, the key), affiche, contributions.
    """
    conds = [*conditions(session, filtres), perimetre(actor)]  # words of readable texts only
    query = jointures(select(Contribution.texte, func.count())).where(*conds).group_by(Contribution.texte)
    words: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    forms: Counter[tuple[str, str]] = Counter()
    for texte, count in session.exec(query):
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
    session: Session, *, actor: Lecteur, filtres: Filtres, terme: str, limite: int | None = MAX_LIGNES
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
    conds = conditions(session, narrowed)
    query = (
        jointures(select(col(Contribution.id), col(Contribution.texte)))
        .where(*conds, perimetre(actor))
        .order_by(col(Contribution.id))
    )
    readable: list[int] = []
    is_phrase = " " in folded
    for contribution_id, texte in session.exec(query):
        words, phrases, _shown = _terms(texte)
        if contribution_id is not None and folded in (phrases if is_phrase else words):
            readable.append(contribution_id)
    shown_ids = readable if limite is None else readable[:limite]
    return contributions(session, actor=actor, filtres=narrowed, limite=None, ids=shown_ids), len(readable)
