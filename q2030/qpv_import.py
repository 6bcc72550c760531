"""Import of the official QPV list (CSV or XLSX), all-or-nothing and idempotent.

Accepts the usual shapes of the files published by the ANCT / INSEE on data.gouv.fr:
one row per QPV with communes joined by "|" (or ","), or one row per (QPV, commune).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, delete, select

from q2030 import audit
from q2030.access import Actor, require
from q2030.errors import ValidationError
from q2030.models import Epci, Qpv, QpvCommune, QpvEpci
from q2030.referentiel import DEPARTEMENTS

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
LIST_SEPARATOR = re.compile(r"\s*\|\s*")
MAX_ERRORS_LISTED = 50


@dataclass
class QpvRow:
    line: int
    code: str
    nom: str
    departement: str
    communes: list[tuple[str, str]] = field(default_factory=list)
    epci: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)  # per département
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    def lines(self) -> list[str]:
        deps = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        out = [f"{'dép.':<5} {'créés':>6} {'mis à jour':>10} {'inchangés':>9}"]
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


def _fold(name: str) -> str:
    table = str.maketrans("éèêëàâîïôöûüç", "eeeeaaiioouuc")
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower().translate(table)).strip("_")


def read_table(content: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as dicts of stripped strings (header folded)."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK":
        return _read_xlsx(content)
    return _read_csv(content)


def _read_csv(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        return []
    header = [_fold(h) for h in rows[0]]
    return [dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:]]


def _read_xlsx(content: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several unrelated types on bad input
        raise ValidationError("Le fichier n'est pas un classeur Excel lisible.") from error
    sheet = workbook.worksheets[0]
    rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    if not rows:
        return []
    header = [_fold(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def _pick_columns(header: set[str]) -> dict[str, str]:
    picked: dict[str, str] = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in header and name not in picked.values():
                picked[role] = name
                break
    return picked


def parse_rows(raw_rows: list[dict[str, str]], geographie: str) -> list[QpvRow]:
    """Validate every row; raise one ValidationError naming every bad line."""
    if geographie not in CODE_SHAPES:
        raise ValidationError(f"Géographie inconnue « {geographie} » : 2015 ou 2024.")
    if not raw_rows:
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    columns = _pick_columns(set(raw_rows[0]))
    missing = [role for role in ("code", "nom") if role not in columns]
    if missing:
        raise ValidationError(
            "Colonnes introuvables : code du quartier (code_qp) et nom (lib_qp ou nom_qp) sont obligatoires."
        )
    prefix = "QN" if geographie == "2024" else "QP"
    errors: list[str] = []
    by_code: dict[str, QpvRow] = {}
    for index, raw in enumerate(raw_rows, start=2):  # line 1 is the header
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
        _add_pairs(
            row.communes,
            raw.get(columns.get("commune_code", ""), ""),
            raw.get(columns.get("commune_nom", ""), ""),
        )
        _add_pairs(
            row.epci,
            raw.get(columns.get("epci_code", ""), ""),
            raw.get(columns.get("epci_nom", ""), ""),
        )
        for insee, _ in row.communes:
            if not re.fullmatch(r"\d[\dAB]\d{3}", insee):
                errors.append(f"ligne {index} : code commune « {insee} » invalide pour {code}")
    if errors:
        shown = errors[:MAX_ERRORS_LISTED]
        more = len(errors) - len(shown)
        tail = [f"… et {more} autre(s) erreur(s)"] if more else []
        raise ValidationError({"fichier": ["Fichier refusé, rien n'a été importé :", *shown, *tail]})
    return list(by_code.values())


def _departement(raw: dict[str, str], columns: dict[str, str], code: str) -> str:
    from_code = departement_from_code(code)
    given = raw.get(columns.get("departement", ""), "").strip().upper()
    if not given:
        return from_code
    return given.zfill(2) if given.isdigit() and len(given) < 2 else given


def _add_pairs(target: list[tuple[str, str]], codes: str, names: str) -> None:
    code_list = [c for c in LIST_SEPARATOR.split(codes.strip()) if c] if codes.strip() else []
    name_list = LIST_SEPARATOR.split(names.strip()) if names.strip() else []
    for position, item in enumerate(code_list):
        name = name_list[position] if position < len(name_list) else ""
        pair = (item.zfill(5) if item.isdigit() and len(item) == 4 else item, name)
        if pair[0] not in {c for c, _ in target}:
            target.append(pair)


def import_qpv(
    session: Session,
    *,
    actor: Actor,
    content: bytes,
    filename: str,
    geographie: str = "2024",
) -> ImportReport:
    """Create or update the QPV of the file, in the caller's transaction."""
    require(actor.is_admin, "Seul un administrateur peut importer la liste des quartiers.")
    rows = parse_rows(read_table(content, filename), geographie)
    report = ImportReport()
    existing = {q.code: q for q in session.exec(select(Qpv).where(Qpv.code.in_([r.code for r in rows])))}  # type: ignore[attr-defined]
    communes: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for link in session.exec(select(QpvCommune)):
        communes[link.qpv_code].add((link.insee, link.nom))
    epcis: dict[str, set[str]] = defaultdict(set)
    for link in session.exec(select(QpvEpci)):
        epcis[link.qpv_code].add(link.epci_siren)
    known_epci = {e.siren: e for e in session.exec(select(Epci))}

    for row in rows:
        for siren, nom in row.epci:
            if siren not in known_epci:
                known_epci[siren] = Epci(siren=siren, nom=nom or siren)
                session.add(known_epci[siren])
            elif nom and known_epci[siren].nom != nom:
                known_epci[siren].nom = nom
    session.flush()

    for row in rows:
        label = ", ".join(n or c for c, n in row.communes)
        wanted = (row.nom, geographie, row.departement, label)
        qpv = existing.get(row.code)
        links_same = communes[row.code] == set(row.communes) and epcis[row.code] == {s for s, _ in row.epci}
        if qpv is None:
            session.add(
                Qpv(
                    code=row.code,
                    nom=row.nom,
                    geographie=geographie,
                    departement_code=row.departement,
                    communes_label=label,
                )
            )
            report.created[row.departement] += 1
        elif (
            qpv.nom,
            qpv.geographie,
            qpv.departement_code,
            qpv.communes_label,
        ) == wanted and links_same:
            report.unchanged[row.departement] += 1
            continue
        else:
            qpv.nom, qpv.geographie, qpv.departement_code, qpv.communes_label = wanted
            report.updated[row.departement] += 1
        if not links_same:
            if qpv is not None:
                session.exec(delete(QpvCommune).where(QpvCommune.qpv_code == row.code))  # type: ignore[call-overload]
                session.exec(delete(QpvEpci).where(QpvEpci.qpv_code == row.code))  # type: ignore[call-overload]
            session.add_all(QpvCommune(qpv_code=row.code, insee=c, nom=n) for c, n in row.communes)
            session.add_all(QpvEpci(qpv_code=row.code, epci_siren=s) for s, _ in row.epci)
    audit.record(
        session,
        actor=actor,
        action="import",
        entite="qpv",
        entite_id=Path(filename).name[:40],
        apres={
            "geographie": geographie,
            "crees": sum(report.created.values()),
            "mis_a_jour": sum(report.updated.values()),
            "inchanges": sum(report.unchanged.values()),
        },
    )
    return report
