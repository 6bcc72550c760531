"""The true boundaries of the types (issue 23, « `Any` only at true boundaries »).

`Any` switches mypy off for a value: the product writes it here only, once per kind of
boundary where the type really is open (what a library, a file or a person hands over before
it is read), each alias saying why. Everywhere else the types are precise: the unions and
recursive types below, TypedDicts, the classes themselves, `object` for what is only passed
on. `tests/test_house_rules.py` keeps it so (at most 7 aliases of `Any`, a ratchet on the
modules that still write `Any`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

# --- Open boundaries: `Any`, named -----------------------------------------------------------

# A raw cell as a spreadsheet (openpyxl) or a pandas DataFrame (untyped) hands it over, before `cleaning`.
CelluleBrute: TypeAlias = Any
# A value decoded from JSON or TOML (a file, a JSON column, an HTTP answer, st.secrets) before its shape is checked.
JsonValeur: TypeAlias = Any
# A form field's or an imported row's value before validation (`rencontres.saisie`, `cleaning`).
ValeurChamp: TypeAlias = Any
# A bound SQL parameter, a raw row value (SQLAlchemy types rows as tuples of Any), or a column as
# SQLModel types it (`Rencontre.id` is an `int | None` to mypy: what is selected is known at run time).
ValeurSql: TypeAlias = Any
# Keyword arguments passed through untyped: to a library whose overloads name them (st.dataframe,
# alt.Legend), or read from argparse's Namespace (the command line).
ArgumentLibre: TypeAlias = Any
# A Streamlit `st.session_state` value: whatever a widget or the page stored under a key.
EtatWidget: TypeAlias = Any
# An object from an untyped library (pandas, scikit-learn, openpyxl) or its callbacks.
ObjetNonType: TypeAlias = Any

# --- Precise types at the same boundaries ----------------------------------------------------

# A spreadsheet cell once read or as written: the types openpyxl and calamine give back.
Cellule: TypeAlias = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
# A JSON value to write, recursively (what `json.dumps` writes without a custom encoder); read-only
# containers, so that a `list[str]` or a `dict[str, int]` is one.
Json: TypeAlias = "Mapping[str, Json] | Sequence[Json] | str | int | float | bool | None"
# A JSON object: the audit's before/after, a saved mapping, a Vega-Lite spec.
ObjetJson: TypeAlias = "dict[str, Json]"
# A raw row of SQLAlchemy (`Row` or the tuple of its values).
LigneSql: TypeAlias = tuple[ValeurSql, ...]
