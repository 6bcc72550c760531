"""`python -m benchmarks.codage [--textes N]`: the coding queue's response time per text.

On the database of Q2030_DATABASE_URL, an analyst goes through N texts as the page does:
claim the next text and compute its suggestion (what the analyst waits for), then record
a decision (claim check, theme row, audit). Everything runs in one transaction that is
rolled back at the end: nothing is recorded.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from sqlmodel import Session

from q2030 import codage
from q2030.access import Actor
from q2030.bootstrap import prepare_database
from q2030.db import make_engine


@dataclass(frozen=True)
class MesureFile:
    textes: int
    suggestions: bool
    affichage_ms: list[float]  # claim the next text + its suggestion
    decision_ms: list[float]  # record the decision


def mesurer(session: Session, *, n: int = 200) -> MesureFile:
    actor = Actor(email="mesure.codage@q2030", role="commission")
    affichage: list[float] = []
    decision: list[float] = []
    suggestions = codage.etat_modele(session) is not None
    for _ in range(n):
        started = time.perf_counter()
        texte = codage.prochain(session, actor=actor)
        if texte is None:
            break
        suggestion = codage.suggerer(session, texte=texte)
        middle = time.perf_counter()
        axe = suggestion.axe if suggestion else texte.axe_question or "changements"
        theme = suggestion.theme if suggestion else "logement"
        codage.coder(session, actor=actor, texte_id=texte.id, axe=axe, theme=theme, suggestion=suggestion)
        session.flush()
        affichage.append((middle - started) * 1000)
        decision.append((time.perf_counter() - middle) * 1000)
    return MesureFile(len(affichage), suggestions, affichage, decision)


def _line(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{label:<40} médiane {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.codage", description=__doc__)
    parser.add_argument("--textes", type=int, default=200, help="nombre de textes parcourus")
    args = parser.parse_args(argv)
    engine = make_engine()
    prepare_database(engine)
    with Session(engine) as session:
        try:
            mesure = mesurer(session, n=args.textes)
        finally:
            session.rollback()  # a measurement, not decisions
    if not mesure.textes:
        print("Aucun texte à coder dans la base.")
        return 1
    print(f"{mesure.textes} textes, suggestions {'oui' if mesure.suggestions else 'non (pas de modèle)'} :")
    print(_line("texte suivant (réservation + suggestion)", mesure.affichage_ms))
    print(_line("décision (codage + audit)", mesure.decision_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
