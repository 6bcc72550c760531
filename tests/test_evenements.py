"""Meeting lists from participation platforms (issue 22 item 6): `import-evenements`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030 import coverage
from q2030.access import FRANCE, SYSTEM, Actor
from q2030.cli import main
from q2030.db import session_scope
from q2030.errors import PermissionRefusee, ValidationError
from q2030.evenements import importer_evenements
from q2030.models import Rencontre, RencontreQpv
from q2030.qpv_import import import_qpv

REFERENT = Actor(email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11")
QPV_CSV = (
    "code_qp;lib_qp;insee_com;lib_com\n"
    "QN09301M;Cité A;93001;Aubervilliers\n"
    "QN09302M;Cité B;93066;Saint-Denis\n"
    "QN09303M;Cité C;93066;Saint-Denis\n"
)
# Cap Collectif (the Grand Débat's engine): no city column, the commune is in fullAddress.
CAP_COLLECTIF = (
    "id,title,startAt,endAt,fullAddress,zipCode,lat,lng,url,body\n"
    "RXZlbnQ6MQ==,Réunion du quartier,2023-06-15 18:30:00,2023-06-15 20:30:00,"
    '"12 rue de la Gare, 93300 Aubervilliers",93300,48.91,2.38,https://exemple.fr/e/1,Venez nombreux\n'
    "RXZlbnQ6Mg==,Atelier jeunesse,2023-06-20 14:00:00,2023-06-20 17:00:00,"
    '"3 place du Marché, 93200 Saint-Denis",93200,48.93,2.35,https://exemple.fr/e/2,Atelier\n'
    "RXZlbnQ6Mw==,Marche exploratoire,2099-06-01 10:00:00,,"
    '"Parc départemental, 93000 Bobigny",93000,48.90,2.44,https://exemple.fr/e/3,\n'
)
# OpenAgenda: semicolons, French-style titles, ISO dates with a time zone.
OPENAGENDA = (
    "uid;title;firstDate;lastDate;location name;address;postalCode;city;organizer\n"
    "4101;Café des habitants;2023-06-22T18:00:00+0200;2023-06-22T20:00:00+0200;Maison de quartier;"
    "5 allée des Lilas;93300;AUBERVILLIERS;Centre social Les Tilleuls\n"
    "4102;Fête de quartier;2023-07-01T15:00:00+0200;2023-07-01T19:00:00+0200;Square;1 rue Haute;93200;St Denis;\n"
)


@pytest.fixture
def quartiers(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        import_qpv(session, actor=SYSTEM, content=QPV_CSV.encode(), filename="qpv.csv", geographie="2024")
    return engine


def _import(engine: Engine, content: str, source: str, **options: Any):
    with session_scope(engine) as session:
        return importer_evenements(
            session, actor=REFERENT, content=content.encode(), source=source, departement_code="93", **options
        )


def test_cap_collectif_events_become_meetings_awaiting_validation(quartiers: Engine) -> None:
    report = _import(quartiers, CAP_COLLECTIF, "cap-collectif")
    assert report.correspondance["debut"] == "startAt"
    assert report.correspondance["adresse"] == "fullAddress"
    assert (report.crees, report.mis_a_jour, report.inchanges, report.a_preciser) == (3, 0, 0, 1)
    with Session(quartiers) as session:
        rows = {r.source_id: r for r in session.exec(select(Rencontre))}
        assert {r.validation for r in rows.values()} == {"a_valider"}
        assert {r.source for r in rows.values()} == {"cap-collectif"}
        aubervilliers, saint_denis, bobigny = rows["RXZlbnQ6MQ=="], rows["RXZlbnQ6Mg=="], rows["RXZlbnQ6Mw=="]
        assert (aubervilliers.statut, aubervilliers.date, str(aubervilliers.heure_debut)) == (
            "tenue", dt.date(2023, 6, 15), "18:30:00"
        )  # fmt: skip
        assert aubervilliers.perimetre == "quartier"
        assert (saint_denis.perimetre, saint_denis.commune_insee) == ("commune", "93066")
        assert bobigny.statut == "prevue"
        links = session.exec(select(RencontreQpv.rencontre_id, RencontreQpv.qpv_code)).all()
        assert (aubervilliers.id, "QN09301M") in links
        assert not [link for link in links if link[0] == bobigny.id]  # à préciser
        # Nothing counts before the référent validates.
        counts = coverage.coverage_counts(session, actor=FRANCE, au=dt.date(2023, 7, 31), niveau="departement")
        assert int(counts.set_index("code").loc["93", "rencontres_tenues"]) == 0


def test_openagenda_events_twice_is_once_and_a_change_is_an_update(quartiers: Engine) -> None:
    first = _import(quartiers, OPENAGENDA, "openagenda-93")
    assert (first.crees, first.a_preciser) == (2, 0)
    assert first.correspondance["ville"] == "city"
    assert first.correspondance["lieu"] == "location name"
    again = _import(quartiers, OPENAGENDA, "openagenda-93")
    assert (again.crees, again.mis_a_jour, again.inchanges) == (0, 0, 2)
    changed = _import(quartiers, OPENAGENDA.replace("Square;1 rue Haute", "Gymnase;1 rue Haute"), "openagenda-93")
    assert (changed.crees, changed.mis_a_jour, changed.inchanges) == (0, 1, 1)
    other_source = _import(quartiers, OPENAGENDA, "decidim-93")  # same ids, another platform: kept apart
    assert other_source.crees == 2
    with Session(quartiers) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 4
        cafe = session.exec(
            select(Rencontre).where(Rencontre.source_id == "4101", Rencontre.source == "openagenda-93")
        ).one()
        assert cafe.lieu == "Maison de quartier"
        assert "Centre social Les Tilleuls" in cafe.notes


def test_a_bad_row_refuses_the_whole_file_naming_row_column_and_value(quartiers: Engine) -> None:
    bad = OPENAGENDA + "4103;Sans date;bientôt;;;;;;\n4101;Doublon;2023-06-22;;;;;;\n"
    with pytest.raises(ValidationError) as refused:
        _import(quartiers, bad, "openagenda-93")
    messages = " ".join(m for ms in refused.value.errors.values() for m in ms)
    assert "Ligne 4, colonne « firstDate » : date illisible « bientôt »" in messages
    assert "Ligne 5, colonne « uid » : identifiant en double « 4101 »" in messages
    with Session(quartiers) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 0
    with pytest.raises(PermissionRefusee), session_scope(quartiers) as session:
        importer_evenements(session, actor=SYSTEM, content=OPENAGENDA.encode(), source="x", departement_code="93")


def test_command_line_prints_the_guess_and_the_preview_writes_nothing(
    quartiers: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    events = tmp_path / "evenements.csv"
    events.write_text(CAP_COLLECTIF, encoding="utf-8")
    args = ["import-evenements", str(events), "--source", "cap-collectif", "--departement", "93"]
    assert main([*args, "--apercu"]) == 0
    out = capsys.readouterr().out
    assert "Aperçu" in out
    assert "début ← « startAt »" in out
    with Session(quartiers) as session:
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 0
    assert main(args) == 0
    assert "3 rencontres créées" in capsys.readouterr().out
    assert main(args) == 0
    assert "3 inchangées" in capsys.readouterr().out


def test_real_exports_decidim_csv_openagenda_windows_1252_and_cap_collectif_workbook(quartiers: Engine) -> None:
    from tests.evenements_data import cap_collectif_xlsx, decidim_csv, openagenda_cp1252

    with session_scope(quartiers) as session:
        decidim = importer_evenements(
            session, actor=REFERENT, content=decidim_csv(), source="decidim-93", departement_code="93"
        )
    assert {k: decidim.correspondance[k] for k in ("id", "titre", "debut", "lieu", "organisateur")} == {
        "id": "id", "titre": "title/fr", "debut": "start_time", "lieu": "location/fr", "organisateur": "organizations",
    }  # fmt: skip
    assert (decidim.crees, decidim.a_preciser) == (3, 1)
    assert [(e.identifiant, e.statut, e.localisation) for e in decidim.evenements] == [
        ("101", "tenue", "Cité A"),
        ("102", "tenue", "commune de Saint-Denis"),
        ("103", "prevue", "à préciser"),
    ]
    with session_scope(quartiers) as session:
        agenda = importer_evenements(
            session, actor=REFERENT, content=openagenda_cp1252(), source="openagenda-93", departement_code="93",
            filename="export-openagenda.csv",
        )  # fmt: skip
    assert agenda.correspondance["debut"] == "Première date - Début"
    assert [(e.titre, e.date, e.localisation) for e in agenda.evenements] == [
        ("Cœur de quartier : l’atelier", dt.date(2023, 6, 22), "Cité A"),
        ("Fête des voisins", dt.date(2099, 7, 1), "à préciser"),
    ]
    with session_scope(quartiers) as session:
        cap = importer_evenements(
            session, actor=REFERENT, content=cap_collectif_xlsx(), source="cap-collectif", departement_code="93",
            filename="evenements.xlsx",
        )  # fmt: skip
    assert [(e.titre, e.date, e.localisation) for e in cap.evenements] == [
        ("Débat « Quartiers 2030 »", dt.date(2023, 6, 28), "commune de Saint-Denis")
    ]
    with Session(quartiers) as session:
        cafe = session.exec(select(Rencontre).where(Rencontre.source_id == "58213")).one()
        assert cafe.lieu == "Maison de quartier"
        assert "Cœur de quartier : l’atelier" in cafe.notes
        assert str(cafe.heure_debut)[:5] == "18:00"
        debat = session.exec(select(Rencontre).where(Rencontre.source == "cap-collectif")).one()
        assert str(debat.heure_debut)[:5] == "18:00"
        assert "organisatrice93" not in (debat.notes or "")  # the author column is not read
        assert session.exec(select(func.count()).select_from(Rencontre)).one() == 6
