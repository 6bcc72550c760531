"""Audit log reading: filters, SQL paging, French-calendar days, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlmodel import Session

from q2030 import audit
from q2030.access import Actor
from q2030.audit_log import AuditFilters, export_audit_csv, filter_options, query_audit
from q2030.errors import PermissionRefusee
from q2030.models import AuditEvent

ADMIN = Actor(email="admin@anct.gouv.fr", role="admin")
UTC = dt.UTC


def _event(session: Session, when: dt.datetime, acteur: str, entite: str, apres: dict[str, Any] | None = None) -> None:
    session.add(
        AuditEvent(horodatage=when, acteur=acteur, action="creation", entite=entite, entite_id="1", apres=apres)
    )


@pytest.fixture
def journal(session: Session) -> Session:
    base = dt.datetime(2023, 6, 1, 8, 0, tzinfo=UTC)
    for i in range(120):
        _event(
            session, base + dt.timedelta(hours=i), f"referent.{i % 3}@x.gouv.fr", "rencontre" if i % 2 else "document"
        )
    # Around midnight in Paris: a day filter follows the French calendar, not UTC.
    _event(session, dt.datetime(2023, 7, 31, 21, 30, tzinfo=UTC), "tard@x.gouv.fr", "synthese")  # 23:30 Paris, 31/07
    _event(session, dt.datetime(2023, 7, 31, 22, 30, tzinfo=UTC), "tard@x.gouv.fr", "synthese")  # 00:30 Paris, 01/08
    session.flush()
    return session


def test_pages_are_cut_in_sql_newest_first(journal: Session) -> None:
    first = query_audit(journal, actor=ADMIN, page=1, page_size=50)
    assert (first.total, first.pages, len(first.frame)) == (122, 3, 50)
    assert first.frame.iloc[0]["Horodatage"] == "01/08/2023 00:30:00"  # Paris time, newest first
    last = query_audit(journal, actor=ADMIN, page=3, page_size=50)
    assert len(last.frame) == 22
    assert last.frame.iloc[-1]["Horodatage"] == "01/06/2023 10:00:00"  # 08:00 UTC, summer time
    beyond = query_audit(journal, actor=ADMIN, page=99, page_size=50)
    assert beyond.page == 3


def test_filters_by_user_entity_and_paris_day(journal: Session) -> None:
    by_user = query_audit(journal, actor=ADMIN, filters=AuditFilters(acteur="referent.1@x.gouv.fr"))
    assert by_user.total == 40
    assert set(by_user.frame["Utilisateur"]) == {"referent.1@x.gouv.fr"}
    both = query_audit(journal, actor=ADMIN, filters=AuditFilters(acteur="referent.1@x.gouv.fr", entite="rencontre"))
    assert both.total == 20
    july_31 = query_audit(
        journal, actor=ADMIN, filters=AuditFilters(entite="synthese", du=dt.date(2023, 7, 31), au=dt.date(2023, 7, 31))
    )
    assert july_31.total == 1
    assert july_31.frame.iloc[0]["Horodatage"] == "31/07/2023 23:30:00"
    june_2 = query_audit(journal, actor=ADMIN, filters=AuditFilters(du=dt.date(2023, 6, 2), au=dt.date(2023, 6, 2)))
    assert june_2.total == 24
    acteurs, entites = filter_options(journal, actor=ADMIN)
    assert entites == ["document", "rencontre", "synthese"]
    assert "tard@x.gouv.fr" in acteurs


def test_csv_export_is_complete_french_excel_ready_and_defused(session: Session) -> None:
    audit.record(
        session,
        actor=ADMIN,
        action="creation",
        entite="rencontre",
        entite_id=7,
        apres={"lieu": '=HYPERLINK("http://x")'},
    )
    audit.record(
        session, actor=Actor(email="-cmd@x.fr", role="admin"), action="suppression", entite="rencontre", entite_id=7
    )
    session.flush()
    data = export_audit_csv(session, actor=ADMIN, batch=1)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Horodatage", "Utilisateur", "Action", "Entité", "Identifiant", "Avant", "Après"]
    assert len(rows) == 3  # every event, across export batches
    assert rows[2][1] == "'-cmd@x.fr"  # would be run as a formula by a spreadsheet otherwise
    assert '"lieu": "=HYPERLINK' in rows[1][6]
    only = export_audit_csv(session, actor=ADMIN, filters=AuditFilters(acteur="admin@anct.gouv.fr"))
    assert only.decode("utf-8-sig").count("\r\n") == 2


@pytest.mark.parametrize("role", ["referent", "prefet_region", "commission"])
def test_only_admin_reads_the_log(session: Session, role: str) -> None:
    actor = Actor(email="x@y.fr", role=role, departement_code="93", region_code="11")
    with pytest.raises(PermissionRefusee):
        query_audit(session, actor=actor)
    with pytest.raises(PermissionRefusee):
        export_audit_csv(session, actor=actor)


def test_readable_summary_shows_changed_fields_in_french() -> None:
    from q2030.audit_log import action_label, entite_label, summary

    before = {"lieu": "Mairie", "date": "2023-07-31", "annulee": False, "participants": 12}
    after = {"lieu": "Centre social", "date": "2023-08-02", "annulee": False, "participants": 12}
    assert summary(after, before) == "Nom du lieu : Centre social ; Date : 02/08/2023"
    assert summary({"actif": True, "notes": None}) == "Actif : oui ; Notes : —"
    # Codes in words (issue 13: "statut : transmise_region" meant nothing to a reader).
    assert summary({"statut": "transmise_region", "departement_code": "93"}) == (
        "Statut : Transmise à la préfecture de région ; Département : Seine-Saint-Denis (93)"
    )
    assert summary(None) == ""
    assert action_label("creation") == "Création"
    assert entite_label("qpv") == "Quartiers (QPV)"
    assert action_label("inconnue") == "inconnue"


def test_every_audit_code_written_has_its_french_words_in_the_journal() -> None:
    """mypy holds every call of `audit.record` to the codes of ActionAudit / EntiteAudit; the
    journal words each of them (an administrator never reads « renvoi_organisateur »)."""
    from typing import get_args

    from q2030 import audit, audit_log

    assert set(audit_log.ACTIONS) == set(get_args(audit.ActionAudit))
    assert set(audit_log.ENTITES) == set(get_args(audit.EntiteAudit))
    assert all(words[0].isupper() for words in [*audit_log.ACTIONS.values(), *audit_log.ENTITES.values()])
