"""Text folded for search: lower case, accents removed, spaces collapsed.

Stored beside each contribution (`Contribution.texte_norm`) so that an accent- and
case-insensitive search is a plain LIKE on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("œ", "oe").replace("æ", "ae").split())
