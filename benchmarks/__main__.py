"""`python -m benchmarks`: the national benchmark (options of the former `python -m q2030 bench`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="mesure les temps de réponse à l'échelle nationale (SQLite et PostgreSQL)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql ou les deux")
    parser.add_argument("--scales", default="national,x10", help="volumes : campagne, national, x10")
    parser.add_argument("--runs", type=int, default=5, help="mesures par opération (médiane)")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--qpv",
        type=Path,
        default=run.DEFAULT_QPV_FILE,
        help="liste des QPV (défaut : ../shared/data/qpv2024/qpv2024.csv)",
    )
    parser.add_argument("--no-pages", action="store_true", help="ne pas mesurer les pages (AppTest)")
    parser.add_argument(
        "--existing", help="URL d'une base déjà remplie à mesurer telle quelle (une base, le volume de --scales)"
    )
    parser.add_argument(
        "--only", help="seulement les mesures dont le nom contient ce texte (ex. « Priorités : classement »)"
    )
    args = parser.parse_args(argv)
    results = run.run(
        databases=args.databases.split(","),
        scales=args.scales.split(","),
        runs=args.runs,
        pg_url=args.pg_url,
        qpv_file=args.qpv,
        pages=not args.no_pages,
        existing=args.existing,
        only=args.only,
    )
    print()
    print(f"Machine : {results['machine']} ; charge moyenne en fin de mesure : {results['load_average']}")
    print(run.markdown_table(results))
    print(f"\nRésultats JSON : {run.save(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
