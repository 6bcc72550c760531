"""Reading a questionnaire export: its columns, its rows, the answers each column holds."""

from __future__ import annotations

import re
from collections import Counter

from q2030.errors import ValidationError
from q2030.qpv_import import read_table
from q2030.textnorm import fold_header

# A multiple-choice cell joins its answers with one of these.
SEPARATEURS = re.compile(r"\s*[|;\n]\s*")


def lire(content: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """(column names, rows) of an export; the QPV import's reader (encodings, `;`/`,`, XLSX)."""
    colonnes, rows, _renommees = _lire(content, filename)
    return colonnes, rows


def _lire(content: bytes, filename: str) -> tuple[list[str], list[dict[str, str]], list[tuple[str, str]]]:
    # Encodings (cp1252, UTF-16, BOM), ";"/",", XLSX; a formula without a computed value is
    # refused naming its cell; a repeated title is suffixed (« Précisez », « Précisez (2) »).
    table = read_table(content, filename)
    rows = list(table.rows)
    if not rows:
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    return list(rows[0].keys()), rows, table.renamed


def apercu(
    content: bytes, filename: str, lignes: int = 10
) -> tuple[list[str], list[dict[str, str]], dict[str, list[str]], list[str]]:
    """Columns, the first rows, the distinct answers of each column (30 at most) for the editor,
    and one sentence per column renamed because its title repeats another's."""
    colonnes, rows, renommees = _lire(content, filename)
    distinct: dict[str, Counter[str]] = {c: Counter() for c in colonnes}
    for row in rows:
        for colonne in colonnes:
            value = row.get(colonne, "")
            if value:
                for part in SEPARATEURS.split(value):
                    if part:
                        distinct[colonne][part] += 1
    valeurs = {c: [v for v, _n in counter.most_common(30)] for c, counter in distinct.items()}
    doublons = [
        f"Titre répété « {titre} » : la colonne suivante est gardée sous le nom « {nouveau} » "
        f"(« {fold_header(nouveau)} » dans l'aperçu et la correspondance)."
        for titre, nouveau in renommees
    ]
    return colonnes, [r for r in rows if any(r.values())][:lignes], valeurs, doublons
