"""Contributions of a rencontre: replaced as a whole table (the form's data editor, an
Excel sheet), validated row by row with messages naming the row and the column."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypedDict, TypeVar, cast

import pandas as pd
from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from q2030 import audit, cleaning
from q2030.access import Action, Actor, allowed, exiger
from q2030.comptage import soumettre
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.frontieres import ObjetJson, ValeurChamp, ValeurSql
from q2030.models import Contribution, Rencontre, utcnow
from q2030.nomenclature import AXES, PUBLICS, THEMES, StatutRencontre, label, theme_label
from q2030.rencontres.acces import cible, find_rencontre, require_read_rencontre
from q2030.rencontres.creation_groupee import RencontreCreee
from q2030.rencontres.verrous import lock_rencontre
from q2030.textnorm import normalize
from q2030.versioning import message_conflit

COLUMNS: dict[str, str] = {
    "axe": "Axe",
    "theme": "Thème",
    "texte": "Contribution",
    "rang": "Rang de priorité",
    "public": "Public concerné",
}
MAX_TEXT = 5_000
T = TypeVar("T")


class LigneContribution(TypedDict, total=False):
    """One contribution as typed in the form's editor or a spreadsheet row: codes or French
    labels, the rank as a number or text. Every key is optional (a blank cell)."""

    axe: str | None
    theme: str | None
    texte: str | None
    rang: int | float | str | None
    public: str | None


def lignes_lues(rows: Iterable[Mapping[str, ValeurChamp]]) -> list[LigneContribution]:
    """Rows read from a file or a data editor (cells of any type): the boundary where they
    become the typed input; `clean_rows` checks every value."""
    return [cast(LigneContribution, dict(row)) for row in rows]


@dataclass(frozen=True)
class ContributionValidee:
    """A contribution cleaned by `clean_rows`: nomenclature codes, the rank (None: unranked)."""

    axe: str
    theme: str
    texte: str
    rang: int | None
    public: str

    def valeurs(self) -> dict[str, str | int | None]:
        """The columns of COLUMNS, as stored and audited."""
        return {"axe": self.axe, "theme": self.theme, "texte": self.texte, "rang": self.rang, "public": self.public}


def clean_rows(rows: Sequence[LigneContribution]) -> list[ContributionValidee]:
    """Typed rows, blank rows dropped; ValidationError listing every bad cell."""
    messages: list[str] = []
    out: list[ContributionValidee] = []
    for number, row in enumerate(rows, start=1):
        cells: Mapping[str, object] = row
        if all(cleaning.is_blank(cells.get(key)) for key in COLUMNS if key != "public"):
            # An empty line left in the editor or the sheet; a new editor row carries the
            # public's default (« Tous »): with nothing else typed it is still blank.
            continue

        def cell(
            key: str, convert: Callable[[object], T], cells: Mapping[str, object] = cells, number: int = number
        ) -> T | None:
            try:
                return convert(cells.get(key))
            except ValueError as error:
                messages.append(f"Ligne {number}, colonne « {COLUMNS[key]} » : {error}.")
                return None

        axe = cell("axe", partial(cleaning.code, AXES))
        theme = cell("theme", partial(cleaning.code, THEMES))
        texte = cell("texte", partial(cleaning.text, max_length=MAX_TEXT))
        rang = cell("rang", cleaning.count)
        public = cell("public", partial(cleaning.code, PUBLICS)) or "tous"
        for key, value in (("axe", axe), ("theme", theme), ("texte", texte)):
            if not value and not any(m.startswith(f"Ligne {number}, colonne « {COLUMNS[key]} »") for m in messages):
                messages.append(f"Ligne {number}, colonne « {COLUMNS[key]} » : à remplir.")
        if rang == 0:
            messages.append(f"Ligne {number}, colonne « {COLUMNS['rang']} » : 1 est la priorité la plus haute, pas 0.")
        if axe and theme and texte:  # else a message above says which
            out.append(ContributionValidee(axe=axe, theme=theme, texte=texte, rang=rang, public=public))
    if messages:
        raise ValidationError({"contributions": messages})
    return out


@dataclass(frozen=True)
class ContributionsEnregistrees:
    """What a save of the contributions wrote, and the rencontre's version around it.

    A form open on the rencontre at `version_avant` follows to `version` (the save was its
    own); a form open at an older one stays there, and its next save is a conflict."""

    contributions: list[Contribution]
    version_avant: int
    version: int


def replace_contributions(
    session: Session,
    *,
    actor: Actor,
    rencontre_id: int,
    rows: Sequence[LigneContribution],
    version: int | None = None,
    lues: Sequence[LigneContribution] | None = None,
    bump: bool = True,
) -> ContributionsEnregistrees:
    """Replace every contribution of the rencontre by `rows` (codes or French labels).

    Concurrent saves of the same rencontre queue on its lock. Saving bumps the rencontre's
    version; with `version` it is a compare-and-set (the Excel import: ConflitDeVersion if the
    rencontre changed since the template was downloaded). With `lues`, the rows the editor
    showed when its user began typing, it is a compare-and-set on the contributions themselves:
    ConflitDeVersion if a colleague or an import saved other rows in between (what they saved
    is not overwritten), whatever else changed on the rencontre (its documents, its own form).
    """
    exiger(  # before the lock: a refused actor changes nothing, not even the version
        actor,
        Action.ECRIRE_RENCONTRE,
        cible(find_rencontre(session, rencontre_id)),
        "Seul le référent du département peut saisir les contributions de ses rencontres.",
    )
    rencontre = lock_rencontre(session, rencontre_id, actor=actor, version=version, bump=bump)
    if rencontre.statut == StatutRencontre.ANNULEE:
        raise ValidationError({"contributions": ["Cette rencontre est annulée : elle n'a pas de contributions."]})
    clean = clean_rows(rows)
    before = [_plain(c) for c in _existing(session, rencontre_id)]
    if lues is not None and [row.valeurs() for row in clean_rows(lues)] != before:
        raise ConflitDeVersion(
            message_conflit(
                session,
                entite="rencontre",
                row_id=rencontre_id,
                conflit="Les contributions de cette rencontre ont été enregistrées par ailleurs depuis que vous "
                "avez commencé à les saisir : les vôtres n'ont pas été enregistrées, pour ne pas effacer les "
                "autres. Rechargez les contributions enregistrées, puis saisissez de nouveau vos changements.",
            )
        )
    session.exec(delete(Contribution).where(col(Contribution.rencontre_id) == rencontre_id))
    created = [
        Contribution(rencontre_id=rencontre_id, axe=r.axe, theme=r.theme, texte=r.texte, rang=r.rang, public=r.public)
        for r in clean
    ]
    session.add_all(created)  # ORM on purpose: the before_insert event fills texte_norm
    after = [_plain(c) for c in created]
    if after != before and not allowed(actor, Action.VALIDER_RENCONTRE, cible(rencontre)):  # an organiser's
        soumettre(rencontre, avant={"contributions": len(before)})
    audit.record(
        session,
        actor=actor,
        action="contributions",
        entite="rencontre",
        entite_id=rencontre_id,
        avant={"contributions": before},
        apres={"contributions": [_plain(c) for c in created]},
    )
    session.flush()
    return ContributionsEnregistrees(created, rencontre.version - 1 if bump else rencontre.version, rencontre.version)


def insert_first_contributions(
    session: Session, *, actor: Actor, nouvelles: list[tuple[RencontreCreee, list[ContributionValidee]]]
) -> dict[int, ValidationError]:
    """The first contributions of rencontres created in this transaction (the Excel import's
    new rows): `replace_contributions(…, bump=False)` for many, with one INSERT for all.

    `nouvelles`: each rencontre with its rows already cleaned by `clean_rows`. Same rules:
    the access rule, nothing for a cancelled rencontre (its ValidationError is returned by
    rencontre id, nothing is written for it), one « contributions » audit event per
    rencontre; `texte_norm` computed as the ORM event does. The version is not bumped
    (their first contributions are the rencontre's creation)."""
    refused: dict[int, ValidationError] = {}
    rows: list[dict[str, ValeurSql]] = []  # the INSERT's parameters
    events: list[tuple[str | int | None, ObjetJson | None, ObjetJson | None]] = []
    now = utcnow()
    for rencontre, clean in nouvelles:
        exiger(
            actor,
            Action.ECRIRE_RENCONTRE,
            rencontre.cible,
            "Seul le référent du département peut saisir les contributions de ses rencontres.",
        )
        rencontre_id = rencontre.id
        if rencontre.statut == StatutRencontre.ANNULEE:
            refused[rencontre_id] = ValidationError(
                {"contributions": ["Cette rencontre est annulée : elle n'a pas de contributions."]}
            )
            continue
        rows.extend(
            {**row.valeurs(), "rencontre_id": rencontre_id, "texte_norm": normalize(row.texte), "cree_le": now}
            for row in clean
        )
        events.append((rencontre_id, {"contributions": []}, {"contributions": [row.valeurs() for row in clean]}))
    if rows:
        session.execute(insert(Contribution), rows)
    audit.record_many(session, actor=actor, action="contributions", entite="rencontre", events=events)
    return refused


def _existing(session: Session, rencontre_id: int) -> list[Contribution]:
    return list(
        session.exec(
            select(Contribution).where(col(Contribution.rencontre_id) == rencontre_id).order_by(col(Contribution.id))
        )
    )


def _plain(contribution: Contribution) -> ObjetJson:
    return {key: getattr(contribution, key) for key in COLUMNS}


def list_contributions(session: Session, *, actor: Actor, rencontre_id: int) -> pd.DataFrame:
    """The rencontre's contributions with French labels, in the editor's column order."""
    rencontre: Rencontre = find_rencontre(session, rencontre_id)
    require_read_rencontre(actor, rencontre)
    rows = [
        {
            "axe": label(AXES, c.axe),
            "theme": theme_label(c.theme),
            "texte": c.texte,
            "rang": c.rang,
            "public": label(PUBLICS, c.public),
        }
        for c in _existing(session, rencontre_id)
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["rang"] = frame["rang"].astype("Int64")
    return frame
