"""Reading a filled entry template into typed rows, with cell-precise errors.

Tolerant of what spreadsheets do to data: dates re-typed as text (12/06/2023) or left
as serial numbers, trailing spaces, blank rows, columns moved (matched by header, accents
and case ignored), codes typed instead of labels. No database access here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

from openpyxl.utils.datetime import from_excel

from q2030.excel.columns import (
    CONTRIBUTION_COLUMNS,
    NON,
    OUI,
    RENCONTRE_COLUMNS,
    SHEET_CONTRIBUTIONS,
    SHEET_RENCONTRES,
    Column,
)
from q2030.excel.sheets import (  # the one reader of sheets
    UNCACHED_ADVICE,
    UNREADABLE,
    Sheets,
    is_opendocument,
    open_sheets,
)
from q2030.formatting import parse_fr_date
from q2030.frontieres import Cellule, ValeurChamp
from q2030.models import Contribution, Rencontre
from q2030.nomenclature import code_from_label
from q2030.textnorm import normalize

MAX_ROWS = 20_000  # a département holds at most a few hundred rencontres
TRUE_WORDS = {normalize(w) for w in (OUI, "o", "x", "vrai", "true", "1", "yes")}
FALSE_WORDS = {normalize(w) for w in (NON, "n", "faux", "false", "0", "no")}
CODE_PADDING = {"commune_insee": 5, "epci_siren": 9}  # leading zeros eaten by numeric cells


@dataclass(frozen=True)
class ImportIssue:
    sheet: str
    row: int | None  # spreadsheet row number (1 = header), None for the whole file/sheet
    column: str
    value: str
    message: str


@dataclass
class RencontreRow:
    row: int
    identifiant: str
    rencontre_id: int | None  # an existing rencontre (numeric identifier), else a new one
    data: dict[str, ValeurChamp]
    version: int | None = None  # the rencontre's version when the template was downloaded
    doublon_confirme: bool = False  # the form's "Enregistrer quand même"


@dataclass
class ContributionRow:
    row: int
    identifiant: str
    data: dict[str, ValeurChamp]


@dataclass
class ParsedWorkbook:
    rencontres: list[RencontreRow] = field(default_factory=list)
    contributions: list[ContributionRow] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    # (row, identifier) of every non-blank row, readable or not, to check the links.
    seen_rencontres: list[tuple[int, str]] = field(default_factory=list)
    seen_contributions: list[tuple[int, str]] = field(default_factory=list)


# A cell once read for its column (`_read`): text, code, number, date, hour, yes/no, list of codes.
ValeurLue = str | int | bool | dt.date | dt.time | list[str] | None


class CellError(ValueError):
    """A cell that cannot be read as its column's type (message in French)."""


NOT_A_WORKBOOK = "Ce fichier n'est pas un classeur Excel (.xlsx) lisible : partez du modèle."
ODS_REFUSED = (
    "Ce classeur est au format OpenDocument (.ods), que l'import ne lit pas : dans LibreOffice Calc, « Fichier > "
    "Enregistrer sous », type « Excel 2007-365 (.xlsx) », puis importez le fichier .xlsx."
)


def read_workbook(content: bytes) -> ParsedWorkbook:
    parsed = ParsedWorkbook()
    if is_opendocument(content):
        parsed.issues.append(ImportIssue("", None, "", "", ODS_REFUSED))
        return parsed
    try:
        book = open_sheets(content)
    except UNREADABLE:
        parsed.issues.append(ImportIssue("", None, "", "", NOT_A_WORKBOOK))
        return parsed
    try:
        sheets = {normalize(name): name for name in book.names}
        grids: dict[str, list[list[Cellule]]] = {}
        for title in (SHEET_RENCONTRES, SHEET_CONTRIBUTIONS):
            name = sheets.get(normalize(title))
            if name is None:
                parsed.issues.append(ImportIssue(title, None, "", "", f"Feuille « {title} » absente du classeur."))
            else:
                grids[title] = _grid(book, name, title, parsed)
        if parsed.issues:
            return parsed
    except UNREADABLE:
        return ParsedWorkbook(issues=[ImportIssue("", None, "", "", NOT_A_WORKBOOK)])
    finally:
        book.close()
    rencontres_ok = True
    for title, columns, reader in (
        (SHEET_RENCONTRES, RENCONTRE_COLUMNS, _rencontre),
        (SHEET_CONTRIBUTIONS, CONTRIBUTION_COLUMNS, _contribution),
    ):
        rows = _rows(grids[title], columns, title, parsed)
        if rows is None:
            rencontres_ok = rencontres_ok and title != SHEET_RENCONTRES
            continue
        for row_number, values in rows:
            reader(row_number, values, parsed)
    if rencontres_ok:  # a broken header already said why: no cascade of "Aucune rencontre « 16 »"
        _check_links(parsed)
    return parsed


def _grid(book: Sheets, name: str, title: str, parsed: ParsedWorkbook) -> list[list[Cellule]]:
    """The sheet's values; each formula without a cached value is an issue naming its cell."""
    grid, uncached = book.read(name, MAX_ROWS)
    header = grid[0] if grid else []
    for formula in uncached:
        r, c = formula.row, formula.column
        column = str(header[c]) if r and c < len(header) and header[c] is not None else ""
        parsed.issues.append(
            ImportIssue(title, r + 1, column, formula.formula, f"Cellule {formula.cell} : {UNCACHED_ADVICE}")
        )
    return grid


def _rows(
    grid: list[list[Cellule]], columns: tuple[Column, ...], sheet: str, parsed: ParsedWorkbook
) -> list[tuple[int, dict[str, Cellule]]] | None:
    """(row number, {field: raw value}) for non-blank rows, columns matched by header; None if the header is wrong."""
    header = grid[0] if grid else []
    position = {normalize(str(h)): i for i, h in enumerate(header) if h is not None and str(h).strip()}
    known = {normalize(c.header) for c in columns}
    index: dict[str, int] = {}
    missing = []
    for column in columns:
        where = position.get(normalize(column.header))
        if where is not None:
            index[column.field] = where
        elif not column.optional:
            missing.append(column)
    if missing:
        unknown = [
            str(h).strip() for h in header if h is not None and str(h).strip() and normalize(str(h)) not in known
        ]
        hint = (
            f" {'Colonne inconnue' if len(unknown) == 1 else 'Colonnes inconnues'} : "
            f"{', '.join(f'« {u} »' for u in unknown)}."
            if unknown
            else ""
        )
        for column in missing:
            advice = (
                "téléchargez un nouveau modèle (cette colonne protège des modifications faites depuis)"
                if column.field == "version"
                else "gardez les titres du modèle"
            )
            parsed.issues.append(
                ImportIssue(sheet, 1, column.header, "", f"Colonne « {column.header} » absente : {advice}.{hint}")
            )
        return None
    kinds = {c.field: c.kind for c in columns}
    out: list[tuple[int, dict[str, Cellule]]] = []
    for row_number, row in enumerate(grid[1:], start=2):
        if row_number > MAX_ROWS:
            parsed.issues.append(ImportIssue(sheet, row_number, "", "", f"Plus de {MAX_ROWS} lignes : fichier refusé."))
            return out
        values = {f: _clean(row[i], kinds[f]) if i < len(row) else None for f, i in index.items()}
        for column in columns:
            values.setdefault(column.field, None)  # an optional column left out
        if all(v is None for v in values.values()):
            continue  # blank row (or one holding only spaces)
        out.append((row_number, values))
    return out


def _clean(value: Cellule, kind: str = "") -> Cellule:
    """Blank strings become None; free text keeps its inner spacing (it round-trips unchanged)."""
    if isinstance(value, str):
        value = value.strip() if kind == "text" or "\n" in value else " ".join(value.split())
        return value or None
    return value


def _read(column: Column, raw: Cellule) -> ValeurLue:
    """The typed value of a cell for its column; CellError with a French message."""
    kind = column.kind
    if raw is None:
        return _blank(column)
    if kind == "ident":
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return str(raw).strip()
    if kind == "date":
        return read_date(raw)
    if kind == "time":
        return read_time(raw)
    if kind == "int":
        return read_int(raw)
    if kind == "bool":
        word = _word(str(raw))
        if raw is True or word in TRUE_WORDS:
            return True
        if raw is False or word in FALSE_WORDS:
            return False
        raise CellError("Répondez « Oui » ou « Non ».")
    if kind == "choice":
        code = code_from_label(column.choices or {}, str(raw)) or _numbered(column.choices or {}, str(raw))
        if code is None:
            raise CellError(f"Valeur inconnue : choisissez dans la liste de la colonne « {column.header} ».")
        return code
    if kind == "multi":
        codes = []
        for part in re.split(r"[;\n,]", str(raw)):
            if part.strip():
                code = code_from_label(column.choices or {}, part)
                if code is None:
                    raise CellError(f"« {part.strip()} » n'est pas une valeur de la liste « {column.header} ».")
                if code not in codes:
                    codes.append(code)
        return codes
    if kind == "qpv":
        return str(raw).split(" – ")[0].split(" - ")[0].strip().split()[0].upper()
    if kind == "qpv_list":
        return [p.strip().split()[0].upper() for p in re.split(r"[;,\n]", str(raw)) if p.strip()]
    # text
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if column.field in CODE_PADDING and text.isdigit():
        text = text.zfill(CODE_PADDING[column.field])
    return text


def _numbered(choices: dict[str, str], text: str) -> str | None:
    """Axes are labelled "3. Projets structurants": accept "3", "3." or "Projets structurants"."""
    wanted = normalize(text).rstrip(".")
    for code, shown in choices.items():
        number, _, rest = shown.partition(". ")
        if number.isdigit() and wanted in (number, normalize(rest)):
            return code
    return None


@lru_cache(maxsize=1024)  # « Oui » / « Non » on every row
def _word(text: str) -> str:
    return normalize(text)


_BLANKS: dict[tuple[str, str, bool], ValeurLue] = {}


def _blank(column: Column) -> ValeurLue:
    """The value of an empty cell (read once per column: ~50,000 empty cells in a département's file)."""
    key = (column.field, column.kind, column.required)
    if key not in _BLANKS:
        _BLANKS[key] = _blank_value(column)
    value = _BLANKS[key]
    return list(value) if isinstance(value, list) else value


def _blank_value(column: Column) -> ValeurLue:
    if column.kind in ("multi", "qpv_list"):
        return []
    if column.kind == "bool":
        return False
    if column.kind == "choice":
        # A blank optional list means the form's default (type de lieu "Autre", public "Tous").
        for model in (Rencontre, Contribution):
            info = model.model_fields.get(column.field)
            if info is not None and isinstance(info.default, str):
                return None if column.required else info.default
        return None
    if column.kind == "text" and column.field not in CODE_PADDING:
        return ""
    return None


def read_date(raw: Cellule) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if 20_000 < raw < 80_000:  # an Excel serial date left unformatted
            day: dt.date = from_excel(raw).date()  # openpyxl is untyped
            return day
        raise CellError(f"« {raw} » n'est pas une date (attendu : JJ/MM/AAAA).")
    try:
        return parse_fr_date(str(raw))
    except ValueError as error:
        raise CellError(str(error)) from None


def read_time(raw: Cellule) -> dt.time:
    if isinstance(raw, dt.datetime):
        return raw.time()
    if isinstance(raw, dt.time):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 <= raw < 1:
        value = from_excel(raw)
        return value.time() if isinstance(value, dt.datetime) else value
    match = re.fullmatch(r"(\d{1,2})\s*[:hH]\s*(\d{2})?", str(raw).strip())
    if match and int(match.group(1)) < 24 and int(match.group(2) or 0) < 60:
        return dt.time(int(match.group(1)), int(match.group(2) or 0))
    raise CellError(f"« {raw} » n'est pas une heure (attendu : HH:MM).")


def read_int(raw: Cellule) -> int:
    if isinstance(raw, bool):
        raise CellError("Nombre entier attendu.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = re.sub(r"[\s\u202f\u00a0]", "", str(raw))
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise CellError(f"« {raw} » n'est pas un nombre entier.")


def _typed(
    row_number: int, values: dict[str, Cellule], columns: tuple[Column, ...], sheet: str, parsed: ParsedWorkbook
) -> dict[str, ValeurChamp] | None:
    out: dict[str, ValeurChamp] = {}
    ok = True
    for column in columns:
        try:
            out[column.field] = _read(column, values[column.field])
        except CellError as error:
            ok = False
            shown = display(values[column.field])
            parsed.issues.append(ImportIssue(sheet, row_number, column.header, shown, str(error)))
    if not out.get("identifiant") and "identifiant" in values:
        ok = False
        header = columns[0].header
        parsed.issues.append(ImportIssue(sheet, row_number, header, "", "Identifiant obligatoire (numéro ou R1, R2…)."))
    return out if ok else None


def _identifier(raw: Cellule) -> str:
    return str(_read(RENCONTRE_COLUMNS[0], raw) or "")


def _rencontre(row_number: int, values: dict[str, Cellule], parsed: ParsedWorkbook) -> None:
    parsed.seen_rencontres.append((row_number, _identifier(values["identifiant"])))
    out = _typed(row_number, values, RENCONTRE_COLUMNS, SHEET_RENCONTRES, parsed)
    if out is None:
        return
    identifiant = out.pop("identifiant")
    version, doublon_confirme = out.pop("version"), out.pop("doublon_confirme")
    principal, autres = out.pop("qpv_principal"), out.pop("qpv_autres")
    codes = [c for c in dict.fromkeys([principal, *autres]) if c]
    out["qpv_codes"] = codes
    rencontre_id = int(identifiant) if identifiant.isdigit() else None
    parsed.rencontres.append(RencontreRow(row_number, identifiant, rencontre_id, out, version, doublon_confirme))


def _contribution(row_number: int, values: dict[str, Cellule], parsed: ParsedWorkbook) -> None:
    parsed.seen_contributions.append((row_number, _identifier(values["identifiant"])))
    out = _typed(row_number, values, CONTRIBUTION_COLUMNS, SHEET_CONTRIBUTIONS, parsed)
    if out is None:
        return
    parsed.contributions.append(ContributionRow(row_number, out.pop("identifiant"), out))


def _check_links(parsed: ParsedWorkbook) -> None:
    """Identifiers unique in "Rencontres"; every contribution points to one of them."""
    first_row: dict[str, int] = {}
    header = RENCONTRE_COLUMNS[0].header
    for row, identifiant in parsed.seen_rencontres:
        key = identifiant.casefold()
        if not key:
            continue
        if key in first_row:
            parsed.issues.append(
                ImportIssue(SHEET_RENCONTRES, row, header, identifiant,
                            f"Identifiant déjà utilisé ligne {first_row[key]} : chaque rencontre a le sien.")
            )  # fmt: skip
        else:
            first_row[key] = row
    header = CONTRIBUTION_COLUMNS[0].header
    for row, identifiant in parsed.seen_contributions:
        if identifiant and identifiant.casefold() not in first_row:
            parsed.issues.append(
                ImportIssue(SHEET_CONTRIBUTIONS, row, header, identifiant,
                            f"Aucune rencontre « {identifiant} » dans la feuille « {SHEET_RENCONTRES} ».")
            )  # fmt: skip


def display(value: object) -> str:
    """A cell value as the user typed / sees it, for the error report."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != dt.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
