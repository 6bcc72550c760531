"""The probable duplicate: another rencontre, not cancelled, covering one of the same QPV on
the same date (across départements: an EPCI meeting next door may cover the same QPV).

The writes refuse it with `DoublonProbable` (French, naming the other meetings) unless the
author confirms; `creation_groupee` checks a whole file with one query (`candidats_doublon`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from q2030.db import select_columns
from q2030.errors import ValidationError
from q2030.formatting import fr_date
from q2030.frontieres import LigneSql
from q2030.models import Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre


@dataclass(frozen=True)
class Doublon:
    """A stored rencontre the new values may duplicate, and the QPV they both cover."""

    id: int
    date: dt.date
    heure_debut: dt.time | None
    lieu: str
    statut: str
    qpv_communs: tuple[str, ...]


class DoublonProbable(ValidationError):
    """Another rencontre covers one of the same QPV on the same date."""

    def __init__(self, doublons: list[Doublon]) -> None:
        self.doublons = doublons
        lines = [
            f"n° {d.id} du {fr_date(d.date)} ({d.lieu or 'lieu non précisé'}, quartiers {', '.join(d.qpv_communs)})"
            for d in doublons
        ]
        super().__init__(
            {
                "doublons": [
                    "Doublon probable : une autre rencontre couvre le même quartier à la même date : "
                    + " ; ".join(lines)
                    + ". Vérifiez, puis enregistrez quand même si ce sont bien deux rencontres."
                ]
            }
        )


# A possible duplicate as read: (id, date, heure_debut, lieu, statut, departement_code).
Candidat = tuple[int, dt.date, dt.time | None, str, str, str]


def candidats_doublon(dates: Sequence[dt.date], qpv_codes: Sequence[str]) -> Select[*LigneSql]:
    """Non-cancelled rencontres on one of `dates` covering one of `qpv_codes`, a row per covered
    QPV: (id, date, heure_debut, lieu, statut, qpv_code, departement_code)."""
    return (
        select_columns(
            Rencontre.id,
            Rencontre.date,
            Rencontre.heure_debut,
            Rencontre.lieu,
            Rencontre.statut,
            RencontreQpv.qpv_code,
            Rencontre.departement_code,
        )
        .join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
        .where(
            col(Rencontre.date).in_(dates),
            Rencontre.statut != StatutRencontre.ANNULEE,
            col(RencontreQpv.qpv_code).in_(qpv_codes),
        )
    )


def probable_duplicates(
    session: Session,
    *,
    departement_code: str,
    date: dt.date,
    qpv_codes: list[str],
    exclude_id: int | None = None,
) -> list[Doublon]:
    """Non-cancelled rencontres on `date` covering one of `qpv_codes`.

    Looks across départements too (an EPCI meeting next door may cover the same QPV);
    `departement_code` orders this département's own rencontres first.
    """
    if not qpv_codes:
        return []
    query = candidats_doublon([date], qpv_codes).order_by(col(Rencontre.id))
    if exclude_id is not None:
        query = query.where(Rencontre.id != exclude_id)
    found: dict[int, tuple[Candidat, list[str]]] = {}
    for rid, day, start, lieu, statut, qpv, dep in session.exec(query):
        found.setdefault(rid, ((rid, day, start, lieu, statut, dep), []))[1].append(qpv)
    return doublons_ordonnes(found, departement_code)


def doublons_ordonnes(found: dict[int, tuple[Candidat, list[str]]], departement_code: str) -> list[Doublon]:
    """The duplicates found, rencontre id -> ((id, date, heure_debut, lieu, statut, departement_code),
    QPV in common): this département's own first, then by id."""
    ordered = sorted(found.values(), key=lambda item: (item[0][5] != departement_code, item[0][0]))
    return [Doublon(r[0], r[1], r[2], r[3], r[4], tuple(sorted(q))) for r, q in ordered]
