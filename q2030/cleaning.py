"""Coercion of user input (forms, spreadsheets) into typed values, with French messages.

Each helper returns the clean value or raises ValueError whose text can be shown as is.
Spreadsheet cells arrive as str, float, pandas NaN/NaT or Timestamp: all are accepted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import pandas as pd

from q2030.formatting import parse_fr_date
from q2030.nomenclature import code_from_label


def is_blank(value: object) -> bool:
    """None, empty text, empty list, NaN, pandas NA / NaT."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set)):
        return not value
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def count(value: object) -> int | None:
    """A whole number >= 0, or None when empty. No upper cap."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("doit être un nombre entier positif ou nul")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
        try:
            as_float = float(text)
        except ValueError:
            raise ValueError(f"« {value} » n'est pas un nombre entier") from None
        if not as_float.is_integer():
            raise ValueError(f"« {value} » n'est pas un nombre entier")
        number = int(as_float)
    if number < 0:
        raise ValueError(f"{number} est négatif : un nombre positif ou nul est attendu")
    return number


def date(value: object) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_fr_date(str(value))


_TIME = re.compile(r"^(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?)?(?::\d{2})?$")


def time(value: object) -> dt.time | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    match = _TIME.match(str(value).strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise ValueError(f"« {value} » n'est pas une heure (attendu : HH:MM)")


_TRUE = {"oui", "o", "vrai", "true", "1", "x", "yes"}
_FALSE = {"non", "n", "faux", "false", "0", "no"}


def boolean(value: object) -> bool:
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"« {value} » : répondez oui ou non")


def text(value: object, max_length: int | None = None) -> str:
    if is_blank(value):
        return ""
    out = str(value).strip()
    if max_length is not None and len(out) > max_length:
        raise ValueError(f"texte trop long ({len(out)} caractères, {max_length} au plus)")
    return out


def code(nomenclature: dict[str, str] | dict[str, tuple[str, str]], value: object) -> str | None:
    """A code of `nomenclature` from a code or its French label; None when empty."""
    if is_blank(value):
        return None
    found = code_from_label(nomenclature, str(value))
    if found is None:
        raise ValueError(f"« {value} » n'est pas une valeur possible")
    return found


def codes(nomenclature: dict[str, str] | dict[str, tuple[str, str]], value: object) -> list[str]:
    """A list of codes from a list or a string separated by commas / semicolons."""
    if is_blank(value):
        return []
    if isinstance(value, str):
        items: list[object] = list(re.split(r"[;,\n]", value))
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise TypeError(f"'{type(value).__name__}' object is not iterable")
    out: list[str] = []
    unknown: list[str] = []
    for item in items:
        if is_blank(item):
            continue
        found = code_from_label(nomenclature, str(item))
        if found is None:
            unknown.append(str(item).strip())
        elif found not in out:
            out.append(found)
    if unknown:
        raise ValueError(f"{'valeur inconnue' if len(unknown) == 1 else 'valeurs inconnues'} : {', '.join(unknown)}")
    return out
