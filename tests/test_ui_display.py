"""What a user sees in tables and charts: French numbers and dates, readable chart sizes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pandas.io.formats.style import Styler

from q2030.ui.charts import BAR_STEP, chart_spec, status_chart
from q2030.ui.tables import auto_height, french_display


def _counts(names: list[str]) -> pd.DataFrame:
    n = len(names)
    return pd.DataFrame(
        {
            "Département": names,
            "qpv": [10] * n,
            "couvert_delais": [4] * n,
            "couvert_retard": [3] * n,
            "prevu": [2] * n,
            "non_couvert": [1] * n,
        }
    )


def test_status_chart_is_28_px_per_bar_with_legend_below_and_width_fit_only() -> None:
    spec = chart_spec(status_chart(_counts([f"Dép. {i}" for i in range(9)]), "Département", "Statut"))
    assert spec["height"] == 9 * BAR_STEP
    # "fit" would squeeze title, axes and legend into that height; "fit-x" keeps the plot height.
    assert spec["autosize"]["type"] == "fit-x"
    legend = spec["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom"
    assert legend["columns"] == 2


def test_french_display_shows_decimal_comma_percent_and_empty_missing_dates() -> None:
    frame = pd.DataFrame(
        {
            "Quartier": ["A", "B"],
            "Couverts": [0.293, 0.0],
            "Prochaine rencontre prévue": [dt.date(2023, 7, 31), None],
            "Compte rendu": [True, False],
        }
    )
    text = french_display(frame, percent_columns=["Couverts"]).to_string(delimiter="|")
    assert "29,3\u202f%" in text
    assert "0,0\u202f%" in text
    assert "29.3" not in text
    assert "31/07/2023" in text
    assert "None" not in text
    assert "NaT" not in text
    assert "oui" in text
    assert "non" in text


def test_a_column_without_any_value_shows_empty_cells_not_none() -> None:
    # Streamlit draws a null cell as a grey "None", whatever the Styler says.
    # No ratio or float here: a plain frame (a Styler only when a column needs one).
    shown = french_display(pd.DataFrame({"Quartier": ["A", "B"], "Prochaine rencontre prévue": [None, None]}))
    values = shown.data if isinstance(shown, Styler) else shown
    assert list(values["Prochaine rencontre prévue"]) == ["", ""]


def test_french_display_keeps_numbers_for_sorting() -> None:
    styler = french_display(pd.DataFrame({"taux": [0.5, 0.25]}), percent_columns=["taux"])
    assert list(styler.data["taux"]) == [0.5, 0.25]


def test_auto_height_fits_a_short_table_without_blank_rows() -> None:
    assert auto_height(4) < 200
    assert auto_height(4) > auto_height(1)
    assert auto_height(500) == auto_height(12)
