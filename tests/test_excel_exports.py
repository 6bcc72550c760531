"""Synthèse départementale and national workbooks: readable, formatted, same figures as the pages."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from q2030 import coverage, priorities
from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import PermissionRefusee, ValidationError
from q2030.excel.exports import export_departement, export_national, workbook_bytes
from q2030.models import Contribution, Rencontre
from tests.databases import Demo, Preparation

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")
PREFET_IDF = Actor(email="sgar.11@test", role="prefet_region", region_code="11")
COMMISSION = Actor(email="commission@test", role="commission")
AU = dt.date(2023, 9, 15)


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _cover(content: bytes) -> dict[str, object]:
    frame = pd.read_excel(io.BytesIO(content), sheet_name="Synthèse", header=None)
    return {row[0]: row[1] for row in frame.itertuples(index=False) if isinstance(row[0], str)}


def test_departement_workbook_figures_equal_coverage(demo: Engine) -> None:
    with session_scope(demo) as session:
        content = workbook_bytes(export_departement, session, actor=REFERENT, departement_code=DEP, au=AU)
        counts = coverage.coverage_counts(session, actor=REFERENT, au=AU, departement_code=DEP).iloc[0]
        status = coverage.qpv_status(session, actor=REFERENT, au=AU, departement_code=DEP)
        chain = coverage.suivi_rencontres(session, actor=REFERENT, au=AU, departement_code=DEP)
        n_rencontres = session.exec(
            select(func.count()).select_from(Rencontre).where(Rencontre.departement_code == DEP)
        ).one()
        n_contributions = session.exec(
            select(func.count()).select_from(Contribution).join(Rencontre).where(Rencontre.departement_code == DEP)
        ).one()
        held = session.exec(
            select(func.sum(Rencontre.participants), func.sum(Rencontre.femmes)).where(
                Rencontre.departement_code == DEP, Rencontre.statut == "tenue", Rencontre.date <= AU
            )
        ).one()
    assert n_rencontres > 0
    assert n_contributions > 0

    cover = _cover(content)
    assert cover["Couverts dans les délais"] == counts["couvert_delais"]
    assert cover["Couverts en retard"] == counts["couvert_retard"]
    assert cover["Non couverts"] == counts["non_couvert"]
    assert cover["Rencontres tenues"] == counts["rencontres_tenues"]
    assert cover["Taux de couverture"] == pytest.approx(counts["taux_couverts"])
    assert cover["Participants"] == held[0]
    assert cover["dont femmes"] == held[1]
    sent = (chain["etat_synthese"] == "envoyee_a_temps").sum()
    assert cover["Envoyées à temps"] == sent

    sheets = pd.read_excel(io.BytesIO(content), sheet_name=None)
    assert list(sheets) == [
        "Synthèse",
        "Couverture",
        "Rencontres",
        "Contributions",
        *(["Priorités"] if "Priorités" in sheets else []),
    ]
    couverture = sheets["Couverture"]
    assert list(couverture["Code QPV"]) == list(status["qpv_code"])
    assert list(couverture["Statut"]) == list(status["statut_libelle"])
    assert len(sheets["Rencontres"]) == n_rencontres
    assert len(sheets["Contributions"]) == n_contributions
    assert pd.api.types.is_datetime64_any_dtype(sheets["Rencontres"]["Date"])
    assert pd.api.types.is_integer_dtype(sheets["Contributions"]["Rencontre"])

    wb = load_workbook(io.BytesIO(content))
    ws = wb["Rencontres"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{n_rencontres + 1}"
    assert ws["A1"].font.bold
    assert ws["A1"].fill.fgColor.rgb.endswith("000091")
    assert ws["E2"].is_date
    assert ws.column_dimensions["H"].width == 30
    assert wb["Synthèse"]["A1"].value == "Synthèse départementale — Seine-Saint-Denis (93)"


def test_prefet_exports_its_departements_only(demo: Engine) -> None:
    with session_scope(demo) as session:
        assert workbook_bytes(export_departement, session, actor=PREFET_IDF, departement_code=DEP, au=AU)
        with pytest.raises(PermissionRefusee):
            export_departement(session, actor=PREFET_IDF, departement_code="13", out=io.BytesIO())
        with pytest.raises(PermissionRefusee):
            export_departement(session, actor=REFERENT, departement_code="75", out=io.BytesIO())
        with pytest.raises(PermissionRefusee):
            export_national(session, actor=PREFET_IDF, out=io.BytesIO())


@pytest.mark.slow  # every département of the country in one workbook
def test_national_workbook_has_every_departement(demo: Engine, tmp_path) -> None:
    out = tmp_path / "national.xlsx"
    steps: list[float] = []
    with session_scope(demo) as session:
        summary = export_national(
            session, actor=COMMISSION, out=str(out), au=AU, progress=lambda f, _m: steps.append(f)
        )
        by_dep = coverage.coverage_counts(session, actor=COMMISSION, au=AU, niveau="departement")
        total = coverage.coverage_counts(session, actor=COMMISSION, au=AU, niveau="national").iloc[0]
        n_contributions = session.exec(select(func.count()).select_from(Contribution)).one()
    assert steps[-1] == 1.0
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"Synthèse", "Couverture", "Départements", "Rencontres", "Contributions"} <= set(sheets)
    assert summary.sheets["Contributions"] == n_contributions == len(sheets["Contributions"])
    deps = sheets["Départements"].astype({"Département": str})
    assert list(deps["Département"]) == list(by_dep["code"])
    assert list(deps["Couverts dans les délais"]) == list(by_dep["couvert_delais"])
    assert list(deps["Non couverts"]) == list(by_dep["non_couvert"])
    assert _cover(out.read_bytes())["Couverts dans les délais"] == total["couvert_delais"]
    assert {"Région", "Département"} <= set(sheets["Contributions"].columns)
    assert sheets["Contributions"]["Région"].nunique() > 5


def test_priorities_sheet_equals_the_priorities_ranking(demo: Engine) -> None:
    with session_scope(demo) as session:
        content = workbook_bytes(export_departement, session, actor=REFERENT, departement_code=DEP, au=AU)
        ranking = priorities.classement(
            session, actor=REFERENT, filtres=priorities.Filtres(departement=DEP), ponderation="contribution"
        )
    assert len(ranking) > 0
    sheet = pd.read_excel(io.BytesIO(content), sheet_name="Priorités")
    assert list(sheet["Axe"]) == list(ranking["groupe_libelle"])
    assert list(sheet["Rang"]) == list(ranking["rang"])
    assert list(sheet["Thème"]) == list(ranking["theme_libelle"])
    assert list(sheet["Contributions"]) == list(ranking["contributions"])
    assert list(sheet["Part des contributions de l'axe"]) == pytest.approx(list(ranking["part"]))


@pytest.mark.slow  # the whole national demo written three times (XLSX, CSV, Parquet)
def test_national_csv_and_parquet_hold_the_workbook_rows(demo: Engine) -> None:
    """CSV and Parquet beside the workbook: same sheets and rows; user text never runs as a formula."""
    import zipfile

    with session_scope(demo) as session:
        contribution = session.exec(select(Contribution).order_by(col(Contribution.id))).first()
        assert contribution is not None
        contribution.texte = '=HYPERLINK("http://x")'
        session.add(contribution)
    with session_scope(demo) as session:
        workbook = pd.read_excel(
            io.BytesIO(workbook_bytes(export_national, session, actor=COMMISSION, au=AU)), sheet_name=None
        )
        flat = {
            fmt: zipfile.ZipFile(
                io.BytesIO(workbook_bytes(export_national, session, actor=COMMISSION, au=AU, format=fmt))
            )
            for fmt in ("csv", "parquet")
        }
        with pytest.raises(ValidationError):
            export_national(session, actor=COMMISSION, out=io.BytesIO(), format="ods")
    for fmt, archive in flat.items():
        names = archive.namelist()
        assert names[:5] == [f"01-synthese.{fmt}", f"02-couverture.{fmt}", f"03-departements.{fmt}",
                             f"04-rencontres.{fmt}", f"05-contributions.{fmt}"]  # fmt: skip

        def read(name: str, fmt: str = fmt, archive: zipfile.ZipFile = archive) -> pd.DataFrame:
            if fmt == "csv":
                return pd.read_csv(io.BytesIO(archive.read(name)), sep=";", dtype=str, keep_default_na=False)
            return pd.read_parquet(io.BytesIO(archive.read(name)))

        contributions = read(f"05-contributions.{fmt}")
        assert list(contributions.columns) == list(workbook["Contributions"].columns)
        assert len(contributions) == len(workbook["Contributions"])
        assert len(read(f"04-rencontres.{fmt}")) == len(workbook["Rencontres"])
        assert len(read(f"03-departements.{fmt}")) == len(workbook["Départements"])
        texts = set(contributions["Contribution"])
        if fmt == "csv":
            assert '\'=HYPERLINK("http://x")' in texts
            assert '=HYPERLINK("http://x")' not in texts
            assert all(len(d) == 10 and d[2] == "/" for d in contributions["Date de la rencontre"])
        else:
            assert '=HYPERLINK("http://x")' in texts
            assert isinstance(contributions["Date de la rencontre"].iloc[0], dt.date)
            assert str(contributions["Rencontre"].dtype) == "int64"
