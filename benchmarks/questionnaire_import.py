"""`python -m benchmarks.questionnaire_import [--reponses 1000000]`: the questionnaire import at scale.

Writes an export of N responses (id, postcode, age band, closed answer, short free text:
1 M rows ≈ 36 MiB), then imports it into a fresh SQLite database (QPV list of `data/`) with
`python -m q2030 import-questionnaire` in a child process, and prints rows per second and
that process's peak memory (`ru_maxrss`, the peak resident set). The import streams the
file: it holds the file, the checked rows of one chunk, the ids seen and the counters.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

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
    out = io.BytesIO()
    out.write(b"id;cp;age;priorite;idee\n")
    for i in range(1, reponses + 1):
        out.write(f"R{i};{CODES_POSTAUX[i % 10]};{AGES[i % 6]};{PRIORITES[i % 5]};{IDEES[i % 8]}\n".encode())
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.questionnaire_import", description=__doc__.split(":")[0]
    )
    parser.add_argument("--reponses", type=int, default=1_000_000)
    parser.add_argument("--qpv", type=Path, default=QPV_FILE)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        fichier, correspondance = Path(tmp) / "export.csv", Path(tmp) / "correspondance.json"
        fichier.write_bytes(export(args.reponses))
        correspondance.write_text(json.dumps(MAPPING), encoding="utf-8")
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        prepare_database(engine)
        with Session(engine) as session:
            import_qpv(session, actor=SYSTEM, content=args.qpv.read_bytes(), filename=args.qpv.name)
            session.commit()
        engine.dispose()
        # The import runs as the command an administrator types, in its own process: its peak is its own.
        command = [sys.executable, "-m", "q2030", "import-questionnaire", str(fichier), "--source", "Banc d'essai",
                   "--correspondance", str(correspondance)]  # fmt: skip
        wall = time.perf_counter()
        done = subprocess.run(command, env=os.environ | {"Q2030_DATABASE_URL": url}, capture_output=True, text=True)
        elapsed = time.perf_counter() - wall
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        taille = fichier.stat().st_size
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        return 1
    cpu = usage.ru_utime + usage.ru_stime
    print(f"fichier : {fr_number(args.reponses)} réponses, {taille / 2**20:.1f} Mio")
    print(f"import : {elapsed:.0f} s écoulées ({cpu:.0f} s CPU), {fr_number(args.reponses / elapsed)} lignes/s "
          f"({fr_number(args.reponses / cpu)} par seconde de CPU)")  # fmt: skip
    print(f"mémoire : pic du processus d'import {usage.ru_maxrss / 1024:.0f} Mio (ru_maxrss)")
    print(done.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
