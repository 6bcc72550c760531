"""One CSV writer for every download: French format, neutralised text, rates in percent."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
from sqlmodel import Session

from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.coverage import coverage_counts
from q2030.csv_export import to_csv
from q2030.ui.coverage import COUNTS_COLUMNS, table_csv
from tests import factories as f

COMMISSION = Actor(email="c@x.fr", role="commission")


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_french_cells_and_neutralised_text() -> None:
    frame = pd.DataFrame(
        {
            "Lieu": ['=HYPERLINK("http://x")', "+33 1 23", "-moins", "@SUM(A1)", "\tonglet", "Salle B"],
            "Écart": [-3.5, 2.0, None, 0.25, 1.0, -1.0],
            "Le": [dt.date(2023, 7, 31), None, dt.datetime(2023, 8, 1, 14, 30), None, None, None],
            "Tenue": [True, False, True, False, True, False],
            "N": pd.array([1, None, 3, 4, 5, 1234], dtype="Int64"),
        }
    )
    rows = _rows(to_csv(frame))
    assert rows[0] == ["Lieu", "Écart", "Le", "Tenue", "N"]
    lieux = [row[0] for row in rows[1:]]
    assert lieux[:5] == ['\'=HYPERLINK("http://x")', "'+33 1 23", "'-moins", "'@SUM(A1)", "'\tonglet"]
    assert lieux[5] == "Salle B"
    assert [row[1] for row in rows[1:]] == ["-3,5", "2", "", "0,25", "1", "-1"]  # numbers are not neutralised
    assert [row[2] for row in rows[1:3]] == ["31/07/2023", ""]
    assert rows[3][2] == "01/08/2023 14:30"
    assert [row[3] for row in rows[1:3]] == ["Oui", "Non"]
    assert [row[4] for row in rows[1:]] == ["1", "", "3", "4", "5", "1234"]
    back = pd.read_csv(io.BytesIO(to_csv(frame)), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert all(not str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in back["Lieu"])


def test_percentages_keep_their_precision_and_say_so() -> None:
    frame = pd.DataFrame({"Département": ["93"], "Taux de couverture": [3 / 7], "Part": [0.123456]})
    rows = _rows(to_csv(frame, percent_columns=["Taux de couverture"], decimals=4))
    assert rows == [["Département", "Taux de couverture (%)", "Part"], ["93", "42,9", "0,1235"]]


def test_coverage_table_csv_writes_rates_as_percentages(session: Session) -> None:
    """7 QPV, 3 covered on time: "Couverts à temps (%)" 42,9, not the fraction 0,4."""
    deadline = active_campaign(session).rencontres_echeance
    for i in range(7):
        f.qpv(session, f"QN0930{i}A", "93")
    for i in range(3):
        f.rencontre(session, departement="93", date=deadline - dt.timedelta(days=5), qpv=[f"QN0930{i}A"])
    session.commit()
    counts = coverage_counts(session, actor=COMMISSION, au=deadline + dt.timedelta(days=1), niveau="departement")
    rows = _rows(table_csv(counts[counts["code"] == "93"], {"code": "Code", **COUNTS_COLUMNS}))
    header = rows[0]
    assert "Couverts à temps (%)" in header
    assert "Non couverts (%)" in header
    assert "Couverts à temps" not in header
    values = dict(zip(header, rows[1], strict=True))
    assert values["Couverts à temps (%)"] == "42,9"
    assert values["Non couverts (%)"] == "57,1"
    assert values["QPV"] == "7"
    carte = {"code": "Code", "qpv": "QPV", "couverts": "QPV couverts", "taux_couverts": "Taux de couverture"}
    assert _rows(table_csv(counts[counts["code"] == "93"], carte)) == [
        ["Code", "QPV", "QPV couverts", "Taux de couverture (%)"],
        ["93", "7", "3", "42,9"],
    ]
