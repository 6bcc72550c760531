"""Text folded for search (lower case, accents removed, spaces collapsed), and column titles as keys.

Stored beside each contribution (`Contribution.texte_norm`) so that an accent- and
case-insensitive search is a plain LIKE on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("œ", "oe").replace("æ", "ae").split())


@lru_cache(maxsize=4096)  # column titles: few, looked up for every row
def fold_header(name: str) -> str:
    """A column title as a key: lower case, no accents, runs of anything else as "_" ("Code postal" -> code_postal)."""
    return re.sub(r"[^a-z0-9]+", "_", normalize(name.strip())).strip("_")
