"""The public page speaks in the tense its dates call for, and writes absolute addresses."""

from __future__ import annotations

import datetime as dt

import pytest

from q2030 import public, settings

WINDOW = (dt.date(2023, 9, 23), dt.date(2023, 12, 21))


@pytest.mark.parametrize(
    ("day", "today", "expected"),
    [
        (dt.date(2023, 10, 5), dt.date(2025, 6, 1), "a eu lieu le 5 octobre 2023"),
        (dt.date(2023, 10, 5), dt.date(2023, 10, 5), "a lieu aujourd'hui"),
        (dt.date(2023, 10, 5), dt.date(2023, 9, 1), "aura lieu le 5 octobre 2023"),
        (None, dt.date(2025, 6, 1), "devait avoir lieu entre le 23 septembre 2023"),
        (None, dt.date(2023, 10, 1), "a lieu entre le 23 septembre 2023"),
        (None, dt.date(2023, 6, 1), "aura lieu entre le 23 septembre 2023"),
    ],
)
def test_restitution_sentence_follows_the_date(day: dt.date | None, today: dt.date, expected: str) -> None:
    assert expected in public.restitution_sentence(day, WINDOW, today)


def test_meeting_sentence() -> None:
    today = dt.date(2024, 3, 10)
    assert public.meeting_sentence(dt.date(2024, 3, 9), today) == "a eu lieu le 09/03/2024"
    assert public.meeting_sentence(today, today) == "a lieu aujourd'hui"
    assert public.meeting_sentence(dt.date(2024, 3, 11), today) == "aura lieu le 11/03/2024"


def test_addresses_are_absolute_and_the_agenda_subscribes_by_webcal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2030_BASE_URL", "https://q2030.exemple.gouv.fr/")
    base = settings.base_url()
    assert base == "https://q2030.exemple.gouv.fr"
    assert public.share_address(base, qpv="QN09308M") == "https://q2030.exemple.gouv.fr/Restitution?qpv=QN09308M"
    assert public.agenda_addresses(base, "2A") == (
        "webcal://q2030.exemple.gouv.fr/app/static/agenda/2A.ics",
        "https://q2030.exemple.gouv.fr/app/static/agenda/2A.ics",
    )
    monkeypatch.delenv("Q2030_BASE_URL")
    assert settings.base_url() == "http://localhost:8501"
