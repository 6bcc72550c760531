"""The text search's index (migration 0016: SQLite FTS5 trigram, PostgreSQL pg_trgm) gives the
rows the scan gives (`texte_norm LIKE '%mot%'`), on random words, before and after writes.

Each test starts from its own copy of the demo database (seed 11, filled once per run). The
quick loops draw fewer random words (`exemples`, tests/conftest.py); the full suite all of them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from q2030.access import SYSTEM, Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import make_engine, session_scope
from q2030.models import Contribution, Rencontre, RencontreQpv
from q2030.priorities import Filtres, agregation, classement, index_recherche
from q2030.priorities.filtres import GROUPES, PONDERATIONS, conditions_recherche, like_pattern
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


# --- The word index in memory (q2030.priorities.index_recherche) ---------------------------------


@pytest.fixture
def index_actif(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The word index on (the test run turns it off, tests/conftest.py); its builds joined after."""
    monkeypatch.setenv("Q2030_INDEX_RECHERCHE", "1")
    index_recherche.oublier()
    yield
    index_recherche.oublier()


def _sans_index(session: Session, actor: Actor, filtres: Filtres, groupe: str, ponderation: str) -> list[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("Q2030_INDEX_RECHERCHE", "0")
        ranking = classement(session, actor=actor, filtres=filtres, groupe=groupe, ponderation=ponderation)
        records: list[dict[str, Any]] = ranking.to_dict("records")
        return records


@pytest.mark.usefixtures("database_preparation", "index_actif")
def test_rankings_from_the_index_in_memory_equal_those_of_the_rows(
    engine: Engine, exemples: Callable[[int, int], int]
) -> None:
    """Random words (pieces of words, two words, accents, words found nowhere), with every other
    filter, every grouping and weighting, for the commission, a région and a référent, and
    periods cutting months without a search: the rankings the index in memory gives are those
    of the rows (of the read model, for the periods)."""
    rng = random.Random(29)
    built = index_recherche.construire_pour(engine)
    assert len(built.vocabulaire) > 50
    prefet = Actor(email="prefet@test", role="prefet_region", region_code="11")
    referent = Actor(email="referent@test", role="referent", departement_code="93", region_code="11")
    with Session(engine) as session:
        assert index_recherche.a_jour(session) is built
        days = sorted(d for d in session.exec(select(col(Rencontre.date)).where(Rencontre.statut == "tenue")) if d)
        qpv = session.exec(select(RencontreQpv.qpv_code).order_by(col(RencontreQpv.rencontre_id))).first()
        words = _words(session, rng, exemples(20, 4))
        others: list[dict[str, Any]] = [
            {}, {"public": "jeunes"}, {"region": "11", "theme": "securite"}, {"format": "atelier"},
            {"debut": days[len(days) // 3], "fin": days[2 * len(days) // 3]}, {"fin": days[len(days) // 2]},
            {"departement": "93", "axe": "projets"}, {"qpv": qpv}, {"format": "reunion_publique", "public": "tous"},
        ]  # fmt: skip
        cases = [
            (actor, Filtres(recherche=word, **rng.choice(others)), groupe, rng.choice(list(PONDERATIONS)))
            for word in words
            for actor in (COMMISSION, prefet, referent)
            for groupe in GROUPES
        ]
        # Periods cutting months, without a search (national counts for every role).
        third = len(days) // 3
        cut = [(days[0], days[third]), (days[third], days[2 * third]), (days[third], None), (None, days[2 * third])]
        cases += [
            (rng.choice((COMMISSION, referent)), Filtres(**{**rng.choice(others), "debut": debut, "fin": fin}),
             groupe, rng.choice(list(PONDERATIONS)))
            for debut, fin in cut for groupe in GROUPES
        ]  # fmt: skip
        assert sum(agregation._par_index(f) and not f.recherche for _a, f, _g, _p in cases) >= 12
        found = 0
        for actor, filtres, groupe, ponderation in cases:
            indexed = classement(session, actor=actor, filtres=filtres, groupe=groupe, ponderation=ponderation)
            assert indexed.to_dict("records") == _sans_index(session, actor, filtres, groupe, ponderation), (
                actor.role, filtres, groupe, ponderation,
            )  # fmt: skip
            found += not indexed.empty
    assert found > len(cases) / 3, "most searches find something"


@pytest.mark.usefixtures("database_preparation", "index_actif")
def test_the_word_index_follows_every_write_and_never_shows_an_uncommitted_one(engine: Engine) -> None:
    """After a write the old index is no longer used: the search reads the rows (the new text is
    found at once) while the index of the new version is built, then used. A session that wrote
    and has not committed sees its own rows, and a rolled-back write leaves no trace."""
    index_recherche.construire_pour(engine)
    with Session(engine) as session:
        held = session.exec(select(Rencontre).where(Rencontre.statut == "tenue").order_by(col(Rencontre.id))).first()
        assert held is not None
        assert held.id is not None
        dep = held.departement_code
    referent = Actor(email="referent@test", role="referent", departement_code=dep, region_code=DEPARTEMENTS[dep][1])
    rows: list[LigneContribution] = [
        {"axe": "projets", "theme": "sport", "texte": "Un boulodrome couvert pour le quartier Zébulon", "rang": 1}
    ]
    cherche = Filtres(recherche="zebulon boulodrome")
    with Session(engine) as session:  # written, not committed: this session sees it, the index does not
        replace_contributions(session, actor=referent, rencontre_id=held.id, rows=rows)
        assert index_recherche.a_jour(session) is None
        assert classement(session, actor=COMMISSION, filtres=cherche, groupe="aucun")["contributions"].tolist() == [1]
        session.rollback()
    index_recherche.attendre()  # a build may have started: it read the committed rows
    with Session(engine) as session:
        assert index_recherche.a_jour(session) is not None, "the version did not change"
        assert classement(session, actor=COMMISSION, filtres=cherche, groupe="aucun").empty
    with session_scope(engine) as session:
        replace_contributions(session, actor=referent, rencontre_id=held.id, rows=rows)
    with Session(engine) as session:
        assert index_recherche.a_jour(session) is None, "a new version: the rows answer"
        ranking = classement(session, actor=COMMISSION, filtres=cherche, groupe="aucun")
        assert ranking[["theme", "contributions"]].values.tolist() == [["sport", 1]]
    index_recherche.attendre()
    with Session(engine) as session:
        assert index_recherche.a_jour(session) is not None, "built in the background"
        assert classement(session, actor=COMMISSION, filtres=cherche, groupe="aucun").to_dict("records") == (
            ranking.to_dict("records")
        )
        assert _sans_index(session, COMMISSION, Filtres(recherche="e"), "axe", "rencontre") == classement(
            session, actor=COMMISSION, filtres=Filtres(recherche="e"), groupe="axe", ponderation="rencontre"
        ).to_dict("records")


def test_no_word_index_for_a_database_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-memory SQLite database has one connection: no reader beside it, the rows answer."""
    monkeypatch.setenv("Q2030_INDEX_RECHERCHE", "1")
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        assert index_recherche.a_jour(session) is None
    index_recherche.attendre()
