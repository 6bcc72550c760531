"""Errors raised by services, with French messages meant for the user."""

from __future__ import annotations


class Q2030Error(Exception):
    """Base class: `str(error)` is a French sentence that can be shown as is."""


class ValidationError(Q2030Error):
    """Bad input. `errors` maps a field name (or "" for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"": [errors]}
        self.errors = errors
        super().__init__(" ; ".join(m for messages in errors.values() for m in messages))


class PermissionRefusee(Q2030Error):
    """The acting user may not do this."""


class ConflitDeVersion(Q2030Error):
    """The record changed since the user opened it (stale edit)."""


class IntrouvableError(Q2030Error):
    """The record does not exist (or no longer)."""


class DepartementInconnu(ValidationError, IntrouvableError):
    """A département code outside the referentiel: one error, wherever it is looked up.

    Both a ValidationError on the field `departement_code` (a form or a filter shows it under
    the field) and an IntrouvableError (a lookup by code finds nothing); a Q2030Error either way,
    so the pages show its French message.
    """

    def __init__(self, departement_code: str) -> None:
        self.departement_code = departement_code
        super().__init__({"departement_code": [f"Département inconnu : « {departement_code} »."]})
