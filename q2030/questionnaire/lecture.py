"""Reading a questionnaire export: its columns, its rows, the answers each column holds."""

from __future__ import annotations

import re
from collections import Counter

from q2030.errors import ValidationError
from q2030.qpv_import import read_table

# A multiple-choice cell joins its answers with one of these.
SEPARATEURS = re.compile(r"\s*[|;\n]\s*")


def lire(content: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """(column names, rows) of an export; the QPV import's reader (encodings, `;`/`,`, XLSX)."""
    rows = list(read_table(content, filename).rows)  # encodings (cp1252, UTF-16, BOM), ";"/",", XLSX
    if not rows:
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    return list(rows[0].keys()), rows


def apercu(
    content: bytes, filename: str, lignes: int = 10
) -> tuple[list[str], list[dict[str, str]], dict[str, list[str]]]:
    """Columns, the first rows, and the distinct answers of each column (30 at most) for the editor."""
    colonnes, rows = lire(content, filename)
    distinct: dict[str, Counter[str]] = {c: Counter() for c in colonnes}
    for row in rows:
        for colonne in colonnes:
            value = row.get(colonne, "")
            if value:
                for part in SEPARATEURS.split(value):
                    if part:
                        distinct[colonne][part] += 1
    valeurs = {c: [v for v, _n in counter.most_common(30)] for c, counter in distinct.items()}
    return colonnes, [r for r in rows if any(r.values())][:lignes], valeurs
