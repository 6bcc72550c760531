"""The proof: user text starting with = + - @ or tab, typed into every exported field, never
comes out as a live formula (OWASP "CSV injection").

Every XLSX export (synthèse départementale, national export, Priorités workbook, entry
template) is loaded with openpyxl as written (not data_only): no cell is a formula and the
text comes back unchanged. Every CSV download (Priorités contributions and classement,
Rencontres list, coverage tables, national flat export, audit journal, open data) is parsed: a cell
starting with a trigger is a number, or the text is neutralised with a leading quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from q2030 import audit, coverage, open_data
from q2030 import priorities as p
from q2030.access import Actor
from q2030.audit_log import export_audit_csv
from q2030.campaigns import active_campaign
from q2030.csv_export import to_csv
from q2030.engagements import create_engagement
from q2030.excel.exports import export_departement, export_national, workbook_bytes
from q2030.excel.priorites import export_excel
from q2030.excel.template import build_template
from q2030.models import Contribution
from q2030.rencontres.lecture import list_rencontres
from q2030.safe_text import FORMULA_TRIGGERS
from q2030.ui.coverage import COUNTS_COLUMNS, table_csv
from q2030.ui.rencontres import listing_csv
from tests import priorities_factories as pf

TRIGGERS = ("=", "+", "-", "@", "\t")
COMMISSION = Actor(email="commission@x.gouv.fr", role="commission")
ADMIN = Actor(email="admin@x.gouv.fr", role="admin")
REFERENT = Actor(email="ref93@x.gouv.fr", role="referent", departement_code="93", region_code="11")
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")  # -3,5 (French CSV) or -3.5 (open data)


def hostile(trigger: str, field: str) -> str:
    return f'{trigger}HYPERLINK("http://x.example/?{field}";"clic")'


# free-text fields of a rencontre
RENCONTRE_FIELDS = ("lieu", "adresse", "commune_nom", "quartier_hors_qpv", "publics_precaires", "notes")


@pytest.fixture
def hostile_campaign(session: Session) -> Session:
    campaign = active_campaign(session)
    campaign.nom = hostile("=", "campagne")
    session.add(campaign)
    for index, trigger in enumerate(TRIGGERS):
        code = pf.qpv(session, f"QN0930{index}X", "93", nom=hostile(trigger, "qpv"))
        meeting = pf.rencontre(
            session,
            "93",
            [("changements", "logement", hostile(trigger, "contribution"))],
            qpv_codes=(code,),
            lieu=hostile(trigger, "lieu"),
            date=dt.date(2023, 6, 10 + index),
        )
        # Stored as is (the services strip a leading tab): what an older row may hold.
        for field in RENCONTRE_FIELDS:
            setattr(meeting, field, hostile(trigger, field))
        for contribution in session.exec(select(Contribution).where(Contribution.rencontre_id == meeting.id)):
            contribution.texte = hostile(trigger, "contribution")
            session.add(contribution)
        meeting.organisateurs = [hostile(trigger, "organisateurs")]
        session.add(meeting)
        cancelled = pf.rencontre(session, "93", [], statut="annulee", lieu=hostile(trigger, "lieu annulée"))
        cancelled.lieu, cancelled.motif_annulation = hostile(trigger, "lieu annulée"), hostile(trigger, "motif")
        session.add(cancelled)
        create_engagement(session, actor=REFERENT, departement_code="93", data={
            "titre": hostile(trigger, "titre"), "texte_public": hostile(trigger, "texte public"), "statut": "prevu",
            "themes": ["logement"], "jalons": [{"date": None, "texte": hostile(trigger, "jalon")}],
        })  # fmt: skip
        audit.record(session, actor=REFERENT, action="modification", entite="rencontre", entite_id=meeting.id or 0,
                     apres={"lieu": hostile(trigger, "audit")})  # fmt: skip
    session.commit()
    return session


def _xlsx_cells(content: bytes) -> Iterator[tuple[str, str, object, str]]:
    book = load_workbook(io.BytesIO(content))  # formulas kept as formulas (not data_only)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield ws.title, cell.coordinate, cell.value, cell.data_type


def _assert_no_formula(name: str, content: bytes, expected: set[str]) -> None:
    texts: set[str] = set()
    for sheet, coordinate, value, data_type in _xlsx_cells(content):
        assert data_type != "f", f"{name}: formula in {sheet}!{coordinate}: {value!r}"
        if isinstance(value, str):
            texts.add(value)
    missing = expected - texts
    assert not missing, f"{name}: texts not written back unchanged: {sorted(missing)[:3]}"


def _csv_cells(content: bytes, delimiter: str = ";") -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]


def _assert_neutralised(name: str, content: bytes, expected: set[str], delimiter: str = ";") -> None:
    cells = _csv_cells(content, delimiter)
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS):
            assert NUMBER.match(cell), f"{name}: live cell {cell!r}"
    missing = {"'" + text for text in expected} - set(cells)
    assert not missing, f"{name}: texts not exported neutralised: {sorted(missing)[:3]}"


def _texts(*fields: str) -> set[str]:
    return {hostile(trigger, field) for trigger in TRIGGERS for field in fields}


def test_no_xlsx_export_carries_a_formula(hostile_campaign: Session) -> None:
    session = hostile_campaign
    exported = _texts("lieu", "contribution", "qpv", "motif", "lieu annulée") | {hostile("=", "campagne")}
    synthese = workbook_bytes(export_departement, session, actor=REFERENT, departement_code="93")
    _assert_no_formula("synthèse départementale", synthese, exported)
    national = workbook_bytes(export_national, session, actor=COMMISSION)
    _assert_no_formula("export national", national, exported)
    priorites = export_excel(session, actor=COMMISSION, filtres=p.Filtres())
    _assert_no_formula("Priorités", priorites, _texts("lieu", "contribution") | {hostile("=", "campagne")})
    template = build_template(session, actor=REFERENT, departement_code="93")
    _assert_no_formula("modèle de saisie", template, _texts("lieu", "contribution", "notes", "adresse"))


def test_no_csv_download_carries_a_live_cell(hostile_campaign: Session) -> None:
    session = hostile_campaign
    filtres = p.Filtres()
    contributions = p.export_csv(session, actor=COMMISSION, filtres=filtres, quoi="contributions")
    _assert_neutralised("Priorités contributions", contributions, _texts("contribution", "lieu"))
    classement = p.export_csv(session, actor=COMMISSION, filtres=filtres, quoi="classement")
    _assert_neutralised("Priorités classement", classement, set())
    listing = listing_csv(list_rencontres(session, actor=REFERENT, departement_code="93"))
    _assert_neutralised("liste des rencontres", listing, _texts("lieu", "lieu annulée"))
    au = dt.date(2023, 12, 31)
    frames = {
        "QPV": coverage.qpv_status(session, actor=COMMISSION, au=au, departement_code="93"),
        "QPV non couverts": coverage.qpv_non_couverts(session, actor=COMMISSION, au=au, departement_code="93"),
        "suivi des rencontres": coverage.suivi_rencontres(session, actor=COMMISSION, au=au, departement_code="93"),
    }
    for name, frame in frames.items():
        _assert_neutralised(name, to_csv(frame), set())
    _assert_neutralised("statuts des QPV", to_csv(frames["QPV"]), _texts("qpv"))
    counts = coverage.coverage_counts(session, actor=COMMISSION, au=au, niveau="departement")
    _assert_neutralised("couverture", table_csv(counts, {"code": "Code", "nom": "Nom", **COUNTS_COLUMNS}), set())
    flat = io.BytesIO()
    export_national(session, actor=COMMISSION, out=flat, format="csv")
    with zipfile.ZipFile(flat) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    for name, content in files.items():
        _assert_neutralised(f"export national CSV {name}", content, set())
    contents = b"".join(content.removeprefix("\ufeff".encode()) for content in files.values())
    found = set(_csv_cells(contents.replace("\ufeff".encode(), b"")))
    assert {"'" + t for t in _texts("lieu", "contribution", "qpv")} <= found
    _assert_neutralised("journal d'audit", export_audit_csv(session, actor=ADMIN), set())
    with zipfile.ZipFile(io.BytesIO(open_data.zip_bytes(session, today=au))) as archive:
        opened = {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}
    assert "rencontres.csv" in opened
    for name, content in opened.items():  # data.gouv.fr habits: comma-separated
        engagements = {t for t in _texts("titre", "texte public") if not t.startswith("\t")}  # the form strips
        expected = {"rencontres.csv": _texts("lieu"), "engagements.csv": engagements}.get(name, set())
        _assert_neutralised(f"données ouvertes {name}", content, expected, delimiter=",")
