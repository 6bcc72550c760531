"""Import of the official QPV list (CSV or XLSX), all-or-nothing and idempotent.

Accepts the usual shapes of the files published by the ANCT / INSEE on data.gouv.fr:
one row per QPV with communes joined by "|" (or ","), or one row per (QPV, commune); the
data.gouv.fr layout (codes as text formulas ="13055;13070", lists joined by ";"); CSV in
UTF-8, UTF-16 or Windows-1252, or XLSX whatever dimension it declares.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert, update
from sqlmodel import Session, col, delete, select

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.db import select_columns
from q2030.errors import ValidationError
from q2030.formatting import fr_count
from q2030.models import Epci, Qpv, QpvCommune, QpvEpci, table_of
from q2030.referentiel import DEPARTEMENTS
from q2030.textnorm import fold_header

T = TypeVar("T")
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")

# Accepted column names (compared lower-case, accents and spaces folded to "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code_qp", "code_qpv", "codeqp", "code_quartier", "qp", "cod_qp", "code"),
    "nom": (
        "lib_qp",
        "nom_qp",
        "nom_qpv",
        "libelle_qp",
        "lib_qpv",
        "nom_quartier",
        "libelle",
        "nom",
    ),
    "departement": (
        "insee_dep",
        "code_dep",
        "dep",
        "departement",
        "code_departement",
        "num_dep",
    ),
    "commune_code": (
        "insee_com",
        "code_insee",
        "code_commune",
        "codgeo",
        "depcom",
        "com",
        "insee_commune",
    ),
    "commune_nom": (
        "lib_com",
        "nom_com",
        "commune",
        "nom_commune",
        "libelle_commune",
        "communes",
    ),
    "epci_code": ("siren_epci", "code_epci", "epci", "siren"),
    "epci_nom": ("lib_epci", "nom_epci", "libelle_epci"),
}
CODE_SHAPES = {
    "2024": re.compile(r"^QN(0\d[\dAB]|97\d)\d{2}[A-Z]$"),  # M, N, I; C seen in Mayotte (2025)
    "2015": re.compile(r"^QP(0\d[\dAB]|97\d)\d{3}$"),
}
CODE_LIST_SEPARATOR = re.compile(r"[|;,\s]+")  # "13055|13070", "13055;13070", "13055, 13070"
NAME_LIST_SEPARATOR = re.compile(r"\s*[|;]\s*")  # names may hold commas, never "|" or ";"
TEXT_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)  # ="01053": a spreadsheet's "keep as text"
MAX_ERRORS_LISTED = 50
BATCH = 5_000  # rows per SQL statement: far below SQLite's and PostgreSQL's bound-variable limits
DATA_GOUV = 'présentation data.gouv.fr (codes en formule texte ="…", listes séparées par « ; »)'


@dataclass
class QpvRow:
    line: int
    code: str
    nom: str
    departement: str
    communes: list[tuple[str, str]] = field(default_factory=list)
    epci: list[tuple[str, str]] = field(default_factory=list)
    commune_names: list[str] = field(default_factory=list)  # names given without any code

    @property
    def communes_label(self) -> str:
        return ", ".join(n or c for c, n in self.communes) or ", ".join(self.commune_names)


@dataclass
class Table:
    """The cells of a CSV or XLSX file, read once, and how it was read (for the report).

    `rows` is consumed once (a national file is not held twice in memory); the counters
    are complete once it is.
    """

    header: list[str]
    rows: Iterator[dict[str, str]]
    source: str  # "CSV (UTF-8, séparateur « ; »)", "Excel (.xlsx), feuille « … »"
    text_formulas: bool = False  # some cells were ="…" text formulas
    filled_rows: int = 0  # rows holding at least one value
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (title, new title) of a repeated title
    titles: list[str] = field(default_factory=list)  # the header as written (`header` is folded)


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)  # per département
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    layout: str = ""  # the file format recognised, in French

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    def lines(self) -> list[str]:
        deps = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        out = [f"Format reconnu : {self.layout}"] if self.layout else []
        out.append(f"{'dép.':<5} {'créés':>6} {'mis à jour':>10} {'inchangés':>9}")
        for dep in deps:
            out.append(f"{dep:<5} {self.created[dep]:>6} {self.updated[dep]:>10} {self.unchanged[dep]:>9}")
        out.append(
            f"{'total':<5} {sum(self.created.values()):>6} {sum(self.updated.values()):>10} "
            f"{sum(self.unchanged.values()):>9}"
        )
        return out


def departement_from_code(code: str) -> str:
    """QN02A01M -> 2A, QN00101M -> 01, QN97401M -> 974."""
    raw = code[2:5]
    return raw if raw.startswith("97") else raw[1:]


# --- Reading the file ----------------------------------------------------------------------


def _unreadable(filename: str, why: str) -> ValidationError:
    return ValidationError(f"Le fichier « {Path(filename).name} » {why}")


def read_table(content: bytes, filename: str) -> Table:
    """Rows of a CSV or XLSX file as dicts of stripped strings (header folded)."""
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable(filename, "est dans l'ancien format Excel (.xls) : enregistrez-le en .xlsx ou en CSV.")
    if content.startswith(b"PK\x03\x04"):
        if b"application/vnd.oasis.opendocument" in content[:200]:
            raise _unreadable(filename, "est un classeur OpenDocument (.ods) : enregistrez-le en .xlsx ou en CSV.")
        return _read_xlsx(content, filename)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable(filename, "n'est pas un classeur Excel lisible.")
    return _read_csv(content, filename)


def decode_text(content: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file.

    UTF-8 (with or without BOM) and UTF-16 with BOM are read as such. Anything else is
    Windows-1252 ("ANSI", what Excel writes on a French Windows): it agrees with
    ISO-8859-1 everywhere but 0x80-0x9F, where ISO-8859-1 only has control characters
    that never occur in text, and gives "œ", "’", "€" there. Bytes undefined in
    Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D) fall back to ISO-8859-1.
    """
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    body = content[3:] if content.startswith(codecs.BOM_UTF8) else content
    for encoding, label in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "ISO-8859-1")):
        try:
            return body.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _looks_binary(text: str) -> bool:
    sample = text[:65_536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1a")
    return "\x00" in text or controls > len(sample) / 100


def _read_csv(content: bytes, filename: str) -> Table:
    text, encoding = decode_text(content)
    if _looks_binary(text):
        raise _unreadable(filename, "n'est pas un fichier CSV ou Excel (.xlsx) lisible (contenu binaire).")
    first_line = re.split(r"[\r\n]", text, maxsplit=1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if '="' in text:
        # A spreadsheet's text formula written raw (;="13055;13070";) holds the delimiter:
        # quote it as a CSV writer would so that the cell stays whole.
        text = re.sub(
            rf'(^|{re.escape(delimiter)})="([^"\r\n]*)"(?={re.escape(delimiter)}|\r?$)',
            lambda m: f'{m.group(1)}"=""{m.group(2)}"""',
            text,
            flags=re.MULTILINE,
        )
    # Lines read lazily from the decoded text (\r\n, \n or a lone \r end a line): a StringIO
    # copy of a 36 MiB export would hold it again, four bytes per character.
    lines = (m.group(0) for m in LINE.finditer(text) if m.group(0))
    reader = csv.reader(lines, delimiter=delimiter)
    shown = {";": "« ; »", ",": "« , »", "\t": "tabulation"}[delimiter]

    def checked() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as error:
            raise _unreadable(filename, f"n'est pas un CSV lisible (ligne {reader.line_num} : {error}).") from None

    return _table(checked(), f"CSV ({encoding}, séparateur {shown})")


def _read_xlsx(content: bytes, filename: str) -> Table:
    # Sheets read whole whatever their stored dimension; formulas read as their cached value.
    from q2030.excel.sheets import UNCACHED_ADVICE, UNREADABLE, open_sheets

    try:
        book = open_sheets(content)
    except UNREADABLE:
        raise _unreadable(filename, "n'est pas un classeur Excel lisible.") from None
    try:
        title = book.names[0]
        grid, uncached = book.read(title)
    except UNREADABLE:
        raise _unreadable(filename, "n'est pas un classeur Excel lisible.") from None
    finally:
        book.close()
    if uncached:  # read as empty, the answer would vanish without a word
        header = grid[0] if grid else []
        messages = []
        for formula in uncached[:20]:
            title_cell = header[formula.column] if formula.row and formula.column < len(header) else None
            column = f" (colonne « {title_cell} »)" if title_cell not in (None, "") else ""
            messages.append(f"Cellule {formula.cell}{column} : {UNCACHED_ADVICE}")
        if len(uncached) > 20:
            messages.append(
                f"… et {fr_count(len(uncached) - 20, 'autre formule', 'autres formules')} sans valeur calculée."
            )
        raise ValidationError({"fichier": messages})
    rows = [["" if v is None else str(v) for v in row] for row in grid]
    return _table(iter(rows), f"Excel (.xlsx), feuille « {title} »")


def _table(rows: Iterator[list[str]], source: str) -> Table:
    """Rows (header first) as dicts keyed by the folded header; text formulas unwrapped."""
    first = next(rows, None)
    titles, renamed = _distinct_titles([_unwrap(h)[0] for h in first or []])
    header = [fold_header(t) for t in titles]
    table = Table(header, iter(()), source, renamed=renamed)

    def dicts() -> Iterator[dict[str, str]]:
        for row in rows:
            cells: list[str] = []
            for cell in row:
                value, was_formula = _unwrap(cell)
                table.text_formulas = table.text_formulas or was_formula
                cells.append(value)
            if any(cells):
                table.filled_rows += 1
            yield dict(zip(header, cells, strict=False))

    table.rows = dicts()
    table.titles = titles  # as written, a repeated one suffixed « (2) »
    return table


def _distinct_titles(titles: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Titles made distinct once folded: a second « Précisez » becomes « Précisez (2) ».

    Two columns with one title would otherwise share one key and the first one's cells
    would vanish. Returns the titles and the (title, new title) of each renamed column.
    """
    seen = {fold_header(t) for t in titles if fold_header(t)}
    used: set[str] = set()
    out: list[str] = []
    renamed: list[tuple[str, str]] = []
    for title in titles:
        key = fold_header(title)
        if key and key in used:
            number = 2
            while fold_header(f"{title} ({number})") in seen:
                number += 1
            new = f"{title} ({number})"
            seen.add(fold_header(new))
            renamed.append((title, new))
            title, key = new, fold_header(new)
        used.add(key)
        out.append(title)
    return out, renamed


def _unwrap(cell: str) -> tuple[str, bool]:
    """(value, was a text formula): ="60057" -> 60057."""
    cell = cell.strip()
    if not cell.startswith("="):
        return cell, False
    match = TEXT_FORMULA.match(cell)
    return (match.group(1).strip(), True) if match else (cell, False)


def _pick_columns(header: set[str]) -> dict[str, str]:
    picked: dict[str, str] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in header and name not in picked.values():
                picked[role] = name
                break
    return picked


# --- Checking the rows ---------------------------------------------------------------------


def parse_rows(table: Table, geographie: str) -> list[QpvRow]:
    """Validate every row; raise one ValidationError naming every bad line."""
    if geographie not in CODE_SHAPES:
        raise ValidationError(f"Géographie inconnue « {geographie} » : 2015 ou 2024.")
    if not any(table.header):
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    columns = _pick_columns(set(table.header))
    missing = [role for role in ("code", "nom") if role not in columns]
    if missing:
        raise ValidationError(
            "Colonnes introuvables : code du quartier (code_qp) et nom (lib_qp ou nom_qp) sont obligatoires."
        )
    prefix = "QN" if geographie == "2024" else "QP"
    errors: list[str] = []
    by_code: dict[str, QpvRow] = {}
    for index, raw in enumerate(table.rows, start=2):  # line 1 is the header
        if not any(raw.values()):
            continue  # blank line
        code = raw.get(columns["code"], "").strip().upper()
        nom = raw.get(columns["nom"], "").strip()
        if not CODE_SHAPES[geographie].match(code):
            errors.append(
                f"ligne {index} : code « {code} » invalide pour la géographie {geographie} "
                f"(attendu {prefix} + département sur 3 caractères + numéro)"
            )
            continue
        if not nom:
            errors.append(f"ligne {index} : le nom du quartier {code} est vide")
            continue
        dep = _departement(raw, columns, code)
        if dep not in DEPARTEMENTS:
            errors.append(f"ligne {index} : département « {dep} » inconnu pour {code}")
            continue
        row = by_code.setdefault(code, QpvRow(line=index, code=code, nom=nom, departement=dep))
        commune_codes = raw.get(columns.get("commune_code", ""), "")
        commune_names = raw.get(columns.get("commune_nom", ""), "")
        added = _add_pairs(row.communes, commune_codes, commune_names)
        if not commune_codes.strip():
            for name in _split_names(commune_names):
                if name not in row.commune_names:
                    row.commune_names.append(name)
        _add_pairs(row.epci, raw.get(columns.get("epci_code", ""), ""), raw.get(columns.get("epci_nom", ""), ""))
        for insee in added:
            if not re.fullmatch(r"\d[\dAB]\d{3}", insee):
                errors.append(f"ligne {index} : code commune « {insee} » invalide pour {code}")
    if errors:
        shown = errors[:MAX_ERRORS_LISTED]
        more = len(errors) - len(shown)
        tail = [f"… et {fr_count(more, 'autre erreur', 'autres erreurs')}"] if more else []
        raise ValidationError(
            {
                "": [f"Fichier refusé, rien n'a été importé ({fr_count(len(errors), 'erreur')})"],
                "fichier": [*shown, *tail],
            }
        )
    if not by_code:
        raise ValidationError("Le fichier ne contient aucun quartier.")
    return list(by_code.values())


def _departement(raw: dict[str, str], columns: dict[str, str], code: str) -> str:
    from_code = departement_from_code(code)
    given = raw.get(columns.get("departement", ""), "").strip().upper()
    if not given:
        return from_code
    return given.zfill(2) if given.isdigit() and len(given) < 2 else given


def _split_names(names: str) -> list[str]:
    return [n for n in NAME_LIST_SEPARATOR.split(names.strip()) if n] if names.strip() else []


def _add_pairs(target: list[tuple[str, str]], codes: str, names: str) -> list[str]:
    """Append the (code, name) pairs not yet in target; return the codes added."""
    code_list = [c for c in CODE_LIST_SEPARATOR.split(codes.strip()) if c] if codes.strip() else []
    name_list = _split_names(names)
    if not code_list:
        return []
    known = {c for c, _ in target}
    added: list[str] = []
    for position, item in enumerate(code_list):
        name = name_list[position] if position < len(name_list) else ""
        item = item.zfill(5) if item.isdigit() and len(item) == 4 else item
        if item not in known:
            known.add(item)
            target.append((item, name))
            added.append(item)
    return added


def _layout(table: Table, rows: list[QpvRow]) -> str:
    if table.text_formulas:
        shape = DATA_GOUV
    elif len(rows) < table.filled_rows:
        shape = "une ligne par quartier et par commune"
    else:
        shape = "une ligne par quartier"
    return f"{table.source}, {shape}"


# --- Writing -------------------------------------------------------------------------------


def _chunks(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_qpv(
    session: Session,
    *,
    actor: Actor,
    content: bytes,
    filename: str,
    geographie: str = "2024",
) -> ImportReport:
    """Create or update the QPV of the file, in the caller's transaction.

    Written in batches of BATCH rows (a national file of any size stays within the
    databases' limits on bound variables per statement).
    """
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut importer la liste des quartiers.")
    table = read_table(content, filename)
    rows = parse_rows(table, geographie)
    report = ImportReport(layout=_layout(table, rows))
    session.flush()  # pending ORM changes first: the rest is written with SQL statements
    # Whole tables read once (a few thousand rows; no statement with one variable per QPV).
    codes = {r.code for r in rows}
    existing: dict[str, tuple[str, str, str, str]] = {
        code: (nom, geo, dep, label)
        for code, nom, geo, dep, label in session.exec(
            select_columns(Qpv.code, Qpv.nom, Qpv.geographie, Qpv.departement_code, Qpv.communes_label)
        )
        if code in codes
    }
    communes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for qpv_code, insee, nom in session.exec(select(QpvCommune.qpv_code, QpvCommune.insee, QpvCommune.nom)):
        if qpv_code in codes:
            communes[qpv_code].add((insee, nom))
    epcis: dict[str, set[str]] = defaultdict(set)
    for qpv_code, siren in session.exec(select(QpvEpci.qpv_code, QpvEpci.epci_siren)):
        if qpv_code in codes:
            epcis[qpv_code].add(siren)

    wanted_epci: dict[str, str] = {}
    for row in rows:
        for siren, nom in row.epci:
            if nom or siren not in wanted_epci:
                wanted_epci[siren] = nom
    known_epci = dict(session.exec(select(Epci.siren, Epci.nom)).all())
    new_epci = [{"siren": s, "nom": n or s} for s, n in wanted_epci.items() if s not in known_epci]
    renamed_epci = [
        {"siren": s, "nom": n} for s, n in wanted_epci.items() if s in known_epci and n and known_epci[s] != n
    ]
    for chunk in _chunks(new_epci):
        session.execute(insert(table_of(Epci)), chunk)
    for chunk in _chunks(renamed_epci):
        session.execute(update(Epci), chunk)

    new_qpv: list[dict[str, str]] = []
    changed_qpv: list[dict[str, str]] = []
    relink: list[QpvRow] = []
    for row in rows:
        wanted = (row.nom, geographie, row.departement, row.communes_label)
        links_same = communes[row.code] == set(row.communes) and epcis[row.code] == {s for s, _ in row.epci}
        values = dict(
            zip(("code", "nom", "geographie", "departement_code", "communes_label"), (row.code, *wanted), strict=True)
        )
        if row.code not in existing:
            new_qpv.append(values)
            report.created[row.departement] += 1
        elif existing[row.code] == wanted and links_same:
            report.unchanged[row.departement] += 1
            continue
        else:
            if existing[row.code] != wanted:
                changed_qpv.append(values)
            report.updated[row.departement] += 1
        if not links_same:
            relink.append(row)
    for chunk in _chunks(new_qpv):
        session.execute(insert(table_of(Qpv)), chunk)
    for chunk in _chunks(changed_qpv):
        session.execute(update(Qpv), chunk)
    stale = [row.code for row in relink if row.code in existing]
    for stale_codes in _chunks(stale):
        session.execute(delete(QpvCommune).where(col(QpvCommune.qpv_code).in_(stale_codes)))
        session.execute(delete(QpvEpci).where(col(QpvEpci.qpv_code).in_(stale_codes)))
    commune_links = ({"qpv_code": r.code, "insee": c, "nom": n} for r in relink for c, n in r.communes)
    epci_links = ({"qpv_code": r.code, "epci_siren": s} for r in relink for s, _ in r.epci)
    for chunk in _chunks(commune_links):
        session.execute(insert(table_of(QpvCommune)), chunk)
    for chunk in _chunks(epci_links):
        session.execute(insert(table_of(QpvEpci)), chunk)
    # Objects of these tables already loaded in the session are now stale.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, (Qpv, QpvCommune, QpvEpci, Epci)):
            session.expire(instance)
    audit.record(
        session,
        actor=actor,
        action="import",
        entite="qpv",
        entite_id=Path(filename).name[:40],
        apres={
            "geographie": geographie,
            "format": report.layout,
            "crees": sum(report.created.values()),
            "mis_a_jour": sum(report.updated.values()),
            "inchanges": sum(report.unchanged.values()),
        },
    )
    return report
