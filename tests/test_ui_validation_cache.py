"""The « Doublon de » lists of the référent's queue come from a cached read model keyed on the
reading scope and the data version: one read per département and version, and a write (a
declaration validated) shows in the next run's lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import PermissionRefusee
from q2030.rencontres.ecriture import create_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from q2030.ui import shell
from q2030.ui import validation as ui_validation
from q2030.validation import valider
from tests import factories as f
from tests.helpers import open_app

REFERENT = Actor(email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11")
ADMIN = Actor(email="admin@x.gouv.fr", role="admin")
REFERENT_69 = Actor(email="referent@rhone.gouv.fr", role="referent", departement_code="69", region_code="84")
ORGANISATEUR = Actor(
    email="accueil@tilleuls.example.org", role="organisateur", departement_code="93", organisation="Tilleuls"
)


def _meeting(day: dt.date, lieu: str) -> SaisieRencontre:
    return {
        "departement_code": "93",
        "statut": "tenue",
        "date": day,
        "lieu": lieu,
        "perimetre": "quartier",
        "qpv_codes": ["QN09301X"],
        "type_lieu": "centre_social",
        "format": "reunion_publique",
        "participants": 30,
    }


def test_a_write_changes_the_doublon_lists_and_one_read_serves_a_version(app_env: str, engine: Engine) -> None:
    ui_validation._doublons_possibles.clear()
    with session_scope(engine) as session:
        f.qpv(session, "QN09301X", "93")
        own = create_rencontre(session, actor=REFERENT, data=_meeting(dt.date(2023, 6, 1), "Maison de quartier"))
        declared = create_rencontre(session, actor=ORGANISATEUR, data=_meeting(dt.date(2023, 6, 8), "Gymnase"))
        own_id, declared_id, declared_version = own.id or 0, declared.id or 0, declared.version

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    app_engine = shell.engine()
    event.listen(app_engine, "before_cursor_execute", count)
    try:
        _check(statements, own_id, declared_id, declared_version, engine)
    finally:
        event.remove(app_engine, "before_cursor_execute", count)


def _check(statements: list[str], own_id: int, declared_id: int, declared_version: int, engine: Engine) -> None:
    version = shell.data_version()
    first = ui_validation.doublons_possibles(REFERENT, "93", version)
    assert first == {own_id: f"n° {own_id} — 01/06/2023 — Maison de quartier"}  # the declaration waits
    reads = len(statements)
    assert reads > 0
    # Same département and version: the administrator's run reads nothing (one entry per scope).
    assert ui_validation.doublons_possibles(ADMIN, "93", version) == first
    assert len(statements) == reads
    # The reader's right is checked outside the cache.
    with pytest.raises(PermissionRefusee):
        ui_validation.doublons_possibles(REFERENT_69, "93", version)

    with session_scope(engine) as session:
        valider(session, actor=REFERENT, rencontre_id=declared_id, version=declared_version)
    after = shell.data_version()
    assert after != version
    # The cache holds the old version's list: only the new key shows the write.
    assert ui_validation.doublons_possibles(REFERENT, "93", version) == first
    lists = ui_validation.doublons_possibles(REFERENT, "93", after)
    assert set(lists) == {own_id, declared_id}
    assert lists[declared_id] == f"n° {declared_id} — 08/06/2023 — Gymnase"


def test_the_queue_shows_a_few_declarations_at_a_time_and_keeps_what_was_typed(app_env: str, engine: Engine) -> None:
    """Mon département draws three declarations (each carries a form of five widgets: the page
    stayed over half a second with six), the oldest first; « Afficher … » adds the next ones,
    and a comment typed in a shown one is still there."""
    with session_scope(engine) as session:
        f.qpv(session, "QN09301X", "93")
        ids = [
            create_rencontre(session, actor=ORGANISATEUR, data=_meeting(dt.date(2023, 6, day), f"Salle {day}")).id
            for day in range(1, 6)
        ]
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    assert not at.exception
    assert [b.key for b in at.button if b.key and b.key.startswith("va_ok_")] == [f"va_ok_{i}" for i in ids[:3]]
    at.text_input(key=f"va_comment_{ids[0]}").input("Merci de préciser le lieu").run()
    more = at.button(key="va_plus")
    assert more.label == "Afficher 2 déclarations suivantes (2 restantes)"
    more.click().run()
    assert not at.exception
    assert [b.key for b in at.button if b.key and b.key.startswith("va_ok_")] == [f"va_ok_{i}" for i in ids]
    assert at.text_input(key=f"va_comment_{ids[0]}").value == "Merci de préciser le lieu"
    assert not [b for b in at.button if b.key == "va_plus"]
