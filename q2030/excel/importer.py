"""Import of a filled entry template: all or nothing, idempotent, same rules as the form.

Every row goes through the rencontres services (`rencontres.controle.validate_rencontre`,
`ecriture.update_rencontre`, `creation_groupee.create_rencontres`, `contributions.clean_rows` /
`replace_contributions`):
the importer only reads cells and maps the service's field errors back to the sheet, row
and column the user sees. With any error it raises `ImportRefuse` carrying the full
report; the caller's transaction (q2030.db.session_scope) then rolls back, so rencontres,
contributions and the audit log stay as they were. A row whose normalised values equal the database is not written.

Nothing typed online is overwritten by an older file: each row carries the rencontre's
version (hidden column); a row that would change a rencontre saved since is refused,
naming who saved it and when (audit log), and every write is the service's
compare-and-set. A new row's reference (R1) is stored with the rencontre it creates, so a
re-import of the same row finds it again (whatever its status) instead of creating it
twice; a reference is typed by a person, not an identity: a row with a reference already
used whose values differ (another file weeks later, another meeting) never rewrites the
earlier rencontre, it is refused naming it (« R1 a déjà servi le … pour la rencontre n° … »).
Only the number and hidden version the template wrote designate a stored rencontre. A new
reference never merges into another rencontre: it is created, or refused as a probable
duplicate unless "Doublon confirmé" says Oui. The whole import holds the département's
write lock (`rencontres.verrous.lock_departement`): concurrent imports queue instead of racing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from q2030.access import Action, Actor, RencontreCible, exiger
from q2030.db import select_columns
from q2030.errors import ConflitDeVersion, Q2030Error, ValidationError
from q2030.excel.columns import (
    CONTRIBUTION_COLUMNS,
    DOUBLON_HEADER,
    RENCONTRE_COLUMNS,
    SHEET_CONTRIBUTIONS,
    SHEET_RENCONTRES,
    VERSION_HEADER,
)
from q2030.excel.reading import ContributionRow, ImportIssue, RencontreRow, display, read_workbook
from q2030.formatting import fr_count
from q2030.frontieres import ValeurChamp, ValeurSql
from q2030.models import Contribution, Rencontre, stored_id
from q2030.nomenclature import Perimetre
from q2030.versioning import last_change

if TYPE_CHECKING:  # the services are imported where they are called (see import_workbook)
    from q2030.contributions import ContributionValidee
    from q2030.rencontres.saisie import RencontreValidee

Progress = Callable[[float, str], None]
# Service field -> template header (the QPV list is fed by two columns: name the first).
RENCONTRE_HEADERS = {c.field: c.header for c in RENCONTRE_COLUMNS} | {
    "qpv_codes": "QPV",
    "qpv": "QPV",
    "doublons": DOUBLON_HEADER,
    "departement_code": "Identifiant",
    "campaign_id": "Identifiant",
}
CONTRIBUTION_HEADERS = {c.field: c.header for c in CONTRIBUTION_COLUMNS}
# Rencontre columns the import never compares (bookkeeping, or set by the service).
NOT_COMPARED = {
    "id", "campaign_id", "departement_code", "version", "cree_le", "cree_par", "modifie_le", "modifie_par",
    "reference_import",
}  # fmt: skip
REFERENCE_MAX = 50  # Rencontre.reference_import


@dataclass
class ImportReport:
    issues: list[ImportIssue] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contributions_replaced: int = 0  # rencontres whose contributions were rewritten
    contributions: int = 0  # contribution rows read

    @property
    def ok(self) -> bool:
        return not self.issues

    def lines(self) -> list[str]:
        if self.issues:
            out = [f"{fr_count(len(self.issues), 'erreur')} : rien n'a été importé."]
            for issue in self.issues:
                where = f"{issue.sheet}, ligne {issue.row}" if issue.row else issue.sheet or "Fichier"
                column = f", colonne « {issue.column} »" if issue.column else ""
                value = f" (valeur « {issue.value} »)" if issue.value else ""
                out.append(f"- {where}{column}{value} : {issue.message}")
            return out
        return [
            f"Rencontres créées : {self.created}, mises à jour : {self.updated}, inchangées : {self.unchanged}.",
            f"Contributions lues : {self.contributions} ; rencontres dont les contributions ont été remplacées : "
            f"{self.contributions_replaced}.",
        ]

    def as_rows(self) -> list[dict[str, str | int | None]]:
        """The error report as a table (Feuille, Ligne, Colonne, Valeur, Message)."""
        return [
            {"Feuille": i.sheet, "Ligne": i.row, "Colonne": i.column, "Valeur": i.value, "Message": i.message}
            for i in self.issues
        ]


class ImportRefuse(Q2030Error):
    """The file has errors: nothing must be written (the caller rolls back)."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(f"{fr_count(len(report.issues), 'erreur')} dans le fichier : rien n'a été importé.")


def import_workbook(
    session: Session,
    *,
    actor: Actor,
    departement_code: str,
    content: bytes,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a filled template for a département; ImportRefuse (with the report) on any error."""
    from q2030 import contributions as contribution_service  # the form's rules, never copied here
    from q2030.rencontres import controle, creation_groupee, doublons, ecriture, saisie, verrous

    exiger(
        actor,
        Action.ECRIRE_RENCONTRE,
        RencontreCible(departement_code, actor.organisation),
        "Seul le référent du département peut importer ses rencontres.",
    )
    notify = progress or (lambda _f, _m: None)
    notify(0.0, "Lecture du fichier…")
    parsed = read_workbook(content)
    report = ImportReport(issues=list(parsed.issues), contributions=len(parsed.contributions))
    if report.issues:
        raise ImportRefuse(report)

    # One writer per département from here to the commit: two imports of the same file (or
    # an import and a form) cannot both find no duplicate / no reference and both insert.
    verrous.lock_departement(session, departement_code)
    referentiel = controle.Referentiel.charger(session)
    campaign = referentiel.campaign
    existing = _existing(session, campaign.id, departement_code, [r.rencontre_id for r in parsed.rencontres])
    imported = _by_reference(session, campaign.id, departement_code, parsed.rencontres)
    # What the rows of stored rencontres are compared with, read once for the file.
    stored_ids = sorted({r.id for r in (*existing.values(), *imported.values()) if r.id is not None})
    referentiel.charger_qpv_directs(session, stored_ids)
    stored_contributions = _stored_contributions(session, stored_ids)
    by_identifiant: dict[str, list[ContributionRow]] = defaultdict(list)
    for row in parsed.contributions:
        by_identifiant[row.identifiant.casefold()].append(row)
    wanted: dict[str, list[contribution_service.ContributionValidee]] = {}  # identifiant -> cleaned by the service
    for key, rows in by_identifiant.items():
        try:
            wanted[key] = contribution_service.clean_rows(contribution_service.lignes_lues(r.data for r in rows))
        except ValidationError as error:
            report.issues.extend(_contribution_issues(rows, error))
    total = max(1, len(parsed.rencontres))
    cleaned: dict[int, saisie.RencontreValidee] = {}  # row -> data validated by the service
    target: dict[int, tuple[Rencontre, int]] = {}  # row -> (stored rencontre, version the file was made from)
    # Computed once, under the département lock; a concurrent form save in between is caught by
    # the compare-and-set (a change skipped here was not the file's to make).
    same: dict[int, bool] = {}  # row -> the rencontre's fields already hold the row's values
    same_contributions: dict[int, bool] = {}  # row -> no contribution row, or the same ones
    for position, item in enumerate(parsed.rencontres):
        key = item.identifiant.casefold()
        if item.rencontre_id is not None:
            if item.rencontre_id not in existing:
                report.issues.append(
                    ImportIssue(SHEET_RENCONTRES, item.row, "Identifiant", item.identifiant,
                                "Aucune rencontre de ce numéro dans le département : pour une nouvelle rencontre, "
                                "utilisez une référence comme R1.")
                )  # fmt: skip
                continue
            if item.version is None:
                report.issues.append(
                    ImportIssue(SHEET_RENCONTRES, item.row, VERSION_HEADER, "",
                                "Version absente : cette colonne du modèle ne se modifie pas ; téléchargez un "
                                "nouveau modèle pour modifier cette rencontre.")
                )  # fmt: skip
                continue
            target[item.row] = (existing[item.rencontre_id], item.version)
        elif len(key) > REFERENCE_MAX:
            report.issues.append(
                ImportIssue(SHEET_RENCONTRES, item.row, "Identifiant", item.identifiant,
                            f"Référence trop longue ({len(key)} caractères, {REFERENCE_MAX} au plus).")
            )  # fmt: skip
            continue
        elif key in imported:
            # Created by an earlier import of this file, at version 1 (with its contributions).
            target[item.row] = (imported[key], 1)
        rencontre_id = target[item.row][0].id if item.row in target else None
        data = saisie.saisie_brute({**item.data, "departement_code": departement_code})
        try:
            cleaned[item.row] = controle.validate_rencontre(
                session, actor=actor, data=data, rencontre_id=rencontre_id, referentiel=referentiel
            )
        except ValidationError as error:
            report.issues.extend(_rencontre_issues(item, error))
            continue
        if item.row in target:
            rencontre, version = target[item.row]
            same[item.row] = _same(rencontre, cleaned[item.row], referentiel.qpv_directs.get(rencontre.id or 0, []))
            same_contributions[item.row] = key not in wanted or not _contributions_differ(
                stored_contributions.get(rencontre.id or 0, []), wanted[key]
            )
            if item.rencontre_id is None and not (same[item.row] and same_contributions[item.row]):
                # A typed reference is not an identity: only the same row of the same file finds
                # its rencontre again (re-import); anything else would rewrite another meeting.
                report.issues.append(_reference_used_issue(item, rencontre))
            elif not (same[item.row] and same_contributions[item.row]) and version != rencontre.version:
                report.issues.append(_stale_issue(session, item, rencontre, version))
        notify(0.5 * (position + 1) / total, f"Contrôle des rencontres : {position + 1} / {total}")
    if report.issues:
        raise ImportRefuse(report)
    # One data version bump and one read-model refresh for the whole file: the after-write step
    # of this transaction (q2030.apres_ecriture), before its commit. Rows of stored rencontres
    # go through the form's services one by one (compare-and-set each); new rows, validated
    # above by the same service, are created in bulk after them (one INSERT per table).
    nouvelles = [item for item in parsed.rencontres if item.row not in target]
    for position, item in enumerate(parsed.rencontres):
        if item.row not in target:
            continue
        key = item.identifiant.casefold()
        data = saisie.saisie_brute({**item.data, "departement_code": departement_code})
        try:
            rencontre, version = target[item.row]
            if same[item.row]:
                report.unchanged += 1
            else:
                rencontre = ecriture.update_rencontre(
                    session, actor=actor, rencontre_id=stored_id(rencontre), version=version, data=data,
                    allow_duplicate=item.doublon_confirme,
                )  # fmt: skip
                report.updated += 1
            if key in wanted and not same_contributions[item.row]:
                contribution_service.replace_contributions(
                    session, actor=actor, rencontre_id=stored_id(rencontre),
                    rows=contribution_service.lignes_lues(r.data for r in by_identifiant[key]),
                    version=rencontre.version,
                )  # fmt: skip
                report.contributions_replaced += 1
        except ConflitDeVersion:  # saved by someone else since the check above
            stored = session.get(Rencontre, target[item.row][0].id, populate_existing=True)
            if stored is None:  # deleted since the check above: the compare-and-set found no row
                report.issues.append(
                    ImportIssue(SHEET_RENCONTRES, item.row, "Identifiant", item.identifiant,
                                f"La rencontre n° {target[item.row][0].id} a été supprimée dans l'application "
                                "depuis ce fichier : téléchargez un nouveau modèle.")
                )  # fmt: skip
            else:
                report.issues.append(_stale_issue(session, item, stored, target[item.row][1]))
        except doublons.DoublonProbable as error:
            report.issues.append(_doublon_issue(item, error))
        except ValidationError as error:
            if any(k == "contributions" for k in error.errors):
                report.issues.extend(_contribution_issues(by_identifiant[key], error))
            else:
                report.issues.extend(_rencontre_issues(item, error))
        notify(0.5 + 0.4 * (position + 1) / total, f"Enregistrement : {position + 1} / {total}")
    if report.issues:
        raise ImportRefuse(report)
    notify(0.9, f"Enregistrement des nouvelles rencontres : {len(nouvelles)}")
    created = creation_groupee.create_rencontres(
        session,
        actor=actor,
        nouvelles=[
            creation_groupee.NouvelleRencontre(
                cleaned[item.row], allow_duplicate=item.doublon_confirme, reference_import=item.identifiant.casefold()
            )
            for item in nouvelles
        ],
    )
    first: list[tuple[creation_groupee.RencontreCreee, list[contribution_service.ContributionValidee]]] = []
    row_of: dict[int, RencontreRow] = {}
    for item, outcome in zip(nouvelles, created, strict=True):
        if isinstance(outcome, doublons.DoublonProbable):
            report.issues.append(_doublon_issue(item, outcome))
            continue
        report.created += 1
        key = item.identifiant.casefold()
        row_of[outcome.id] = item
        if key in wanted:
            first.append((outcome, wanted[key]))
            report.contributions_replaced += 1
    if report.issues:
        raise ImportRefuse(report)
    refused = contribution_service.insert_first_contributions(session, actor=actor, nouvelles=first)
    for rencontre_id, refusal in refused.items():
        report.issues.extend(_contribution_issues(by_identifiant[row_of[rencontre_id].identifiant.casefold()], refusal))
    if report.issues:
        raise ImportRefuse(report)
    session.flush()
    notify(1.0, "Import terminé.")
    return report


def _doublon_issue(item: RencontreRow, error: Exception) -> ImportIssue:
    """A probable duplicate (`rencontres.doublons.DoublonProbable`), with how to import it all the same."""
    messages = getattr(error, "errors", {}).get("doublons", [])
    hint = f" Pour l'enregistrer quand même, mettez « Oui » dans la colonne « {DOUBLON_HEADER} »."
    return ImportIssue(SHEET_RENCONTRES, item.row, DOUBLON_HEADER, "Non", " ".join(messages) + hint)


def _reference_used_issue(item: RencontreRow, rencontre: Rencontre) -> ImportIssue:
    """A new row whose reference (R1) already created another rencontre, from another file or before an edit."""
    return ImportIssue(
        SHEET_RENCONTRES,
        item.row,
        "Identifiant",
        item.identifiant,
        f"{item.identifiant} a déjà servi le {rencontre.cree_le:%d/%m/%Y} pour la rencontre n° {rencontre.id} "
        f"(du {rencontre.date:%d/%m/%Y}, {rencontre.lieu or 'lieu non précisé'}), créée par un import : une "
        "référence ne désigne pas une rencontre déjà enregistrée. Pour une nouvelle rencontre, choisissez une "
        "autre référence ; pour modifier la rencontre n° "
        f"{rencontre.id}, téléchargez un nouveau modèle (elle y porte son numéro).",
    )


def _stale_issue(session: Session, item: RencontreRow, rencontre: Rencontre, version: int) -> ImportIssue:
    """A row made from an older version of the rencontre: who changed it since, and when (audit log)."""
    change = last_change(session, entite="rencontre", entite_id=rencontre.id or 0)
    who = (
        f"en dernier par {change[0]} le {change[1]:%d/%m/%Y à %H:%M}"
        if change
        else f"en dernier par {rencontre.modifie_par or 'un autre utilisateur'}"
    )
    return ImportIssue(
        SHEET_RENCONTRES,
        item.row,
        "Identifiant",
        item.identifiant,
        f"La rencontre n° {rencontre.id} a été modifiée dans l'application depuis ce fichier (version {version} "
        f"dans le fichier, {rencontre.version} dans l'application), {who}. L'importer effacerait cette "
        "modification : téléchargez un nouveau modèle et reportez-y vos changements.",
    )


def _by_reference(
    session: Session, campaign_id: int | None, departement_code: str, rows: list[RencontreRow]
) -> dict[str, Rencontre]:
    """Rencontres created by an earlier import from these rows' references (R1…), by casefolded reference."""
    wanted = [r.identifiant.casefold() for r in rows if r.rencontre_id is None]
    if not wanted:
        return {}
    return {
        r.reference_import: r
        for r in session.exec(
            select(Rencontre).where(
                col(Rencontre.reference_import).in_(wanted),
                Rencontre.campaign_id == campaign_id,
                Rencontre.departement_code == departement_code,
            )
        )
        if r.reference_import is not None  # always, by the IN above: narrows the type
    }


def _existing(
    session: Session, campaign_id: int | None, departement_code: str, ids: list[int | None]
) -> dict[int | None, Rencontre]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        r.id: r
        for r in session.exec(
            select(Rencontre).where(
                col(Rencontre.id).in_(wanted),
                Rencontre.campaign_id == campaign_id,
                Rencontre.departement_code == departement_code,
            )
        )
    }


def _comparable(value: ValeurSql) -> ValeurSql:
    if isinstance(value, (list, tuple, set)):
        return sorted(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _same(rencontre: Rencontre, clean: RencontreValidee, directs: list[str]) -> bool:
    """Does the validated row equal the stored rencontre (values normalised by the service)?

    `directs`: the rencontre's direct QPV as stored (`Referentiel.charger_qpv_directs`)."""
    for key, value in clean.colonnes().items():
        if key in NOT_COMPARED or key not in Rencontre.model_fields:
            continue
        if _comparable(getattr(rencontre, key)) != _comparable(value):
            return False
    return not (clean.perimetre == Perimetre.QUARTIER and sorted(directs) != sorted(clean.qpv_codes))


# A stored contribution as compared: (axe, theme, texte, rang, public).
ContributionLue = tuple[str, str, str, int | None, str]


def _stored_contributions(session: Session, rencontre_ids: list[int]) -> dict[int, list[ContributionLue]]:
    """The stored contributions of these rencontres as (axe, theme, texte, rang, public), in one query."""
    out: dict[int, list[ContributionLue]] = defaultdict(list)
    if not rencontre_ids:
        return out
    for rencontre_id, *values in session.exec(
        select_columns(
            Contribution.rencontre_id, Contribution.axe, Contribution.theme, Contribution.texte, Contribution.rang,
            Contribution.public,
        ).where(col(Contribution.rencontre_id).in_(rencontre_ids))
    ):  # fmt: skip
        out[rencontre_id].append(tuple(values))
    return out


def _contributions_differ(stored: list[ContributionLue], wanted: list[ContributionValidee]) -> bool:
    """Compare as multisets of (axe, theme, texte, rang, public), values cleaned by the service."""
    return sorted(map(repr, stored)) != sorted(repr((r.axe, r.theme, r.texte, r.rang, r.public)) for r in wanted)


def _field_header(key: str, headers: dict[str, str]) -> str:
    if key in headers:
        return headers[key]
    for name, header in headers.items():  # "contributions.3.texte" -> "texte"
        if name in key.split(".") or key.endswith(name):
            return header
    return ""


def _rencontre_issues(item: RencontreRow, error: ValidationError) -> list[ImportIssue]:
    issues = []
    for key, messages in error.errors.items():
        header = _field_header(key, RENCONTRE_HEADERS)
        value = item.identifiant if header == "Identifiant" else _row_value(item.data, key)
        for message in messages:
            issues.append(ImportIssue(SHEET_RENCONTRES, item.row, header, value, message))
    return issues


def _row_value(data: dict[str, ValeurChamp], key: str) -> str:
    field_name = next((f for f in data if f == key or key.endswith(f)), None)
    if field_name is None:
        return ""
    value = data[field_name]
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return display(value)


LINE_MESSAGE = re.compile(r"^Ligne (\d+), colonne « (.+?) » : (.*)$", re.S)


def _contribution_issues(rows: list[ContributionRow], error: ValidationError) -> list[ImportIssue]:
    """Map the service's "Ligne N, colonne « X » : …" messages back to the sheet's rows."""
    from q2030.contributions import COLUMNS as SERVICE_COLUMNS

    by_label = {label_text: CONTRIBUTION_HEADERS.get(name, label_text) for name, label_text in SERVICE_COLUMNS.items()}
    field_of = {label_text: name for name, label_text in SERVICE_COLUMNS.items()}
    issues = []
    for messages in error.errors.values():
        for message in messages:
            match = LINE_MESSAGE.match(message)
            if match and 0 < int(match.group(1)) <= len(rows):
                row = rows[int(match.group(1)) - 1]
                column = match.group(2)
                value = _row_value(row.data, field_of.get(column, ""))
                header = by_label.get(column, column)
                issues.append(ImportIssue(SHEET_CONTRIBUTIONS, row.row, header, value, match.group(3)))
            else:  # a message about the whole set (e.g. a cancelled rencontre): name its first row
                issues.append(ImportIssue(SHEET_CONTRIBUTIONS, rows[0].row, "", "", message))
    return issues
