"""Issue 21 #6: every command of `python -m q2030` answers bad input with a French message
and exit code 2, writes nothing (no file, no row, no created database), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from q2030.cli import COMMANDS, main
from q2030.db import make_engine
from q2030.models import AuditEvent
from tests import questionnaire_data as data

UNREACHABLE = "postgresql+psycopg://personne@127.0.0.1:1/rien"


def _files(folder: Path) -> set[Path]:
    """Files written, apart from the database and the public .ics feeds (every command
    refreshes them from the database, which must stay unchanged: checked by _audit_rows)."""
    return {p for p in folder.rglob("*") if "q2030.db" not in p.name and "agenda" not in p.parts}


def _audit_rows(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.exec(select(func.count()).select_from(AuditEvent)).one()
        version = session.scalars(text("SELECT data_version FROM appstate")).one()
    engine.dispose()
    return int(rows), int(version)


@pytest.fixture
def work(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(tmp_path / "agenda"))
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("Q2030_INCIDENT_LOG", str(tmp_path.parent / "incidents.log"))
    folder = tmp_path / "travail"
    folder.mkdir()
    (folder / "existant.txt").write_text("déjà là", encoding="utf-8")
    export = folder / "export.csv"
    export.write_bytes(data.csv_bytes(["ID réponse", data.COLONNES[10]], [["1", "Des bancs"]], encoding="cp1252"))
    mapping = {"identifiant": "ID réponse", "libres": [{"colonne": data.COLONNES[10], "axe": "projets"}]}
    (folder / "latin1.json").write_bytes(json.dumps(mapping, ensure_ascii=False).encode("latin-1"))
    (folder / "casse.json").write_text('{"identifiant": "ID réponse",', encoding="utf-8")
    (folder / "liste.json").write_text("[1, 2]", encoding="utf-8")
    (folder / "incomplete.json").write_text('{"identifiant": "ID réponse"}', encoding="utf-8")
    return folder


MISSING = "absent/sortie"
# command -> [(arguments, environment override or None, words the French message must hold)]
CASES: dict[str, list[tuple[list[str], str | None, str]]] = {
    "upgrade": [([], "pas une adresse", "adresse invalide"), ([], UNREACHABLE, "injoignable")],
    "import-qpv": [(["{w}/absent.csv"], None, "Fichier introuvable")],
    "demo": [(["--qpv", "{w}/absent.csv"], None, "Fichier introuvable"), ([], "foo://bar", "non pris en charge")],
    "import-rencontres": [
        (["{w}/absent.xlsx", "--departement", "93"], None, "Fichier introuvable"),
        (["{w}/existant.txt", "--departement", "999"], None, "Département inconnu"),
    ],
    "export-modele": [(["--departement", "93", f"{{w}}/{MISSING}.xlsx"], None, "Dossier introuvable")],
    "export-synthese": [(["--departement", "93", f"{{w}}/{MISSING}.xlsx"], None, "Dossier introuvable")],
    "rediger-synthese": [
        (["--departement", "93", f"{{w}}/{MISSING}.docx"], None, "Dossier introuvable"),
        (["--tous", f"{{w}}/{MISSING}"], None, "Dossier introuvable"),
        (["--tous", "{w}/existant.txt"], None, "fichier existant"),
    ],
    "rediger-lettre": [
        (["--rencontre", "1", f"{{w}}/{MISSING}.docx"], None, "Dossier introuvable"),
        (["--rencontre", "99999999999999999999", "{w}/lettre.docx"], None, "introuvable"),
    ],
    "export-national": [([f"{{w}}/{MISSING}.xlsx"], None, "Dossier introuvable")],
    "copy-db": [
        (["sqlite:///{w}/absente.db", "{db}"], None, "fichier SQLite introuvable"),
        (["{db}", "pas une adresse"], None, "adresse invalide"),
    ],
    "rebuild-agregats": [([], UNREACHABLE, "injoignable")],
    "add-user": [
        (["pas-une-adresse", "--role", "admin"], None, "Adresse électronique invalide"),
        (["x@interieur.gouv.fr"], UNREACHABLE, "injoignable"),
        (["x@interieur.gouv.fr", "--role", "referent", "--departement", "93", "--inviter"], None, "--inviter"),
    ],
    "export-donnees-ouvertes": [
        (["{w}/existant.txt"], None, "fichier existant"),
        ([f"{{w}}/{MISSING}"], None, "Dossier introuvable"),
    ],
    "agendas": [([], "foo://bar", "non pris en charge")],
    "import-questionnaire": [
        (["{w}/absent.csv", "--source", "Plateforme"], None, "Fichier introuvable"),
        (
            ["{w}/export.csv", "--source", "Plateforme", "--correspondance", "{w}/absente.json"],
            None,
            "Fichier introuvable",
        ),
        (["{w}/export.csv", "--source", "Plateforme", "--correspondance", "{w}/latin1.json"], None, "UTF-8"),
        (["{w}/export.csv", "--source", "Plateforme", "--correspondance", "{w}/casse.json"], None, "JSON valide"),
        (["{w}/export.csv", "--source", "Plateforme", "--correspondance", "{w}/liste.json"], None, "objet JSON"),
        (["{w}/export.csv", "--source", "Plateforme", "--correspondance", "{w}/incomplete.json"], None, "question"),
    ],
    "relances": [([], UNREACHABLE, "injoignable")],
    "import-evenements": [
        (["{w}/absent.csv", "--source", "decidim", "--departement", "93"], None, "Fichier introuvable"),
        (["{w}/existant.txt", "--source", "decidim", "--departement", "999"], None, "Département inconnu"),
        (
            ["{w}/existant.txt", "--source", "decidim", "--departement", "93", "--correspondance", "{w}/latin1.json"],
            None,
            "UTF-8",
        ),
    ],
}


def test_every_command_has_a_bad_input_case() -> None:
    assert set(CASES) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(CASES))
def test_bad_input_french_message_exit_2_nothing_written(
    command: str,
    work: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for arguments, environment, expected in CASES[command]:
        argv = [a.format(w=work, db=database_url) for a in arguments]
        before_files, before_rows = _files(work.parent), _audit_rows(database_url)
        with monkeypatch.context() as patch:
            if environment is not None:
                patch.setenv("Q2030_DATABASE_URL", environment)
            code = main([command, *argv])
        out, err = capsys.readouterr()
        assert code == 2, (command, argv, out, err)
        assert err.startswith("Erreur : "), (command, argv, err)
        assert expected in err, (command, argv, err)
        assert "Traceback" not in err + out
        assert _files(work.parent) == before_files, (command, argv)  # no file, no folder, no database created
        assert _audit_rows(database_url) == before_rows, (command, argv)
    assert not (work / "absente.db").exists()
