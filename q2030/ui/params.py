"""The one place pages read their address's query parameters (parsers: q2030.parametres).

`present(nom)` says whether the address carries the parameter at all (even a bad value);
`entier(nom)` / `code(nom)` give the parsed value or None for anything rejected, which the
page then answers exactly like an unknown identifier.
"""

from __future__ import annotations

import streamlit as st

from q2030.parametres import PARAMETRES, identifiant


def _brut(nom: str) -> str | None:
    if nom not in PARAMETRES:
        raise KeyError(f"paramètre d'adresse non déclaré dans q2030.parametres : {nom}")
    try:
        value = st.query_params.get(nom)
    except Exception:  # a malformed address must never reach the visitor as an error
        return None
    return value if isinstance(value, str) else None


def present(nom: str) -> bool:
    """The address names this parameter (with any value, even a rejected one)."""
    return _brut(nom) is not None


def entier(nom: str) -> int | None:
    """An identifier parameter, bounded (q2030.parametres.identifiant); None if absent or rejected."""
    if PARAMETRES[nom] is not identifiant:
        raise KeyError(f"le paramètre {nom} n'est pas un identifiant")
    return identifiant(_brut(nom))


def code(nom: str) -> str | None:
    """A code parameter (département, QPV), parsed; None if absent or rejected."""
    if PARAMETRES[nom] is identifiant:
        raise KeyError(f"le paramètre {nom} est un identifiant")
    value = PARAMETRES[nom](_brut(nom))
    return value if isinstance(value, str) else None


def retirer(*noms: str) -> None:
    """Clear parameters once used (a link opens something once)."""
    for nom in noms:
        if nom in st.query_params:
            del st.query_params[nom]
