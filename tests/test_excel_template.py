"""Entry template: structure, drop-downs, and reading it back (also when mangled by hand)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from q2030.access import Actor
from q2030.errors import PermissionRefusee
from q2030.excel.columns import RENCONTRE_COLUMNS
from q2030.excel.reading import read_workbook
from q2030.excel.template import build_template
from q2030.models import Contribution, Qpv, Rencontre
from tests.databases import Demo, Preparation

REFERENT_93 = Actor(email="referent.93@test", role="referent", departement_code="93", region_code="11")


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=7)


@pytest.fixture
def demo(session: Session, database_preparation: Preparation) -> Session:
    """A session on the test's own copy of the demo database (seed 7), loaded once per run."""
    return session


def test_template_sheets_lists_and_validations(demo: Session) -> None:
    content = build_template(demo, actor=REFERENT_93, departement_code="93")
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["À lire", "Rencontres", "Contributions", "Listes"]
    listes = wb["Listes"]
    assert listes.sheet_state == "hidden"
    assert listes.protection.sheet
    qpv_93 = demo.exec(select(Qpv.code).where(Qpv.departement_code == "93").order_by(Qpv.code)).all()
    listed = [c.value.split(" – ")[0] for c in listes["A"][1:] if c.value]
    assert listed == list(qpv_93)
    assert [c.value for c in listes["B"][1:] if c.value] == ["Oui", "Non"]
    ws = wb["Rencontres"]
    header = [c.value for c in ws[1]]
    assert header == [c.header for c in RENCONTRE_COLUMNS]
    assert ws["A1"].fill.fgColor.rgb.endswith("000091")
    assert ws["A1"].font.bold
    assert ws["A1"].font.color.rgb.endswith("FFFFFF")
    assert ws.freeze_panes == "B2"
    assert ws.column_dimensions["G"].width == 40
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            by_column[ref.split(":")[0].rstrip("0123456789")] = dv
    letter = {
        c.header: chr(ord("A") + i) if i < 26 else "A" + chr(ord("A") + i - 26) for i, c in enumerate(RENCONTRE_COLUMNS)
    }
    assert by_column[letter["QPV"]].type == "list"
    assert "Listes" in by_column[letter["QPV"]].formula1
    assert by_column[letter["Statut"]].type == "list"
    assert by_column[letter["Participants"]].type == "whole"
    assert by_column[letter["Participants"]].formula1 == "0"
    assert by_column[letter["Date"]].type == "date"
    contributions = wb["Contributions"]
    kinds = {dv.type for dv in contributions.data_validations.dataValidation}
    assert {"list", "whole"} <= kinds


def test_template_is_prefilled_and_reads_back(demo: Session) -> None:
    content = build_template(demo, actor=REFERENT_93, departement_code="93")
    count = demo.exec(select(func.count()).select_from(Rencontre).where(Rencontre.departement_code == "93")).one()
    contributions = demo.exec(
        select(func.count()).select_from(Contribution).join(Rencontre).where(Rencontre.departement_code == "93")
    ).one()
    assert count > 0
    parsed = read_workbook(content)
    assert parsed.issues == []
    assert len(parsed.rencontres) == count
    assert len(parsed.contributions) == contributions
    first = parsed.rencontres[0]
    stored = demo.get(Rencontre, first.rencontre_id)
    assert stored is not None
    assert stored.departement_code == "93"
    assert first.data["date"] == stored.date
    assert first.data["participants"] == stored.participants
    assert first.data["organisateurs"] == stored.organisateurs
    # pandas reads it too (dates are real dates)
    frame = pd.read_excel(io.BytesIO(content), sheet_name="Rencontres")
    assert len(frame) == count
    assert pd.api.types.is_datetime64_any_dtype(frame["Date"])


def test_template_refused_outside_scope(demo: Session) -> None:
    with pytest.raises(PermissionRefusee):
        build_template(demo, actor=REFERENT_93, departement_code="75")


def _sheet_bytes(
    rows_r: list[list[object]], rows_c: list[list[object]], header_r: list[str], header_c: list[str]
) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Rencontres"
    ws.append(header_r)
    for row in rows_r:
        ws.append(row)
    wc = wb.create_sheet("Contributions")
    wc.append(header_c)
    for row in rows_c:
        wc.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_reading_messy_cells() -> None:
    headers = [c.header for c in RENCONTRE_COLUMNS]
    reordered = [*reversed(headers)]
    base: dict[str, object] = {h: None for h in headers}
    base.update({"Identifiant": "R1 ", "Statut": " tenue", "Date": "12/06/2023", "Heure de début": "18h30",
                 "Périmètre": "Quartier(s)", "QPV": "QN09301M – Les Quartiers ", "Autres QPV": "qn09302m ; QN09303M",
                 "Participants": "1 200", "Femmes": 600.0, "Organisateurs": "Préfecture; conseil citoyen",
                 "Élu présent": "oui", "Synthèse envoyée aux participants le": 45100})  # fmt: skip
    row = [base[h] for h in reordered]
    content = _sheet_bytes(
        [[None] * len(headers), row, [" "] * len(headers)],
        [
            [None, 1, "  Plus d'éclairage  ", "securite", "Projets structurants", "R1"],
            ["Jeunes", None, "x", "Emploi", "4", "r1"],
        ],
        reordered,
        ["Public", "Rang", "Contribution", "Thème", "Axe", "Identifiant de la rencontre"],
    )  # fmt: skip
    parsed = read_workbook(content)
    assert parsed.issues == []
    assert [c.data for c in parsed.contributions] == [
        {"axe": "projets", "theme": "securite", "texte": "Plus d'éclairage", "rang": 1, "public": "tous"},
        {"axe": "solutions", "theme": "emploi", "texte": "x", "rang": None, "public": "jeunes"},
    ]
    (item,) = parsed.rencontres
    assert item.row == 3
    assert item.identifiant == "R1"
    assert item.rencontre_id is None
    data = item.data
    assert data["date"] == dt.date(2023, 6, 12)
    assert data["heure_debut"] == dt.time(18, 30)
    assert data["statut"] == "tenue"
    assert data["perimetre"] == "quartier"
    assert data["qpv_codes"] == ["QN09301M", "QN09302M", "QN09303M"]
    assert data["participants"] == 1200
    assert data["femmes"] == 600
    assert data["organisateurs"] == ["prefecture", "conseil_citoyen"]
    assert data["elu_present"] is True
    assert data["synthese_envoyee_le"] == dt.date(2023, 6, 23)
    assert data["type_lieu"] == "autre"
    assert data["format"] == "reunion_publique"
    assert data["lieu"] == ""


def test_reading_refuses_bad_cells_with_positions() -> None:
    headers = [c.header for c in RENCONTRE_COLUMNS]
    row = {h: None for h in headers} | {"Identifiant": "R1", "Statut": "Tenue", "Date": "31/02/2023",
                                        "Périmètre": "Quartier(s)", "Participants": "beaucoup"}  # fmt: skip
    dup = dict(row) | {"Date": "01/06/2023", "Participants": 3}
    content = _sheet_bytes(
        [[row[h] for h in headers], [dup[h] for h in headers]],
        [["R9", "Projets structurants", "Sécurité", "texte", 1, "Tous"], ["R1", "2", "securite", "t", 1, "Tous"]],
        headers,
        ["Identifiant de la rencontre", "Axe", "Thème", "Contribution", "Rang", "Public"],
    )
    issues = read_workbook(content).issues
    assert [(i.sheet, i.row, i.column, i.value) for i in issues] == [
        ("Rencontres", 2, "Date", "31/02/2023"),
        ("Rencontres", 2, "Participants", "beaucoup"),
        ("Contributions", 2, "Thème", "Sécurité"),
        ("Rencontres", 3, "Identifiant", "R1"),
        ("Contributions", 2, "Identifiant de la rencontre", "R9"),
    ]


def test_reading_refuses_missing_sheet_column_and_non_excel() -> None:
    headers = [c.header for c in RENCONTRE_COLUMNS if c.header != "Femmes"]
    content = _sheet_bytes(
        [], [], headers, ["Identifiant de la rencontre", "Axe", "Thème", "Contribution", "Rang", "Public"]
    )
    assert [(i.sheet, i.column) for i in read_workbook(content).issues] == [("Rencontres", "Femmes")]
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Rencontres"
    buffer = io.BytesIO()
    wb.save(buffer)
    (issue,) = read_workbook(buffer.getvalue()).issues
    assert issue.sheet == "Contributions"
    assert "absente" in issue.message
    (issue,) = read_workbook(b"code;nom\nQN1;x\n").issues
    assert "pas un classeur Excel" in issue.message
