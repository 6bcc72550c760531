"""`python -m benchmarks.questionnaire_import [--reponses 1000000]`: the questionnaire import at scale.

Writes an export of N responses (id, postcode, age band, closed answer, short free text:
1 M rows ≈ 36 MiB), imports it into a fresh SQLite database (QPV list of `data/`), and prints
rows per second and the process's peak memory (peak resident set, `ru_maxrss`, and the peak
of Python allocations during the import, `tracemalloc`). The import streams the file: it
holds the checked rows of one chunk, the ids seen (duplicate check) and the counters.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlmodel import Session

from q2030 import questionnaire as q
from q2030.access import SYSTEM
from q2030.bootstrap import prepare_database
from q2030.db import make_engine
from q2030.formatting import fr_number
from q2030.qpv_import import import_qpv

QPV_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "qpv2024" / "qpv2024.csv"
CODES_POSTAUX = ["93200", "75019", "13015", "69008", "8120", "98800", "?", "59000", "31000", "97400"]
AGES = ["-18", "18-24", "25-39", "40-59", "60+", "?"]
PRIORITES = ["Logement", "Santé", "Emploi", "Sécurité", "NSP"]
IDEES = [
    "Des bancs",
    "Un marché le samedi",
    "Plus de bus le soir",
    "Un médecin",
    "Un city stade",
    "",
    "Un parc",
    "Des fêtes",
]
MAPPING = {
    "identifiant": "id", "code_postal": "cp", "tranche_age": "age",
    "fermees": [{"colonne": "priorite", "axe": "changements",
                 "valeurs": {"Logement": "logement", "Santé": "sante", "Emploi": "emploi", "Sécurité": "securite"}}],
    "libres": [{"colonne": "idee", "axe": "projets"}],
}  # fmt: skip


def export(reponses: int) -> bytes:
    out = io.StringIO()
    out.write("id;cp;age;priorite;idee\n")
    for i in range(1, reponses + 1):
        out.write(f"R{i};{CODES_POSTAUX[i % 10]};{AGES[i % 6]};{PRIORITES[i % 5]};{IDEES[i % 8]}\n")
    return out.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.questionnaire_import", description=__doc__.split(":")[0]
    )
    parser.add_argument("--reponses", type=int, default=1_000_000)
    parser.add_argument("--qpv", type=Path, default=QPV_FILE)
    parser.add_argument("--tracemalloc", action="store_true", help="pic des allocations Python (ralentit l'import)")
    args = parser.parse_args(argv)
    content = export(args.reponses)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        prepare_database(engine)
        with Session(engine) as session:
            import_qpv(session, actor=SYSTEM, content=args.qpv.read_bytes(), filename=args.qpv.name)
            q.enregistrer_correspondance(session, actor=SYSTEM, source="Banc d'essai", contenu=MAPPING)
            session.commit()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.tracemalloc:
            tracemalloc.start()
        wall, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            rapport = q.importer(session, actor=SYSTEM, source="Banc d'essai", content=content, filename="bench.csv")
            session.commit()
        elapsed, cpu = time.perf_counter() - wall, time.process_time() - cpu
        _current, peak_python = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        engine.dispose()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fichier : {fr_number(args.reponses)} réponses, {len(content) / 2**20:.1f} Mio")
    print(f"import : {elapsed:.0f} s écoulées ({cpu:.0f} s CPU), {fr_number(rapport.lues / elapsed)} lignes/s "
          f"({fr_number(rapport.lues / cpu)} par seconde de CPU)")  # fmt: skip
    python = f", pic des allocations Python pendant l'import {peak_python / 2**20:.0f} Mio" if args.tracemalloc else ""
    print(f"mémoire : pic du processus {peak_rss:.0f} Mio (avant l'import {before:.0f} Mio){python}")
    print("\n".join(rapport.lignes()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
