"""The reading-scope rule lives in q2030.access: one list of départements per actor, one SQL
condition, one French label, one error for an unknown département, whatever module asks."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, col, select

from q2030 import access, coverage, syntheses
from q2030.access import Actor, Scope
from q2030.errors import DepartementInconnu, IntrouvableError, PermissionRefusee, Q2030Error, ValidationError
from q2030.excel.exports import export_departement
from q2030.excel.template import build_template
from q2030.models import Departement
from q2030.referentiel import DEPARTEMENTS
from q2030.rencontres.acces import require_read

REFERENT_93 = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
PREFET_11 = Actor(email="p11@x.fr", role="prefet_region", region_code="11")
COMMISSION = Actor(email="c@x.fr", role="commission")
PUBLIC = Actor(email="anonyme@public", role="public")
IDF = ["75", "77", "78", "91", "92", "93", "94", "95"]


def test_each_role_reads_its_departements() -> None:
    assert access.departements_lus(REFERENT_93) == ["93"]
    assert access.departements_lus(PREFET_11) == IDF
    assert access.departements_lus(COMMISSION) == list(DEPARTEMENTS)
    assert len(access.departements_lus(COMMISSION)) == 101
    assert access.departements_lus(PUBLIC) == []


def test_reading_one_departement_follows_the_same_list() -> None:
    for actor in (REFERENT_93, PREFET_11, COMMISSION, PUBLIC):
        readable = set(access.departements_lus(actor))
        assert {code for code in DEPARTEMENTS if access.lit_departement(actor, code)} == readable


def test_scope_labels_in_french() -> None:
    assert access.scope_label(REFERENT_93) == "Seine-Saint-Denis (93)"
    assert access.scope_label(PREFET_11) == "Région Île-de-France"
    assert access.scope_label(COMMISSION) == "France entière"


def test_sql_condition_keeps_exactly_the_departements_read(session: Session) -> None:
    """With or without a join on the région column, the rows kept are the départements read."""
    for actor in (REFERENT_93, PREFET_11, COMMISSION, PUBLIC):
        by_departement = access.scope_clause(actor, col(Departement.code))
        by_region = access.scope_clause(actor, col(Departement.code), col(Departement.region_code))
        for clause in (by_departement, by_region):
            kept = session.exec(select(col(Departement.code)).where(clause)).all()
            assert sorted(kept) == sorted(access.departements_lus(actor)), actor.role


def test_resolve_scope_narrows_or_refuses() -> None:
    assert access.resolve_scope(PREFET_11, departement_code="93") == Scope(departement_code="93")
    assert access.resolve_scope(PREFET_11) == Scope(region_code="11")
    assert access.resolve_scope(COMMISSION, region_code="84") == Scope(region_code="84")
    with pytest.raises(PermissionRefusee):
        access.resolve_scope(REFERENT_93, departement_code="94")
    with pytest.raises(PermissionRefusee):
        access.resolve_scope(PUBLIC)


def test_one_error_for_an_unknown_departement_everywhere(session: Session) -> None:
    """Coverage raised LookupError (past the pages' error display), syntheses ValidationError,
    exports IntrouvableError: now every module raises DepartementInconnu, a Q2030Error."""
    calls = {
        "coverage": lambda: coverage.qpv_status(session, actor=COMMISSION, departement_code="999"),
        "syntheses": lambda: syntheses.synthese_departementale(session, actor=COMMISSION, departement_code="999"),
        "rencontres": lambda: require_read(session, COMMISSION, "999"),
        "export": lambda: export_departement(session, actor=COMMISSION, departement_code="999", out=io.BytesIO()),
        "modele": lambda: build_template(session, actor=COMMISSION, departement_code="999"),
        "access": lambda: access.lit_departement(COMMISSION, "999"),
    }
    for module, call in calls.items():
        with pytest.raises(DepartementInconnu) as caught:
            call()
        assert isinstance(caught.value, Q2030Error), module
        assert str(caught.value) == "Département inconnu : « 999 ».", module
        assert caught.value.errors == {"departement_code": ["Département inconnu : « 999 »."]}, module


def test_the_error_is_both_a_validation_and_a_lookup_error() -> None:
    error = DepartementInconnu("2C")
    assert isinstance(error, ValidationError)
    assert isinstance(error, IntrouvableError)
    assert error.departement_code == "2C"
