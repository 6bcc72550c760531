"""One after-write step per transaction (q2030.apres_ecriture): whatever service wrote, the
priorities read model, the data version and the public agenda feed are up to date when the
transaction commits, and untouched when it rolls back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from q2030 import apres_ecriture, cube, feeds
from q2030.campaign_admin import update_campaign
from q2030.campaigns import active_campaign
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, delete_rencontre, update_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from tests.rencontres_data import ADMIN, REFERENT_93, held, load_geography
from tests.test_cube import contents

ROWS: list[LigneContribution] = [{"axe": "changements", "theme": "securite", "texte": "Éclairer le parking", "rang": 1}]
Write = Callable[[Session, int], object]


def _contributions(session: Session, rid: int) -> object:
    return replace_contributions(session, actor=REFERENT_93, rencontre_id=rid, rows=ROWS)


def _lieu(session: Session, rid: int) -> object:
    return update_rencontre(session, actor=REFERENT_93, rencontre_id=rid, version=2, data={"lieu": "Gymnase Hoche"})


def _statut(session: Session, rid: int) -> object:
    data: SaisieRencontre = {"statut": "prevue", "date": dt.date.today() + dt.timedelta(days=9)}
    return update_rencontre(session, actor=REFERENT_93, rencontre_id=rid, version=2, data=data)


def _create(session: Session, _rid: int) -> object:
    return create_rencontre(session, actor=REFERENT_93, data=held(3, lieu="Gymnase Hoche"))


def _cancel(session: Session, _rid: int) -> object:
    planned = create_rencontre(session, actor=REFERENT_93, data=held(-5, statut="prevue", lieu="Gymnase Hoche"))
    return cancel_rencontre(session, actor=REFERENT_93, rencontre_id=planned.id or 0, version=1, motif="Pluie")


def _delete(session: Session, rid: int) -> None:
    delete_rencontre(session, actor=ADMIN, rencontre_id=rid)


def _campaign(session: Session, _rid: int) -> object:
    campaign = active_campaign(session)
    fields = campaign.model_dump(exclude={"id", "version", "geographie", "active"})
    return update_campaign(
        session,
        actor=ADMIN,
        campaign_id=campaign.id or 0,
        version=campaign.version,
        **{**fields, "nom": "Gymnase Hoche"},
    )


@pytest.fixture
def meeting(engine: Engine, tmp_path: Path) -> tuple[int, Path]:
    """A held rencontre with contributions, committed; the agenda feeds installed in tmp_path."""
    with session_scope(engine) as session:
        load_geography(session)
        rid = create_rencontre(session, actor=REFERENT_93, data=held(10)).id or 0
    with session_scope(engine) as session:
        _contributions(session, rid)
    return rid, feeds.install(engine, tmp_path / "agenda") / "93.ics"


@pytest.mark.parametrize(
    "write", [_create, _contributions, _lieu, _statut, _cancel, _delete, _campaign], ids=lambda w: w.__name__
)
def test_each_write_refreshes_the_read_model_the_data_version_and_the_feed(
    engine: Engine, meeting: tuple[int, Path], write: Write
) -> None:
    rid, feed = meeting
    with Session(engine) as session:
        version = apres_ecriture.data_version(session)
    before = feed.read_bytes()
    with session_scope(engine) as session:
        write(session, rid)
    with Session(engine) as session:
        assert apres_ecriture.data_version(session) == version + 1  # once per transaction
        maintained = contents(session)
        cube.reconstruire(session)  # the read model recomputed from the raw rows
        assert maintained == contents(session)
        session.rollback()
    if write not in (_contributions, _campaign):  # what the public agenda shows changed
        assert feed.read_bytes() != before
        assert ("Gymnase Hoche" in feed.read_text(encoding="utf-8")) is (write not in (_delete, _statut))


def test_a_rolled_back_write_changes_nothing_derived(engine: Engine, meeting: tuple[int, Path]) -> None:
    rid, feed = meeting
    before = feed.read_bytes()
    with Session(engine) as session:
        version, cubes = apres_ecriture.data_version(session), contents(session)

    def failing_request() -> None:
        with session_scope(engine) as session:
            _lieu(session, rid)
            _contributions(session, rid)
            raise RuntimeError("the request failed after the writes")

    with pytest.raises(RuntimeError):
        failing_request()
    with Session(engine) as session:
        assert (apres_ecriture.data_version(session), contents(session)) == (version, cubes)
    assert feed.read_bytes() == before
    with session_scope(engine) as session:  # nothing left noted: an empty transaction bumps nothing
        pass
    with Session(engine) as session:
        assert apres_ecriture.data_version(session) == version


def test_many_writes_in_one_transaction_bump_the_data_version_once(engine: Engine, meeting: tuple[int, Path]) -> None:
    rid, _feed = meeting
    with Session(engine) as session:
        version = apres_ecriture.data_version(session)
    with session_scope(engine) as session:
        _lieu(session, rid)
        _contributions(session, rid)
        _create(session, rid)
    with Session(engine) as session:
        assert apres_ecriture.data_version(session) == version + 1
