"""The query parameters of the pages (`?document=12`, `?dep=93`…), typed and bounded.

A page address is user input: anyone can type `?document=99999999999999999999`. Every
parameter a page reads is declared in `PARAMETRES` with its parser; a parser returns the
value, or None for anything it does not accept (empty, malformed, negative, too large,
too long). The pages then answer a rejected value exactly as they answer an unknown one
(« introuvable »): a bad address never reaches the database.

Identifiers are bounded by the smallest integer column of the supported databases
(PostgreSQL INTEGER, 2 147 483 647; SQLite would overflow only past 2**63 - 1, with
another error): one bound, the same answer on both.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from q2030.referentiel import DEPARTEMENTS

MAX_IDENTIFIANT = 2**31 - 1  # PostgreSQL INTEGER
_CODE_QPV = re.compile(r"^Q[NP][0-9AB][0-9A-Z]{4,6}$")  # QN09301M (2024), QP093001 (2015)


def identifiant(raw: object) -> int | None:
    """A row id: 1 … MAX_IDENTIFIANT written with ASCII digits only, else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > len(str(MAX_IDENTIFIANT)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_IDENTIFIANT else None


def code_departement(raw: object) -> str | None:
    """A département code of the referentiel (« 93 », « 2A », « 971 »), else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().upper()
    return text if text in DEPARTEMENTS else None


def code_qpv(raw: object) -> str | None:
    """Something shaped like a QPV code (upper-cased); whether it exists is the page's question."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().upper()
    return text if _CODE_QPV.match(text) else None


# Every query parameter the application reads, and its parser (q2030.ui.params reads them).
PARAMETRES: dict[str, Callable[[object], int | str | None]] = {
    "document": identifiant,  # Restitution: a published compte rendu
    "synthese": identifiant,  # Restitution: a published synthèse version
    "dep": code_departement,  # Restitution: a département
    "qpv": code_qpv,  # Restitution: a quartier
    "rencontre": identifiant,  # Rencontres: open this rencontre
    "planifier": code_qpv,  # Rencontres: plan a rencontre on this quartier
    "departement": code_departement,  # Rencontres, Ma région: this département
}
