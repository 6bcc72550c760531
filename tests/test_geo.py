"""Maps: the shipped outlines and commune positions, where each quartier is drawn, and the
meetings held at the scale of a commune that the département map joins to their quartiers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from q2030 import coverage, geo
from q2030.access import Actor
from q2030.models import QpvCommune
from q2030.nomenclature import Role
from q2030.referentiel import DEPARTEMENTS
from q2030.ui import maps
from tests import factories

LECTEUR = Actor(email="lecture@test", role=Role.COMMISSION)
BOBIGNY = "93008"


def test_shipped_files_are_small_and_cover_every_departement() -> None:
    for name in ("departements.json", "communes.json"):
        assert (geo.GEODATA / name).stat().st_size < 300_000
    codes = {f["properties"]["code"] for f in geo.departement_features()}
    assert codes == set(DEPARTEMENTS)
    assert geo.commune_position(BOBIGNY) is not None
    # Overseas insets sit west of the metropolitan map, each in a box of its own.
    reunion, finistere = geo.departement_bounds("974"), geo.departement_bounds("29")
    assert reunion is not None
    assert finistere is not None
    assert reunion[2] < finistere[0]


def test_quartiers_of_one_commune_are_spread_and_unknown_communes_sit_in_their_departement(
    session: Session,
) -> None:
    for code in ("QN09301M", "QN09302M", "QN09303M"):
        factories.qpv(session, code, "93")
    session.add(QpvCommune(qpv_code="QN09301M", insee=BOBIGNY, nom="Bobigny"))
    session.add(QpvCommune(qpv_code="QN09302M", insee=BOBIGNY, nom="Bobigny"))
    session.add(QpvCommune(qpv_code="QN09303M", insee="99999", nom="Inconnue"))
    session.flush()
    positions = geo.quartier_positions(session, departement_code="93").set_index("qpv_code")
    first, second, unknown = (tuple(positions.loc[c, ["x", "y"]]) for c in ("QN09301M", "QN09302M", "QN09303M"))
    assert first == geo.commune_position(BOBIGNY)
    assert second != first
    assert abs(second[0] - first[0]) < 0.05
    assert abs(second[1] - first[1]) < 0.05
    x_min, y_min, x_max, y_max = geo.departement_bounds("93") or (0, 0, 0, 0)
    assert x_min <= unknown[0] <= x_max
    assert y_min <= unknown[1] <= y_max


def test_commune_meeting_is_joined_to_the_quartiers_it_covered_and_cancelled_ones_are_not(
    session: Session,
) -> None:
    for code in ("QN09301M", "QN09302M", "QN09303M"):
        factories.qpv(session, code, "93")
    held = factories.rencontre(
        session, departement="93", date=dt.date(2023, 6, 14), qpv=["QN09301M", "QN09302M"], perimetre="commune"
    )
    held.commune_nom = "Bobigny"
    factories.rencontre(
        session, departement="93", date=dt.date(2023, 6, 20), qpv=["QN09303M"], perimetre="commune", statut="annulee"
    )
    factories.rencontre(session, departement="93", date=dt.date(2023, 6, 21), qpv=["QN09303M"])
    session.flush()
    meetings = geo.rencontres_de_territoire(session, departement_code="93", au=dt.date(2023, 7, 1))
    assert sorted(meetings["qpv_code"]) == ["QN09301M", "QN09302M"]
    status = coverage.qpv_status(session, actor=LECTEUR, au=dt.date(2023, 7, 1), departement_code="93")
    points = geo.map_points(status, geo.quartier_positions(session, departement_code="93"))
    assert set(points["detail"]) == {"Première rencontre tenue le 14/06/2023", "Première rencontre tenue le 21/06/2023"}
    drawn = geo.map_meetings(meetings, points)
    assert len(drawn) == 2
    assert drawn["rencontre"].nunique() == 1
    assert drawn["libelle"].iloc[0] == "Tenue le 14/06/2023, commune : Bobigny"
    # The diamond sits between the two quartiers it covered.
    assert drawn["x"].iloc[0] == round(drawn["x2"].mean(), 4)

    spec = maps.quartiers_map("93", points, drawn, "Quartiers").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["geoshape", "rule", "point", "point"]


def test_national_map_colours_each_departement_by_its_coverage() -> None:
    by_dep = pd.DataFrame({"code": ["93", "75"], "qpv": [10, 0], "couverts": [5, 0], "taux_couverts": [0.5, 0.0]})
    spec = maps.departements_map(by_dep, "Taux de couverture").to_dict()
    shapes = spec["layer"][0]
    # The outlines are fetched by URL (a file of static/, the geodata's own bytes); only the figures are sent.
    url = shapes["data"]["url"]
    assert url.startswith("app/static/geo/departements.json?v=")
    served = maps.OUTLINES_FOLDER / "departements.json"
    assert served.read_bytes() == (geo.GEODATA / "departements.json").read_bytes()
    assert url.endswith(hashlib.sha256(served.read_bytes()).hexdigest()[:12])
    lookup = next(t for t in shapes["transform"] if "lookup" in t)
    figures = {row["code"]: row for row in lookup["from"]["data"]["values"]}
    assert len(figures) == len(DEPARTEMENTS)
    assert figures["93"]["taux"] == 0.5
    assert figures["75"]["taux"] is None  # no QPV: grey, not red
    assert figures["01"] == {"code": "01", "qpv": 0, "couverts": 0, "taux": None}
    assert len(json.dumps(spec)) < 20_000  # the outlines themselves are 170 Ko
    region = maps.departements_map(by_dep, "Île-de-France", ["75", "93", "94"]).to_dict()
    filtre = next(t for t in region["layer"][0]["transform"] if "filter" in t)
    assert filtre["filter"] == {"field": "code", "oneOf": ["75", "93", "94"]}
    lookup = next(t for t in region["layer"][0]["transform"] if "lookup" in t)
    assert [row["code"] for row in lookup["from"]["data"]["values"]] == ["75", "93", "94"]


def test_outlines_are_rewritten_only_when_they_differ(tmp_path: Path) -> None:
    digest = geo.publish_outlines(tmp_path)
    target = tmp_path / "departements.json"
    assert target.read_bytes() == (geo.GEODATA / "departements.json").read_bytes()
    stamp = target.stat().st_mtime_ns
    assert geo.publish_outlines(tmp_path) == digest
    assert target.stat().st_mtime_ns == stamp  # unchanged: not rewritten
    target.write_text("{}", encoding="utf-8")  # stale outlines (an older derivation): replaced
    assert geo.publish_outlines(tmp_path) == digest
    assert target.read_bytes() == (geo.GEODATA / "departements.json").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["departements.json"]  # no temporary file left
