"""No secret, database or uploaded file can be committed by mistake (issue 7, "Safety")."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from q2030.auth import PLACEHOLDER

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("pas de dépôt git ici (archive sans historique)")
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "path",
    [
        ".streamlit/secrets.toml",
        ".env",
        "data/q2030.db",
        "data/q2030.db-wal",
        "data/q2030.db-shm",
        "data/uploads/0f343b0931126a20f133d67c2b018a3b0f5c6d6e4b9e3a0c8e6a2f1c5e3d4b2a",
    ],
)
def test_secrets_databases_and_uploads_are_ignored(path: str) -> None:
    result = _git("check-ignore", "--no-index", "-q", path)
    assert result.returncode == 0, f"{path} n'est pas ignoré par git"


def test_no_such_file_is_tracked() -> None:
    tracked = _git("ls-files").stdout.splitlines()
    offending = [
        name for name in tracked if name.endswith(("secrets.toml", ".db", ".env")) or name.startswith("data/uploads/")
    ]
    assert offending == []


def test_the_secrets_example_holds_placeholders_only() -> None:
    auth = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))["auth"]
    for key in ("cookie_secret", "client_id", "client_secret"):
        assert PLACEHOLDER in auth[key], f"{key} : une vraie valeur dans l'exemple versionné"
