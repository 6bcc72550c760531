"""Concurrent writes of rencontres: the per-département lock (check for a duplicate, then
insert), the rencontre's write lock (replacing its contributions or documents), and its
version. Every version check is the one compare-and-set of `q2030.versioning`; this module
only names the entity and words the conflict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from q2030.access import Actor
from q2030.errors import ConflitDeVersion, IntrouvableError
from q2030.formatting import fr_date
from q2030.models import Departement, Rencontre
from q2030.rencontres.acces import find_rencontre
from q2030.versioning import Change, check_version, compare_and_set

PARIS = ZoneInfo("Europe/Paris")


def lock_departement(session: Session, departement_code: str) -> None:
    """Serialise, per département, the writes that check for a duplicate and then insert.

    Without it two saves of the same meeting at once both found no duplicate and both
    inserted (3 of 8 on SQLite, 8 of 8 on PostgreSQL). PostgreSQL: `SELECT … FOR UPDATE` on
    the département row, held to the commit; later statements (READ COMMITTED) see what the
    previous holder committed. SQLite: a no-op write on that row opens the write transaction
    at once (as `BEGIN IMMEDIATE` would; the driver only begins one before a write), so the
    duplicate check runs on the latest data and no other writer can slip in before the insert.
    Other départements are not blocked on PostgreSQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Departement.code).where(Departement.code == departement_code).with_for_update())
        return
    session.exec(
        update(Departement)
        .where(col(Departement.code) == departement_code)
        .values(nom=Departement.nom)
        .execution_options(synchronize_session=False)
    )


def lock_rencontre(
    session: Session, rencontre_id: int, *, actor: Actor, version: int | None = None, bump: bool = True
) -> Rencontre:
    """The rencontre, after taking the write lock its savers queue on, before anything is read.

    For writes that replace a rencontre's children (contributions). The UPDATE locks the row
    on PostgreSQL (READ COMMITTED: later statements then see the previous save's rows) and,
    on SQLite, opens the write transaction at once, so the reads below are in it. Without it,
    two saves at once mixed their rows on PostgreSQL and audited a stale "before" on SQLite.

    The contributions are part of the rencontre: saving them bumps its version, so an Excel
    template downloaded before is refused instead of deleting them. With `version`, a
    compare-and-set (ConflitDeVersion if someone saved in between); `bump=False` for a
    rencontre created in this same transaction (its first contributions are its creation).
    """
    stamp: dict[str, dt.datetime | str] = {"modifie_le": dt.datetime.now(dt.UTC), "modifie_par": actor.email}
    if version is not None:
        try:
            compare_and_set(
                session,
                Rencontre,
                row_id=rencontre_id,
                version=version,
                values=stamp,
                **_conflit(session, rencontre_id),
            )
        except ConflitDeVersion:
            find_rencontre(session, rencontre_id)  # a deleted rencontre is « introuvable », not a conflict
            raise
    else:  # no version to compare: only the lock (and the bump)
        values = {"version": col(Rencontre.version) + 1, **stamp} if bump else {"version": col(Rencontre.version)}
        session.exec(
            update(Rencontre)
            .where(col(Rencontre.id) == rencontre_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
    rencontre = session.get(Rencontre, rencontre_id, populate_existing=True)
    if rencontre is None:
        raise IntrouvableError(f"La rencontre n° {rencontre_id} n'existe pas (ou plus).")
    return rencontre


class ConflitRencontre(TypedDict):
    entite: str
    conflit: Callable[[Change | None], str]


def check_rencontre_version(session: Session, rencontre: Rencontre, version: int) -> None:
    """Early refusal of a form opened at an older version (the compare-and-set still decides)."""
    check_version(session, rencontre, version, **_conflit(session, rencontre.id or 0))


def _conflit(session: Session, rencontre_id: int) -> ConflitRencontre:
    """The audit entity and the conflict sentence of a rencontre, for `compare_and_set`."""

    def sentence(change: Change | None) -> str:
        if change is None:  # not in the audit log (rows written before it): the row's own stamp
            row = session.get(Rencontre, rencontre_id, populate_existing=True)
            stamped = row.modifie_le if row else dt.datetime.now(dt.UTC)
            who = (row.modifie_par if row else "") or "un autre utilisateur"
            change = who, stamped if stamped.tzinfo else stamped.replace(tzinfo=dt.UTC)
        who, when = change
        return (
            f"La rencontre n° {rencontre_id} a été modifiée par {who} le {fr_date(when.astimezone(PARIS))} depuis que "
            "vous l'avez ouverte. Votre modification n'a pas été enregistrée ; votre saisie est conservée dans le "
            "formulaire : rechargez la rencontre pour voir la version à jour, puis reportez-y vos changements."
        )

    return ConflitRencontre(entite="rencontre", conflit=sentence)


def bump_rencontre_version(session: Session, rencontre: Rencontre, version: int, actor: Actor) -> None:
    """Compare-and-set in SQL: two concurrent saves cannot both pass the version check."""
    now = dt.datetime.now(dt.UTC)
    rencontre.version = compare_and_set(
        session,
        Rencontre,
        row_id=rencontre.id or 0,
        version=version,
        values={"modifie_le": now, "modifie_par": actor.email},
        **_conflit(session, rencontre.id or 0),
    )
    rencontre.modifie_le, rencontre.modifie_par = now, actor.email
