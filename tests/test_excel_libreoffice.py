"""The entry template filled, then saved by LibreOffice Calc, imports as the same rows.

Calc rewrites the whole workbook its own way (its shared strings, its date styles, its
`<dimension>`, the template's 300 formatted empty rows): the file read after Calc saved it
must give exactly the rows of the file before, and import them. A template saved as .ods
is refused with a French sentence that says how to save it as .xlsx.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030.access import Actor
from q2030.db import session_scope
from q2030.excel import sheets as sheets_module
from q2030.excel.columns import DATE_FORMAT, SHEET_CONTRIBUTIONS, SHEET_RENCONTRES, TIME_FORMAT
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.reading import ODS_REFUSED, ParsedWorkbook, read_workbook
from q2030.excel.sheets import UNREADABLE, open_sheets
from q2030.excel.template import build_template, qpv_choice
from q2030.models import Contribution, Qpv, Rencontre
from q2030.nomenclature import AXES, FORMATS, ORGANISATEURS, PERIMETRES, PUBLICS, STATUTS_RENCONTRE, TYPES_LIEU
from tests.databases import Demo, Preparation
from tests.helpers import fetch

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")
NOTES = "Salle prêtée par la mairie ; « café » offert.\nDeuxième ligne : l'accueil était très bien."


def _calc() -> str:
    """soffice, when LibreOffice Calc is installed beside it (Debian libreoffice-calc-nogui)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not (Path(soffice).resolve().parent / "libsclo.so").exists():
        pytest.skip("LibreOffice Calc absent (Debian libreoffice-calc-nogui, installed by .ci/run)")
    return soffice


@pytest.fixture
def database_preparation() -> Preparation:
    """Each test starts from its own copy of the demo database (seed 11), loaded once per run."""
    return Demo(seed=11)


def _saved_by_calc(soffice: str, content: bytes, fmt: str, tmp_path: Path) -> bytes:
    source = tmp_path / "rempli.xlsx"
    source.write_bytes(content)
    out = tmp_path / fmt
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", fmt,
         "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return (out / f"rempli.{fmt}").read_bytes()


def _fill(template: bytes, qpv: list[tuple[str, str]]) -> tuple[bytes, int, int]:
    """What a person does in the template: two new meetings typed below the others (one date
    as a date cell, one typed as French text), three contributions, one participant count
    changed on an existing meeting. Returns the file, the changed meeting and its new count."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb[SHEET_RENCONTRES]
    header = [cell.value for cell in ws[1]]
    rows = [row for row in ws.iter_rows(min_row=2) if row[0].value is not None]
    first = {h: c for h, c in zip(header, rows[0], strict=True)}
    changed_id = int(first["Identifiant"].value)
    changed_count = int(first["Participants"].value or 0) + 7
    first["Participants"].value = changed_count

    def typed(row: int, values: dict[str, Any]) -> None:
        for name, value in values.items():
            cell = ws.cell(row=row, column=header.index(name) + 1, value=value)
            if isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, dt.time):
                cell.number_format = TIME_FORMAT

    common = {"Statut": STATUTS_RENCONTRE["tenue"], "Périmètre": PERIMETRES["quartier"]}
    typed(
        len(rows) + 2,
        {**common, "Identifiant": "R1", "Date": dt.datetime(2023, 6, 12), "Heure de début": dt.time(18, 30),
         "Heure de fin": "20h", "QPV": qpv_choice(*qpv[0]), "Autres QPV": f"{qpv[1][0]} ; {qpv[2][0]}",
         "Lieu": "Centre social Françoise Dolto", "Type de lieu": TYPES_LIEU["centre_social"],
         "Organisateurs": f"{ORGANISATEURS['prefecture']}; {ORGANISATEURS['conseil_citoyen']}",
         "Format": FORMATS["atelier"], "Participants": 25, "Femmes": 14, "Jeunes": 6,
         "Représentant de l'État présent": "Oui", "Élu présent": "Non", "Notes": NOTES,
         "Synthèse envoyée aux participants le": dt.datetime(2023, 7, 3)},
    )  # fmt: skip
    typed(
        len(rows) + 3,
        {**common, "Identifiant": "R2", "Date": "14/06/2023", "Heure de début": "9:30", "QPV": qpv[3][0],
         "Lieu": "Gymnase Jean-Jaurès", "Format": FORMATS["reunion_publique"], "Participants": "40",
         "Synthèse envoyée aux participants le": "1/7/2023"},
    )  # fmt: skip
    wc = wb[SHEET_CONTRIBUTIONS]
    last = max((c.row for c in wc["A"] if c.value is not None), default=1)
    axes, publics = list(AXES.values()), PUBLICS
    for offset, values in enumerate(
        [
            ("R1", axes[0], "Éducation", "Plus de soutien scolaire le soir, près de l'école", 1, publics["jeunes"]),
            ("R1", axes[3], "Tranquillité publique et sécurité", "Éclairer le parc « des Tilleuls »", 2, None),
            ("R2", axes[1], "Culture", "La médiathèque ouvre le dimanche", 1, None),
        ],
        start=1,
    ):
        for index, value in enumerate(values, start=1):
            wc.cell(row=last + offset, column=index, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), changed_id, changed_count


def _rows(parsed: ParsedWorkbook) -> tuple[list[Any], list[Any]]:
    return (
        [(r.row, r.identifiant, r.rencontre_id, r.version, r.doublon_confirme, r.data) for r in parsed.rencontres],
        [(c.row, c.identifiant, c.data) for c in parsed.contributions],
    )


@pytest.mark.slow
def test_a_template_saved_by_libreoffice_calc_imports_every_row(
    engine: Engine, database_preparation: Preparation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    soffice = _calc()
    with session_scope(engine) as session:
        template = build_template(session, actor=REFERENT, departement_code=DEP)
        qpv = list(session.exec(select(Qpv.code, Qpv.nom).where(Qpv.departement_code == DEP).order_by(Qpv.code)))
        existing = len(session.exec(select(Rencontre.id).where(Rencontre.departement_code == DEP)).all())
    filled, changed_id, changed_count = _fill(template, [(str(c), str(n)) for c, n in qpv])
    by_calc = _saved_by_calc(soffice, filled, "xlsx", tmp_path)
    assert by_calc != filled

    before, after = read_workbook(filled), read_workbook(by_calc)
    assert not before.issues, before.issues
    assert not after.issues, after.issues
    assert _rows(after) == _rows(before)  # nothing lost, nothing changed by Calc
    assert len(after.rencontres) == existing + 2
    with open_sheets(by_calc) as sheets:
        assert sheets.reader == "calamine"  # Calc's .xlsx passes the scan (no formula, every reference)
    # The fallback reader (any formula in the file sends it there) reads the same rows.
    monkeypatch.setattr(sheets_module, "calamine_can_read", lambda _content: False)
    with open_sheets(by_calc) as sheets:
        assert sheets.reader == "openpyxl"
    assert _rows(read_workbook(by_calc)) == _rows(before)
    monkeypatch.undo()

    with session_scope(engine) as session:
        report = import_workbook(session, actor=REFERENT, departement_code=DEP, content=by_calc)
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (2, 1, existing - 1)
    with Session(engine) as s:
        assert fetch(s, Rencontre, changed_id).participants == changed_count
        r1 = s.exec(select(Rencontre).where(Rencontre.lieu == "Centre social Françoise Dolto")).one()
        r2 = s.exec(select(Rencontre).where(Rencontre.lieu == "Gymnase Jean-Jaurès")).one()
        assert (r1.date, r1.heure_debut, r1.heure_fin) == (dt.date(2023, 6, 12), dt.time(18, 30), dt.time(20, 0))
        assert r1.synthese_envoyee_le == dt.date(2023, 7, 3)
        assert (r2.date, r2.heure_debut, r2.synthese_envoyee_le) == (
            dt.date(2023, 6, 14),
            dt.time(9, 30),
            dt.date(2023, 7, 1),
        )
        assert r1.notes == NOTES
        assert (r1.participants, r1.femmes, r1.jeunes, r2.participants) == (25, 14, 6, 40)
        assert sorted(r1.organisateurs) == ["conseil_citoyen", "prefecture"]
        assert (r1.representant_etat_present, r1.elu_present) == (True, False)
        texts = s.exec(
            select(Contribution.texte)
            .where(col(Contribution.rencontre_id).in_([r1.id, r2.id]))
            .order_by(col(Contribution.rencontre_id), col(Contribution.rang))
        ).all()
        assert list(texts) == [
            "Plus de soutien scolaire le soir, près de l'école",
            "Éclairer le parc « des Tilleuls »",
            "La médiathèque ouvre le dimanche",
        ]
    # Imported twice: nothing changes.
    with session_scope(engine) as session:
        again = import_workbook(session, actor=REFERENT, departement_code=DEP, content=by_calc)
    assert (again.created, again.updated, again.unchanged) == (0, 0, existing + 2)


@pytest.mark.slow
def test_a_template_saved_as_ods_is_refused_in_french(
    engine: Engine, database_preparation: Preparation, tmp_path: Path
) -> None:
    soffice = _calc()
    with session_scope(engine) as session:
        template = build_template(session, actor=REFERENT, departement_code=DEP)
    ods = _saved_by_calc(soffice, template, "ods", tmp_path)
    parsed = read_workbook(ods)
    assert [(i.sheet, i.row, i.message) for i in parsed.issues] == [("", None, ODS_REFUSED)]
    assert "Excel 2007-365 (.xlsx)" in ODS_REFUSED
    with session_scope(engine) as session, pytest.raises(ImportRefuse) as refused:
        import_workbook(session, actor=REFERENT, departement_code=DEP, content=ods)
    assert [i.message for i in refused.value.report.issues] == [ODS_REFUSED]
    # The reader itself never hands an .ods to calamine (its scan vouches for .xlsx parts only).
    with pytest.raises(UNREADABLE):
        open_sheets(ods)
