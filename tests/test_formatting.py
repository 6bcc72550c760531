"""French formatting: the one plural helper, and no « (s) » anywhere in the product."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from q2030.formatting import countdown, fr_count

ROOT = Path(__file__).resolve().parent.parent


def test_fr_count_agrees_number_and_words() -> None:
    assert fr_count(0, "rencontre") == "0 rencontre"
    assert fr_count(1, "rencontre tenue") == "1 rencontre tenue"
    assert fr_count(23, "rencontre tenue") == "23 rencontres tenues"
    assert fr_count(1234, "quartier prioritaire") == "1\u202f234 quartiers prioritaires"
    assert fr_count(2, "QPV", "QPV") == "2 QPV"
    assert fr_count(3, "autre formule", "autres formules") == "3 autres formules"
    assert fr_count(2, "avis") == "2 avis"


def test_countdown_uses_it() -> None:
    import datetime as dt

    day = dt.date(2023, 7, 30)
    assert countdown(dt.date(2023, 7, 31), day) == "dans 1 jour"
    assert countdown(dt.date(2023, 7, 28), day) == "échue depuis 2 jours"


def test_no_bracketed_plural_in_the_product() -> None:
    """« rencontre(s) » reads badly: every count goes through fr_count."""
    sources = [*(ROOT / "q2030").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"]
    found = []
    for path in sources:
        content = path.read_bytes()
        if b"(s)" not in content:  # a string holding one has these bytes in the file
            continue
        for token in tokenize.tokenize(io.BytesIO(content).readline):  # text only: `notna(s)` is code
            if token.type == tokenize.STRING and re.search(r"\w\(s\)", token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string}")
    assert found == []
