"""Coding queue of free texts: claims, decisions, audit, concurrency, suggestions."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sys
import types
from typing import Any

import pytest
from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030 import codage
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.db import make_engine, session_scope
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, QuestionnaireReponse, QuestionnaireTheme, TexteLibre
from tests import questionnaire_data as data
from tests.helpers import fetch

ANA = Actor(email="ana@anct.gouv.fr", role="commission")
BOB = Actor(email="bob@anct.gouv.fr", role="commission")
ADMIN = Actor(email="admin@anct.gouv.fr", role="admin")
T0 = dt.datetime(2023, 11, 2, 9, 0, tzinfo=dt.UTC)


def seed_texts(session: Session, n: int, seed: int = 3) -> dict[int, str]:
    """n free texts of n questionnaire responses; returns text id -> the theme it was written from."""
    rng = random.Random(seed)
    campaign = active_campaign(session)
    session.execute(
        insert(QuestionnaireReponse),
        [{"campaign_id": campaign.id, "identifiant": f"R{i}", "localisation": "non_localise", "tranche_age": "",
          "genre": "", "empreinte": ""} for i in range(n)],
    )  # fmt: skip
    names = [f"R{i}" for i in range(n)]
    ids = dict(
        session.exec(
            select(QuestionnaireReponse.identifiant, QuestionnaireReponse.id).where(
                col(QuestionnaireReponse.identifiant).in_(names)
            )
        ).all()
    )
    truth: dict[str, str] = {}
    rows = []
    for i in range(n):
        texte, theme = data.texte_libre(rng)
        truth[f"R{i}"] = theme
        rows.append({"campaign_id": campaign.id, "reponse_id": ids[f"R{i}"], "question": "Q3", "axe_question": None,
                     "texte": texte, "statut": "a_coder", "reserve_par": "", "code_par": "", "version": 1})  # fmt: skip
    session.execute(insert(TexteLibre), rows)
    session.commit()
    by_reponse = {v: truth[k] for k, v in ids.items()}
    pairs = session.exec(select(TexteLibre.id, TexteLibre.reponse_id)).all()
    return {tid: by_reponse[rid] for tid, rid in pairs if tid is not None and rid in by_reponse}


def test_one_text_at_a_time_claimed_coded_audited_and_counted(session: Session) -> None:
    seed_texts(session, 5)
    assert codage.progression(session) == (0, 5)
    first = codage.prochain(session, actor=ANA, maintenant=T0)
    other = codage.prochain(session, actor=BOB, maintenant=T0)
    assert first
    assert other
    assert first.id != other.id
    # A reload gives the analyst the text it holds, not a new one.
    again = codage.prochain(session, actor=ANA, maintenant=T0 + dt.timedelta(minutes=1))
    assert again is not None
    assert again.id == first.id
    # Bob cannot decide on Ana's text while her claim runs.
    with pytest.raises(ConflitDeVersion):
        codage.coder(session, actor=BOB, texte_id=first.id, axe="projets", theme="logement", maintenant=T0)
    codage.coder(session, actor=ANA, texte_id=first.id, axe="projets", theme="logement", public="jeunes", maintenant=T0)
    session.commit()
    assert codage.progression(session) == (1, 5)
    row = session.get(TexteLibre, first.id)
    assert row is not None
    assert (row.statut, row.axe, row.theme, row.public, row.code_par) == (
        "code",
        "projets",
        "logement",
        "jeunes",
        ANA.email,
    )
    theme = session.exec(select(QuestionnaireTheme).where(QuestionnaireTheme.texte_id == first.id)).one()
    assert (theme.origine, theme.theme, theme.public) == ("texte", "logement", "jeunes")
    event = session.exec(select(AuditEvent).where(AuditEvent.entite == "texte_libre")).one()
    assert event.apres is not None
    assert (event.acteur, event.action, event.entite_id, event.apres["theme"]) == (
        ANA.email,
        "codage",
        str(first.id),
        "logement",
    )
    # Coded twice: refused.
    with pytest.raises(ConflitDeVersion):
        codage.coder(session, actor=ANA, texte_id=first.id, axe="projets", theme="sante", maintenant=T0)
    # Hors sujet: counted as done, no theme.
    codage.coder(session, actor=BOB, texte_id=other.id, hors_sujet=True, maintenant=T0)
    assert codage.progression(session) == (2, 5)
    assert session.exec(select(func.count()).select_from(QuestionnaireTheme)).one() == 1


def test_expired_claim_goes_to_the_next_analyst_and_skipping_frees_the_text(session: Session) -> None:
    seed_texts(session, 2)
    held = codage.prochain(session, actor=ANA, maintenant=T0)
    assert held is not None
    late = T0 + codage.DUREE_RESERVATION + dt.timedelta(seconds=1)
    taken = codage.prochain(session, actor=BOB, maintenant=late)
    assert taken is not None
    assert taken.id == held.id
    codage.passer(session, actor=BOB, texte_id=taken.id)
    again = codage.prochain(session, actor=BOB, maintenant=late, exclure=(taken.id,))
    assert again is not None
    assert again.id != taken.id


def test_bad_decisions_and_roles(session: Session) -> None:
    seed_texts(session, 1)
    texte = codage.prochain(session, actor=ANA, maintenant=T0)
    assert texte is not None
    with pytest.raises(ValidationError) as error:
        codage.coder(session, actor=ANA, texte_id=texte.id, axe="x", theme=None, maintenant=T0)
    assert set(error.value.errors) == {"axe", "theme"}
    referent = Actor(email="r@x.fr", role="referent", departement_code="93", region_code="11")
    with pytest.raises(PermissionRefusee):
        codage.prochain(session, actor=referent)
    with pytest.raises(PermissionRefusee):
        codage.entrainer(session, actor=ANA)


# --- Two analysts in two processes ---------------------------------------------------------------


def _analyste(url: str, email: str, barrier: Any, results: Any) -> None:
    try:
        results.put((email, _coder_tout(url, email, barrier)))
    except Exception as error:  # reported to the test
        results.put((email, f"{type(error).__name__}: {error}"))


def _coder_tout(url: str, email: str, barrier: Any) -> list[int]:
    engine = make_engine(url)
    actor = Actor(email=email, role="commission")
    done: list[int] = []
    barrier.wait(60)
    try:
        while True:
            with session_scope(engine) as session:
                texte = codage.prochain(session, actor=actor)
            if texte is None:
                return done
            with session_scope(engine) as session:
                codage.coder(session, actor=actor, texte_id=texte.id, axe="changements", theme="sante")
            done.append(texte.id)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_analysts_in_two_processes_never_code_the_same_text(engine: Engine, database_url: str) -> None:
    with Session(engine) as session:
        ids = set(seed_texts(session, 120))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    real_main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        results = context.Queue()
        workers = [
            context.Process(target=_analyste, args=(database_url, f"analyste{i}@anct.gouv.fr", barrier, results))
            for i in (1, 2)
        ]
        for worker in workers:
            worker.start()
    finally:
        sys.modules["__main__"] = real_main
    got = dict(results.get(timeout=300) for _ in workers)
    for worker in workers:
        worker.join(60)
    first, second = got["analyste1@anct.gouv.fr"], got["analyste2@anct.gouv.fr"]
    assert isinstance(first, list), (first, second)
    assert isinstance(second, list), (first, second)
    assert first, "both analysts coded"
    assert second, "both analysts coded"
    assert not set(first) & set(second)
    assert set(first) | set(second) == ids
    with Session(engine) as session:
        assert codage.progression(session) == (120, 120)
        audited = session.exec(select(AuditEvent.entite_id).where(AuditEvent.entite == "texte_libre")).all()
        assert sorted(int(a) for a in audited) == sorted(ids)  # exactly one decision per text
        assert session.exec(select(func.count()).select_from(QuestionnaireTheme)).one() == 120


# --- Suggestions -----------------------------------------------------------------------------------


def _code_first(session: Session, truth: dict[int, str], n: int) -> None:
    for texte_id in sorted(truth)[:n]:
        codage.coder(session, actor=ANA, texte_id=texte_id, axe="projets", theme=truth[texte_id])
    session.commit()


def test_suggestions_need_200_coded_texts(session: Session) -> None:
    truth = seed_texts(session, 210)
    _code_first(session, truth, 199)
    with pytest.raises(ValidationError, match="199 texte"):
        codage.entrainer(session, actor=ADMIN)


def test_accuracy_is_cross_validated_and_nothing_is_assigned_without_confirmation(session: Session) -> None:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    truth = seed_texts(session, 400)
    _code_first(session, truth, 250)
    modele = codage.entrainer(session, actor=ADMIN)
    session.commit()
    coded = sorted(truth)[:250]
    textes = [fetch(session, TexteLibre, i).texte for i in coded]
    expected = cross_val_score(
        codage._pipeline(), textes, [truth[i] for i in coded],
        cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="accuracy",
    ).mean()  # fmt: skip
    assert modele.exactitude_theme == pytest.approx(expected)
    assert modele.exactitude_axe is None  # every coded text has the same axis here
    assert modele.effectif == 250
    assert modele.plis == 5
    assert modele.exactitude_theme is not None
    assert 0.6 < modele.exactitude_theme < 1.0
    etat = codage.etat_modele(session)
    assert etat is not None
    assert etat.id == modele.id

    before = (
        codage.progression(session),
        session.exec(select(func.count()).select_from(QuestionnaireTheme)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
    )
    right = 0
    for _ in range(20):
        texte = codage.prochain(session, actor=BOB)
        assert texte is not None
        suggestion = codage.suggerer(session, texte=texte)
        assert suggestion is not None
        assert 0 < suggestion.confiance_theme <= 1
        right += suggestion.theme == truth[texte.id]
        codage.passer(session, actor=BOB, texte_id=texte.id)
    session.commit()
    assert right >= 12
    after = (
        codage.progression(session),
        session.exec(select(func.count()).select_from(QuestionnaireTheme)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
    )
    assert after == before  # suggestions wrote nothing

    # The analyst confirms with one key: the decision records that the suggestion was accepted.
    texte = codage.prochain(session, actor=BOB)
    assert texte is not None
    suggestion = codage.suggerer(session, texte=texte)
    assert suggestion is not None
    codage.coder(
        session, actor=BOB, texte_id=texte.id, axe=suggestion.axe, theme=suggestion.theme, suggestion=suggestion
    )
    decided = session.get(TexteLibre, texte.id)
    assert decided is not None
    assert decided.suggestion_acceptee is True
