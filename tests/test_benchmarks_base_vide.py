"""The benchmarks refuse to time an empty database, in French, instead of printing figures of nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import __main__ as bench
from benchmarks import import_excel


@pytest.fixture
def empty_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _sqlite_template: Path) -> str:
    """A copy of the run's migrated, empty SQLite database (on the PostgreSQL run too: the
    benchmark is asked for SQLite)."""
    shutil.copyfile(_sqlite_template, tmp_path / "vide.db")
    url = f"sqlite:///{tmp_path / 'vide.db'}"
    monkeypatch.setenv("Q2030_DATABASE_URL", url)
    return url


def test_the_benchmark_refuses_an_empty_database(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--existing", empty_url, "--databases", "sqlite", "--scales", "national", "--no-pages"])
    assert stopped.value.code == 2
    assert "aucune contribution de rencontre tenue : rien à mesurer" in capsys.readouterr().err


def test_the_import_benchmark_refuses_an_empty_database(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        import_excel.main(["--rencontres", "10"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert "rien à mesurer" in captured.err
    assert "créées" not in captured.out
