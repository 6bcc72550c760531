"""The one rule « this rencontre counts », as SQL.

A meeting declared by a local organiser or imported from a platform's event list waits for
the référent's validation (`Rencontre.validation`); until then it counts nowhere: not in
coverage, rankings, the read model, exports, documents, public pages, the agenda or the
relances. Every query that computes a figure over rencontres adds `compte()` (with the alias
it uses for the rencontre table, if any); lists meant for the référent's work (the queue,
the list of the département's meetings) show the others apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm.util import AliasedClass
from sqlmodel import col

from q2030.frontieres import JsonValeur, ObjetJson
from q2030.models import Rencontre
from q2030.nomenclature import ValidationRencontre


def compte(rencontre: type[Rencontre] | AliasedClass[Rencontre] = Rencontre) -> ColumnElement[bool]:
    """SQL: the rencontre (the model, or an alias of it) counts in every figure."""
    return col(rencontre.validation) == ValidationRencontre.VALIDEE


def en_attente(rencontre: type[Rencontre] | AliasedClass[Rencontre] = Rencontre) -> ColumnElement[bool]:
    """SQL: the rencontre is declared and awaits the référent's validation (the pipeline figures
    of q2030.declarations; it never counts: see `compte`)."""
    return col(rencontre.validation) == ValidationRencontre.A_VALIDER


def compte_valeur(validation: str) -> bool:
    """The same rule for a row already loaded."""
    return validation == ValidationRencontre.VALIDEE


class Soumissible(Protocol):
    """What `soumettre` changes: a Rencontre, or the values of one not created yet."""

    validation: str
    avant_modification: dict[str, JsonValeur] | None
    soumise_le: datetime | None


def soumettre(rencontre: Soumissible, *, avant: ObjetJson | None = None) -> None:
    """An organiser wrote: the meeting (again) awaits the référent's validation.

    `avant`: the validated values of what changed ({field: value}); merged with those already
    waiting, so the référent sees the last validated value against the current one. A new
    declaration has none. Stops counting until validated (the caller refreshes the cube).
    """
    if rencontre.validation == ValidationRencontre.VALIDEE or rencontre.avant_modification:
        merged = dict(avant or {})
        merged.update(rencontre.avant_modification or {})  # the older (validated) value wins
        rencontre.avant_modification = merged or None
    rencontre.validation = ValidationRencontre.A_VALIDER
    rencontre.soumise_le = datetime.now(UTC)
