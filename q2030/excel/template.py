"""The per-département offline entry template (modèle de saisie).

Pre-filled with the département's existing rencontres (their id in "Identifiant", so a
re-import updates them) and their contributions; empty rows below carry the same
drop-downs and checks, fed by a hidden, protected "Listes" sheet.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, col, select

from q2030 import clock
from q2030.access import Lecteur, lecture, require, require_read_departement
from q2030.campaigns import active_campaign
from q2030.errors import DepartementInconnu
from q2030.excel.columns import (
    BLEU_FRANCE,
    BOOL_CHOICES,
    CONTRIBUTION_COLUMNS,
    DATE_FORMAT,
    HEADER_ALIGNMENT,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    MULTI_SEPARATOR,
    NON,
    OUI,
    RENCONTRE_COLUMNS,
    SHEET_CONTRIBUTIONS,
    SHEET_LISTES,
    SHEET_README,
    SHEET_RENCONTRES,
    TIME_FORMAT,
    Column,
)
from q2030.formatting import fr_date
from q2030.models import Campaign, Contribution, Departement, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import Perimetre, label
from q2030.safe_text import set_text

EMPTY_ROWS = 300  # rows below the data that carry drop-downs and checks


def qpv_choice(code: str, nom: str) -> str:
    """How a QPV appears in the drop-down; the importer keeps the code before " – "."""
    return f"{code} – {nom}"


def style_header(ws: Worksheet, columns: Iterable[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT, HEADER_BORDER
        ws.column_dimensions[get_column_letter(index)].width = column.width
        if column.hidden:
            ws.column_dimensions[get_column_letter(index)].hidden = True
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "B2"


def build_template(session: Session, *, actor: Lecteur, departement_code: str) -> bytes:
    """The .xlsx entry template of a département, pre-filled with its rencontres (a local
    organiser's: its organisation's rencontres only)."""
    scope = lecture(actor)
    if scope.organisation is not None:
        require(
            scope.departement_code == departement_code, "Vous ne pouvez pas télécharger le modèle de ce département."
        )
    else:
        require_read_departement(actor, departement_code, "Vous ne pouvez pas télécharger le modèle de ce département.")
    departement = session.get(Departement, departement_code)
    if departement is None:  # the referentiel is seeded in every database: never true
        raise DepartementInconnu(departement_code)
    campaign = active_campaign(session)
    qpv = session.exec(
        select(Qpv.code, Qpv.nom)
        .where(Qpv.departement_code == departement.code, Qpv.geographie == campaign.geographie)
        .order_by(Qpv.code)
    ).all()
    rencontres = session.exec(
        select(Rencontre)
        .where(Rencontre.campaign_id == campaign.id, Rencontre.departement_code == departement.code)
        .where(scope.clause(col(Rencontre.departement_code), None, col(Rencontre.organisation)))
        .order_by(col(Rencontre.date), col(Rencontre.id))
    ).all()
    ids = [r.id for r in rencontres]
    qpv_of: dict[int, list[str]] = defaultdict(list)
    contributions: list[Contribution] = []
    if ids:
        for link in session.exec(
            select(RencontreQpv)
            .where(col(RencontreQpv.rencontre_id).in_(ids), RencontreQpv.direct)
            .order_by(col(RencontreQpv.qpv_code))
        ):
            qpv_of[link.rencontre_id].append(link.qpv_code)
        contributions = list(
            session.exec(
                select(Contribution)
                .where(col(Contribution.rencontre_id).in_(ids))
                .order_by(col(Contribution.rencontre_id), col(Contribution.rang), col(Contribution.id))
            )
        )
    names = dict(qpv)

    wb = Workbook()
    readme = wb.active
    readme.title = SHEET_README
    ws_r = wb.create_sheet(SHEET_RENCONTRES)
    ws_c = wb.create_sheet(SHEET_CONTRIBUTIONS)
    ws_l = wb.create_sheet(SHEET_LISTES)
    ranges = _write_lists(ws_l, [qpv_choice(c, n) for c, n in qpv])
    _write_readme(readme, departement, campaign, len(qpv))

    style_header(ws_r, RENCONTRE_COLUMNS)
    for row, rencontre in enumerate(rencontres, start=2):
        codes = qpv_of.get(rencontre.id or 0, [])
        for index, column in enumerate(RENCONTRE_COLUMNS, start=1):
            value = _rencontre_value(rencontre, column, codes, names)
            cell = set_text(ws_r, f"{get_column_letter(index)}{row}", value)  # user text stays text
            _number_format(cell, column)
    last_r = len(rencontres) + 1 + EMPTY_ROWS
    _validations(ws_r, RENCONTRE_COLUMNS, ranges, last_r)
    for row in range(len(rencontres) + 2, last_r + 1):  # formats of the empty rows
        for index, column in enumerate(RENCONTRE_COLUMNS, start=1):
            if column.kind in ("date", "time"):
                _number_format(ws_r.cell(row=row, column=index), column)

    style_header(ws_c, CONTRIBUTION_COLUMNS)
    for row, contribution in enumerate(contributions, start=2):
        values = {
            "identifiant": contribution.rencontre_id,
            "axe": label(_choices("axe"), contribution.axe),
            "theme": label(_choices("theme"), contribution.theme),
            "texte": contribution.texte,
            "rang": contribution.rang,
            "public": label(_choices("public"), contribution.public),
        }
        for index, column in enumerate(CONTRIBUTION_COLUMNS, start=1):
            set_text(ws_c, f"{get_column_letter(index)}{row}", values[column.field])
    _validations(ws_c, CONTRIBUTION_COLUMNS, ranges, len(contributions) + 1 + EMPTY_ROWS * 5)

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _choices(field: str) -> dict[str, str]:
    return next(c.choices for c in CONTRIBUTION_COLUMNS if c.field == field) or {}


def _rencontre_value(rencontre: Rencontre, column: Column, codes: list[str], names: dict[str, str]) -> object:
    field = column.field
    if field == "identifiant":
        return rencontre.id
    if field == "doublon_confirme":
        return NON
    if field == "version":
        return rencontre.version
    if field == "qpv_principal":
        return (
            qpv_choice(codes[0], names.get(codes[0], ""))
            if codes and rencontre.perimetre == Perimetre.QUARTIER
            else None
        )
    if field == "qpv_autres":
        return f"{MULTI_SEPARATOR} ".join(codes[1:]) if rencontre.perimetre == Perimetre.QUARTIER else None
    value = getattr(rencontre, field)
    if column.kind == "choice":
        return label(column.choices or {}, value)
    if column.kind == "multi":
        return f"{MULTI_SEPARATOR} ".join(label(column.choices or {}, code) for code in value or [])
    if column.kind == "bool":
        return BOOL_CHOICES[bool(value)]
    if column.kind == "text":
        return value or None
    return value


def _number_format(cell: Cell, column: Column) -> None:
    if column.kind == "date":
        cell.number_format = DATE_FORMAT
    elif column.kind == "time":
        cell.number_format = TIME_FORMAT


def _write_lists(ws: Worksheet, qpv_choices: list[str]) -> dict[str, str]:
    """One column per list; returns list name -> "Listes!$A$2:$A$n" for the validations."""
    lists: dict[str, list[str]] = {"qpv": qpv_choices or ["(aucun QPV importé)"], "bool": [OUI, NON]}
    for column in (*RENCONTRE_COLUMNS, *CONTRIBUTION_COLUMNS):
        if column.choices and column.field not in lists:
            lists[column.field] = list(column.choices.values())
    titles = {"qpv": "QPV du département", "bool": "Oui / Non"}
    headers = {c.field: c.header for c in (*RENCONTRE_COLUMNS, *CONTRIBUTION_COLUMNS)}
    ranges: dict[str, str] = {}
    for index, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=titles.get(name, headers.get(name, name))).font = HEADER_FONT
        ws.cell(row=1, column=index).fill = HEADER_FILL
        for row, value in enumerate(values, start=2):
            set_text(ws, f"{letter}{row}", value)
        ws.column_dimensions[letter].width = 48 if name in ("qpv", "axe") else 30
        ranges[name] = f"{quote_sheetname(ws.title)}!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    ws.protection.sheet = True  # read-only lists: the drop-downs depend on them
    return ranges


def _validations(ws: Worksheet, columns: tuple[Column, ...], ranges: dict[str, str], last_row: int) -> None:
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        area = f"{letter}2:{letter}{last_row}"
        source = None
        if column.kind == "qpv":
            source = ranges["qpv"]
        elif column.kind == "bool":
            source = ranges["bool"]
        elif column.kind == "choice":
            source = ranges[column.field]
        if source:
            dv = DataValidation(type="list", formula1=f"={source}", allow_blank=not column.required)
            dv.error, dv.errorTitle = "Choisissez une valeur de la liste.", column.header
        elif column.kind == "int":
            dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            dv.error, dv.errorTitle = "Un nombre entier positif ou nul est attendu.", column.header
        elif column.kind == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
            dv.error, dv.errorTitle = "Une date est attendue (JJ/MM/AAAA).", column.header
        elif column.kind == "time":
            dv = DataValidation(type="time", operator="between", formula1="0", formula2="0.999988", allow_blank=True)
            dv.error, dv.errorTitle = "Une heure est attendue (HH:MM).", column.header
        else:
            continue
        dv.showErrorMessage = True
        if column.note:
            dv.prompt, dv.promptTitle, dv.showInputMessage = column.note, column.header, True
        ws.add_data_validation(dv)
        dv.add(area)


def _write_readme(ws: Worksheet, departement: Departement, campaign: Campaign, qpv_count: int) -> None:
    lines = [
        f"Modèle de saisie des rencontres — {departement.nom} ({departement.code})",
        f"Campagne « {campaign.nom} » : rencontres à tenir au plus tard le {fr_date(campaign.rencontres_echeance)}.",
        f"Téléchargé le {fr_date(clock.today())} ; {qpv_count} QPV dans la liste du département.",
        "",
        "Comment remplir ce fichier",
        "1. Feuille « Rencontres » : une ligne par rencontre. Les rencontres déjà saisies sont pré-remplies :",
        "   leur « Identifiant » est leur numéro dans l'application ; ne le modifiez pas, la ligne sera mise à jour.",
        "2. Pour une nouvelle rencontre, inscrivez dans « Identifiant » une référence de votre choix (R1, R2…),",
        "   unique dans le fichier : elle sert à rattacher les contributions.",
        "3. Périmètre « Quartiers » : choisissez le QPV principal dans la liste, les autres dans « Autres QPV »",
        "   (codes séparés par « ; »). Périmètre « Commune » : code INSEE ; « Intercommunalité » : SIREN de l'EPCI.",
        "4. Dates au format JJ/MM/AAAA, heures HH:MM ; effectifs en nombres entiers (femmes, jeunes… ≤ participants).",
        "5. Feuille « Contributions » : une ligne par contribution, avec l'identifiant de sa rencontre (n° ou R1…).",
        "   Les contributions présentes dans le fichier remplacent celles de la rencontre ; une rencontre sans",
        "   aucune ligne de contribution dans le fichier garde les siennes.",
        "6. Une nouvelle rencontre signalée comme « doublon probable » (même quartier, même date qu'une autre)",
        "   est refusée : vérifiez, puis mettez « Oui » dans « Doublon confirmé » pour l'enregistrer quand même.",
        "   La colonne masquée « Version (ne pas modifier) » protège les modifications faites depuis le",
        "   téléchargement : une ligne plus ancienne que l'application est refusée ; téléchargez un nouveau modèle.",
        "7. Les listes déroulantes reprennent les nomenclatures de l'application ; l'ordre des colonnes peut changer,",
        "   mais pas leurs titres. Les lignes vides sont ignorées.",
        "",
        "À l'import",
        "Chaque ligne est contrôlée avec les mêmes règles que le formulaire de l'application. S'il y a la moindre",
        "erreur, rien n'est importé et la liste des erreurs indique la feuille, la ligne, la colonne et la valeur.",
        "Sinon, l'application indique les rencontres créées, mises à jour et inchangées. Importer deux fois le même",
        "fichier ne change rien. Aucune donnée personnelle : seulement des effectifs.",
    ]
    for row, text in enumerate(lines, start=1):
        set_text(ws, f"A{row}", text)
    ws["A1"].font = HEADER_FONT
    ws["A1"].fill = HEADER_FILL
    for row, text in enumerate(lines, start=1):
        if text in ("Comment remplir ce fichier", "À l'import"):
            ws.cell(row=row, column=1).font = Font(bold=True, color=BLEU_FRANCE)
    ws.column_dimensions["A"].width = 120
