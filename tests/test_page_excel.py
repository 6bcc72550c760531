"""The "Échanges Excel" page driven through its widgets, for each role."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from q2030.access import Actor
from q2030.db import session_scope
from q2030.excel.template import build_template
from q2030.models import AuditEvent, Qpv, Rencontre
from q2030.ui import excel as ui_excel
from tests.databases import Demo, Preparation
from tests.helpers import elements, open_app

PAGE = "pages/7_Excel.py"
DEP = "93"
REFERENT = Actor(email="referent.93@demo.gouv.fr", role="referent", departement_code=DEP, region_code="11")


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)  # each test runs on its own copy of it (usefixtures below)


def _filled_template(engine: Engine, date_text: str) -> bytes:
    with session_scope(engine) as session:
        content = build_template(session, actor=REFERENT, departement_code=DEP)
        qpv = session.exec(select(Qpv.code).where(Qpv.departement_code == DEP).order_by(Qpv.code)).first()
    wb = load_workbook(io.BytesIO(content))
    ws = wb["Rencontres"]
    header = [c.value for c in ws[1]]
    row = {h: None for h in header} | {
        "Identifiant": "R1", "Statut": "Tenue", "Date": date_text, "Périmètre": "Quartier(s)", "QPV": qpv,
        "Lieu": "Salle des fêtes (import page)", "Participants": 30, "Femmes": 12,
    }  # fmt: skip
    ws.append([row[h] for h in header])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _ods() -> bytes:
    """An OpenDocument spreadsheet as LibreOffice stores one: its mimetype first, uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODS_MIME, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _count(engine: Engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.usefixtures("database_preparation")
def test_referent_downloads_and_imports(app_env: str, engine: Engine) -> None:
    at = open_app(role="referent", departement=DEP)
    at.switch_page(PAGE).run()
    assert not at.exception
    labels = [b.label for b in elements(at, "download_button")]
    assert labels == ["Télécharger le modèle de saisie", "Télécharger la synthèse départementale"]

    # A broken date: refused, rows named, nothing written.
    before = (_count(engine, Rencontre), _count(engine, AuditEvent))
    at.file_uploader(key="excel_upload").set_value(
        ("saisie.xlsx", _filled_template(engine, "31/06/2023"), "application/octet-stream")
    ).run()
    at.button(key="excel_import").click().run()
    assert not at.exception
    assert any("rien n'a été importé" in e.value for e in at.error)
    errors = at.dataframe[0].value
    assert list(errors["Colonne"]) == ["Date"]
    assert list(errors["Valeur"]) == ["31/06/2023"]
    assert (_count(engine, Rencontre), _count(engine, AuditEvent)) == before

    # An .ods (the template saved in LibreOffice's own format): let through, refused in French.
    assert ".ods" in at.file_uploader(key="excel_upload").proto.type
    at.file_uploader(key="excel_upload").set_value(("saisie.ods", _ods(), ODS_MIME)).run()
    at.button(key="excel_import").click().run()
    assert not at.exception
    assert any("OpenDocument (.ods)" in e.value and "Excel 2007-365 (.xlsx)" in e.value for e in at.error)
    assert (_count(engine, Rencontre), _count(engine, AuditEvent)) == before

    at.file_uploader(key="excel_upload").set_value(
        ("saisie.xlsx", _filled_template(engine, "14/06/2023"), "application/octet-stream")
    ).run()
    at.button(key="excel_import").click().run()
    assert not at.exception
    assert any("Rencontres créées : 1" in s.value for s in at.success)
    assert _count(engine, Rencontre) == before[0] + 1


@pytest.mark.usefixtures("database_preparation")
def test_prefet_chooses_among_its_departements(app_env: str, engine: Engine) -> None:
    at = open_app(role="prefet_region", region="11")
    at.switch_page(PAGE).run()
    assert not at.exception
    box = at.selectbox(key="excel_departement")
    assert box.options[0].startswith("75")
    assert len(box.options) == 8
    box.select("93").run()
    assert not at.exception
    assert [b.label for b in elements(at, "download_button")] == ["Télécharger la synthèse départementale"]
    assert not [b for b in at.button if b.key == "excel_national"]


@pytest.mark.slow  # builds the whole national workbook
@pytest.mark.usefixtures("database_preparation")
def test_commission_prepares_the_national_export(app_env: str, engine: Engine) -> None:
    at = open_app(role="commission")
    at.switch_page(PAGE).run()
    assert not at.exception
    labels = [b.label for b in elements(at, "download_button")]
    assert labels[-2:] == ["Télécharger l'export national (CSV, .zip)", "Télécharger l'export national (Parquet, .zip)"]
    at.button(key="excel_national").click().run()
    assert not at.exception
    deadline = time.monotonic() + 120
    while "Télécharger l'export national" not in [b.label for b in elements(at, "download_button")]:
        assert time.monotonic() < deadline, "the national workbook was not ready in 2 minutes"
        time.sleep(0.5)
        at.run()  # the page polls the background job
        assert not at.exception
    job = ui_excel.national_job()
    assert job is not None
    assert job.data is not None
    assert "Départements" in load_workbook(io.BytesIO(job.data), read_only=True).sheetnames
    # Nothing changed: another commission member gets the same workbook at once, no new build.
    other = open_app(role="admin")
    other.switch_page(PAGE).run()
    assert "Télécharger l'export national" in [b.label for b in elements(other, "download_button")]
    assert ui_excel.national_job() is job


@pytest.mark.usefixtures("database_preparation")
def test_workbooks_are_built_on_click_not_when_the_page_opens(app_env: str, engine: Engine, monkeypatch) -> None:
    """Opening the page builds no workbook; the button's deferred data builds it on click."""
    from q2030.excel.exports import workbook_bytes
    from q2030.excel.template import build_template
    from q2030.ui import excel as ui_excel

    built: list[str] = []

    def counted_template(*args: Any, **kwargs: Any) -> Any:
        built.append("modele")
        return build_template(*args, **kwargs)

    def counted_workbook(*args: Any, **kwargs: Any) -> Any:
        built.append("synthese")
        return workbook_bytes(*args, **kwargs)

    monkeypatch.setattr(ui_excel, "build_template", counted_template)
    monkeypatch.setattr(ui_excel, "workbook_bytes", counted_workbook)
    at = open_app(role="referent", departement=DEP)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [b.label for b in elements(at, "download_button")] == [
        "Télécharger le modèle de saisie",
        "Télécharger la synthèse départementale",
    ]
    assert built == []
    template = ui_excel.template_data(REFERENT, DEP)()  # what a click runs
    synthese = ui_excel.synthese_data(REFERENT, DEP)()
    assert built == ["modele", "synthese"]
    assert "Rencontres" in load_workbook(io.BytesIO(template)).sheetnames
    assert len(load_workbook(io.BytesIO(synthese)).sheetnames) > 1
