"""`python -m benchmarks.import_excel [--rencontres 2000]`: the Excel import's CPU time per row.

On the database of Q2030_DATABASE_URL (a national demo: `python -m q2030 demo --scale national`),
builds the template of the 93 with N new rencontres (one contribution each) appended, reads
it, then imports it as the 93's référent and rolls back (the database is left unchanged).
Prints CPU seconds (the process's, unaffected by other processes waiting for a core) and
elapsed seconds, with the load average: on a shared machine the elapsed time grows with the
load, the CPU time much less. On PostgreSQL the server's own CPU is not counted (another
process). The services the import calls are imported before the clock starts (a running
app has them loaded: pandas alone costs ~0.4 s to import). The sheet reader used
(calamine or openpyxl, q2030/excel/sheets.py) is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sqlmodel import Session

from benchmarks.measures import REFERENT, refuser_base_vide
from benchmarks.operations import filled_template
from q2030 import contributions  # noqa: F401  # loaded before the clock, as in the app
from q2030.bootstrap import prepare_database
from q2030.db import database_url, make_engine
from q2030.excel.importer import import_workbook
from q2030.excel.reading import read_workbook
from q2030.excel.sheets import open_sheets
from q2030.rencontres import controle, creation_groupee, ecriture  # noqa: F401  # likewise (the import calls them)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.import_excel", description=__doc__.splitlines()[0])
    parser.add_argument("--rencontres", type=int, default=2000)
    args = parser.parse_args(argv)
    engine = make_engine(database_url())
    prepare_database(engine)
    refuser_base_vide(engine)  # « 0 créées … » measures nothing: say so
    with Session(engine) as session:
        content = filled_template(session, REFERENT, args.rencontres)
        session.rollback()
    with open_sheets(content) as book:
        reader = book.reader
    cpu, wall = time.process_time(), time.perf_counter()
    read_workbook(content)
    print(
        f"lecture du classeur ({reader}) : {time.process_time() - cpu:.2f} s CPU, "
        f"{time.perf_counter() - wall:.2f} s écoulées"
    )
    with Session(engine) as session:
        cpu, wall = time.process_time(), time.perf_counter()
        report = import_workbook(
            session, actor=REFERENT, departement_code=REFERENT.departement_code or "", content=content
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        session.rollback()
    print(
        f"import : {report.created} créées, {report.unchanged} inchangées ; {cpu:.2f} s CPU "
        f"({cpu / max(1, report.created) * 1000:.2f} ms par rencontre créée), {wall:.1f} s écoulées ; "
        f"charge moyenne {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
