"""The text search's index (migration 0016: SQLite FTS5 trigram, PostgreSQL pg_trgm) gives the
rows the scan gives (`texte_norm LIKE '%mot%'`), on random words, before and after writes.

Each test starts from its own copy of the demo database (seed 11, filled once per run). The
quick loops draw fewer random words (`exemples`, tests/conftest.py); the full suite all of them."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030.access import SYSTEM, Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.models import Contribution, Rencontre
from q2030.priorities import Filtres, agregation, classement
from q2030.priorities.filtres import GROUPES, conditions_recherche, like_pattern
from q2030.referentiel import DEPARTEMENTS
from q2030.rencontres.ecriture import delete_rencontre
from q2030.textnorm import normalize
from tests.databases import Demo, Preparation
from tests.rencontres_data import COMMISSION


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)  # the demo database other modules share


def _scan(recherche: str) -> list[ColumnElement[bool]]:
    """The search as it was before the index: a LIKE per word on the folded text."""
    return [col(Contribution.texte_norm).like(like_pattern(term), escape="\\") for term in normalize(recherche).split()]


def _ids(session: Session, conditions: list[ColumnElement[bool]]) -> list[int]:
    rows = session.exec(select(Contribution.id).where(*conditions).order_by(col(Contribution.id))).all()
    return [i for i in rows if i is not None]  # a primary key is never NULL: narrows the type


def _words(session: Session, rng: random.Random, count: int) -> list[str]:
    """Random searches: whole words, pieces of words (1 to 9 characters, across a space too),
    two words at once, accents and capitals, and words found nowhere."""
    texts = [t for t in session.exec(select(Contribution.texte)) if t]
    out = ["sécurité", "SECURITE", "Écoles", "a", "de", "le", "zzq", "100 %", '"', "l'été", "xyzzy plomberie"]
    for _ in range(count):
        text = rng.choice(texts)
        folded = normalize(text)
        words = folded.split()
        match rng.randrange(4):
            case 0:
                out.append(rng.choice(words))
            case 1:
                start = rng.randrange(len(folded))
                out.append(folded[start : start + rng.randint(1, 9)].strip() or "e")
            case 2:
                out.append(" ".join(rng.sample(words, min(2, len(words)))))
            case _:
                out.append(text.split()[rng.randrange(len(text.split()))].upper())
    return out


def _same_as_the_scan(session: Session, searches: list[str]) -> int:
    found = 0
    for recherche in searches:
        expected = _ids(session, _scan(recherche))
        assert _ids(session, conditions_recherche(session, recherche)) == expected, recherche
        found += bool(expected)
    return found


def test_index_finds_what_the_scan_finds_on_random_words_and_after_writes(
    engine: Engine, database_preparation: Preparation, exemples: Callable[[int, int], int]
) -> None:
    rng = random.Random(27)
    count = exemples(200, 50)
    with Session(engine) as session:
        searches = _words(session, rng, count)
        assert _same_as_the_scan(session, searches) > 150 * count // 200  # most searches find something
    # Writes keep it in step: contributions replaced, a text updated, a rencontre deleted.
    with session_scope(engine) as session:
        held = session.exec(select(Rencontre).where(Rencontre.statut == "tenue").order_by(col(Rencontre.id))).all()
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "sport", "texte": "Un gymnase rénové à Saint-Étienne-du-Rouvray", "rang": 1}
        ]
        dep = held[0].departement_code
        referent = Actor(email="referent@test", role="referent", departement_code=dep, region_code=DEPARTEMENTS[dep][1])
        replace_contributions(session, actor=referent, rencontre_id=held[0].id or 0, rows=rows)
        changed = session.exec(select(Contribution).where(Contribution.rencontre_id == held[1].id)).first()
        assert changed is not None
        changed.texte = "Plus de bancs près du gymnase"
        delete_rencontre(session, actor=SYSTEM, rencontre_id=held[2].id or 0)
    with Session(engine) as session:
        assert _ids(session, conditions_recherche(session, "gymnase")) == _ids(session, _scan("gymnase"))
        assert len(_ids(session, conditions_recherche(session, "gymnase rouvray"))) == 1
        assert _same_as_the_scan(session, [*searches, "gymnase", "bancs pres", "etienne"]) > 150 * count // 200


def test_rankings_of_a_search_driven_by_the_index_equal_those_of_the_scan(
    engine: Engine,
    database_preparation: Preparation,
    exemples: Callable[[int, int], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rankings of a search (the FTS5 matches drive the query on SQLite, one statement) are
    those of the LIKE scan, for random words, every grouping, with other filters and a référent's scope."""
    rng = random.Random(28)
    referent = Actor(email="referent@test", role="referent", departement_code="93", region_code="11")
    with Session(engine) as session:
        words = _words(session, rng, exemples(25, 2))
        views = [
            (COMMISSION, filtres)
            for word in words
            for filtres in (
                Filtres(recherche=word),
                Filtres(recherche=word, public="jeunes"),
                Filtres(recherche=word, region="11", theme="securite"),
            )
        ] + [(referent, Filtres(recherche=word)) for word in words[:8]]
        cases = [(actor, f, g) for actor, f in views for g in GROUPES]
        indexed = [classement(session, actor=a, filtres=f, groupe=g).to_dict("records") for a, f, g in cases]
        monkeypatch.setattr(agregation, "recherche_jointe", lambda _session, recherche: (None, _scan(recherche)))
        scanned = [classement(session, actor=a, filtres=f, groupe=g).to_dict("records") for a, f, g in cases]
    assert indexed == scanned
    assert sum(bool(rows) for rows in scanned) > len(cases) / 3, "most searches find something"
