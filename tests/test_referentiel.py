"""The project's own table of régions and départements matches INSEE's COG."""

from __future__ import annotations

import json
from typing import Any

import pytest

from q2030.referentiel import DEPARTEMENTS, DROM, LIAISONS, REGIONS, nom_avec_de
from tests.conftest import SHARED_DATA

COG = SHARED_DATA / "cog"


@pytest.fixture
def cog() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not (COG / "departements.json").exists():
        pytest.skip(f"référentiel COG absent : {COG}")
    departements = json.loads((COG / "departements.json").read_text(encoding="utf-8"))
    regions = json.loads((COG / "regions.json").read_text(encoding="utf-8"))
    return departements, regions


def test_counts() -> None:
    assert len(DEPARTEMENTS) == 101
    assert len(REGIONS) == 18
    assert len([d for d in DEPARTEMENTS if d not in DROM]) == 96
    assert {"2A", "2B", "971", "976"} <= set(DEPARTEMENTS)


def test_matches_cog(cog: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    departements, regions = cog
    expected_deps = {d["code"]: (d["nom"], d["region"]) for d in departements if d["zone"] != "com"}
    expected_regions = {r["code"]: r["nom"] for r in regions if r["zone"] != "com"}
    assert expected_deps == DEPARTEMENTS
    assert expected_regions == REGIONS
    assert {d["code"]: d["typeLiaison"] for d in departements if d["zone"] != "com"} == LIAISONS


def test_prefecture_names_take_their_article() -> None:
    assert nom_avec_de("93") == "de la Seine-Saint-Denis"
    assert nom_avec_de("69") == "du Rhône"
    assert nom_avec_de("01") == "de l'Ain"
    assert nom_avec_de("13") == "des Bouches-du-Rhône"
    assert nom_avec_de("75") == "de Paris"
