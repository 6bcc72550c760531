"""Public agenda and its iCalendar export."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from q2030.agenda import escape, fold, ics, upcoming_rencontres
from q2030.models import stored_id
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, update_rencontre
from tests.rencontres_data import COMMISSION, EPCI_93_94, REFERENT_69, REFERENT_93, held, load_geography

TODAY = dt.date.today()


def _unfold(payload: bytes) -> list[str]:
    text = payload.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    return text.replace("\r\n ", "").split("\r\n")[:-1]


@pytest.fixture
def planned(session: Session) -> list[int]:
    load_geography(session)
    rencontres = [
        create_rencontre(
            session,
            actor=REFERENT_93,
            data=held(
                days_ago=-7,
                statut="prevue",
                lieu="Maison de quartier; salle « Les Tilleuls », 1er étage",
                adresse="3, allée des Érables",
                participants=None,
                femmes=None,
                jeunes=None,
                habitants_qpv=None,
                professionnels=None,
                elus=None,
            ),
        ),
        create_rencontre(
            session,
            actor=REFERENT_93,
            data={
                "statut": "prevue",
                "date": TODAY + dt.timedelta(days=2),
                "perimetre": "epci",
                "epci_siren": EPCI_93_94,
            },
        ),
        create_rencontre(
            session, actor=REFERENT_69, data={"statut": "prevue", "date": TODAY, "qpv_codes": ["QN06901A"]}
        ),
        create_rencontre(session, actor=REFERENT_93, data=held(qpv_codes=["QN09303A"])),  # held: not listed
    ]
    session.commit()
    return [stored_id(rencontre) for rencontre in rencontres]


def test_upcoming_lists_planned_rencontres_by_departement_then_date(session: Session, planned: list[int]) -> None:
    frame = upcoming_rencontres(session, actor=COMMISSION)
    assert list(frame["id"]) == [planned[2], planned[1], planned[0]]  # 69 first, then 93 by date
    assert list(upcoming_rencontres(session, actor=REFERENT_69, departement_code="93")["id"]) == planned[1::-1]
    cancel_rencontre(session, actor=REFERENT_93, rencontre_id=planned[1], version=1, motif="Grève")
    assert planned[1] not in set(upcoming_rencontres(session, actor=COMMISSION)["id"])
    assert upcoming_rencontres(session, actor=COMMISSION, today=TODAY + dt.timedelta(days=30)).empty


def test_ics_of_one_rencontre_is_valid_rfc5545(session: Session, planned: list[int]) -> None:
    lines = _unfold(ics(session, actor=COMMISSION, rencontre_id=planned[0]))
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert lines.count("BEGIN:VEVENT") == 1
    assert "TZID:Europe/Paris" in lines  # the VTIMEZONE that DTSTART refers to
    day = TODAY + dt.timedelta(days=7)
    assert f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T180000" in lines
    assert f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T200000" in lines
    assert f"UID:rencontre-{planned[0]}@quartiers2030" in lines
    # The commune of its quartier closes the LOCATION, so a calendar's map finds the place.
    location = "LOCATION:Maison de quartier\\; salle « Les Tilleuls »\\, 1er étage\\, 3\\, allée des Érables\\, Pantin"
    assert location in lines
    assert any(line.startswith("SUMMARY:Rencontre Quartiers 2030 – ") and "Courtillières" in line for line in lines)
    description = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "Format : Réunion publique\\nLieu : Centre social" in description
    assert "STATUS:CONFIRMED" in lines


def test_uid_is_stable_and_sequence_follows_edits(session: Session, planned: list[int]) -> None:
    update_rencontre(session, actor=REFERENT_93, rencontre_id=planned[0], version=1, data={"heure_debut": "17:30"})
    lines = _unfold(ics(session, actor=COMMISSION, rencontre_id=planned[0]))
    assert f"UID:rencontre-{planned[0]}@quartiers2030" in lines
    assert "SEQUENCE:1" in lines
    cancel_rencontre(session, actor=REFERENT_93, rencontre_id=planned[0], version=2, motif="Pluie")
    assert "STATUS:CANCELLED" in _unfold(ics(session, actor=COMMISSION, rencontre_id=planned[0]))


def test_ics_of_all_upcoming_and_all_day_events(session: Session, planned: list[int]) -> None:
    lines = _unfold(ics(session, actor=COMMISSION))
    assert lines.count("BEGIN:VEVENT") == 3
    assert lines.count("BEGIN:VTIMEZONE") == 1
    assert f"DTSTART;VALUE=DATE:{TODAY:%Y%m%d}" in lines  # no time given: an all-day event
    assert "SUMMARY:Rencontre Quartiers 2030 – Métropole du Grand Paris" in lines


def test_escape_and_fold() -> None:
    assert escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    folded = fold("DESCRIPTION:" + "é" * 100)
    parts = folded.split("\r\n ")
    assert all(len(p.encode("utf-8")) <= 75 - (i > 0) for i, p in enumerate(parts))
    assert "".join(parts) == "DESCRIPTION:" + "é" * 100
