"""A write changes the next download: the cached workbooks of the Excel page are keyed by
the data version under a name st.cache_data hashes (a parameter named `_v` is ignored, so
the synthèse and the template were served stale after a write)."""

from __future__ import annotations

import ast
import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from q2030.access import Actor
from q2030.db import session_scope
from q2030.models import stored_id
from q2030.rencontres.ecriture import update_rencontre
from q2030.ui import excel as ui_excel
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
REFERENT = Actor(email="referent.93@x.gouv.fr", role="referent", departement_code="93", region_code="11")


def _texts(content: bytes) -> set[str]:
    book = load_workbook(io.BytesIO(content))
    return {c for ws in book for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}


def test_a_write_changes_the_next_synthese_and_template_download(app_env: str, engine: Engine) -> None:
    with session_scope(engine) as session:
        f.qpv(session, "QN09301X", "93")
        row = f.rencontre(session, departement="93", date=dt.date(2023, 6, 15), qpv=["QN09301X"])
        rencontre_id, version, old_lieu = stored_id(row), row.version, row.lieu
    first_synthese = ui_excel.synthese_bytes(REFERENT, "93")
    first_template = ui_excel.template_bytes(REFERENT, "93")
    assert old_lieu in _texts(first_synthese)
    assert old_lieu in _texts(first_template)
    with session_scope(engine) as session:
        update_rencontre(
            session, actor=REFERENT, rencontre_id=rencontre_id, version=version, data={"lieu": "Gymnase Jean Jaurès"}
        )
    for download in (ui_excel.synthese_bytes, ui_excel.template_bytes, lambda a, d: ui_excel.synthese_data(a, d)()):
        texts = _texts(download(REFERENT, "93"))
        assert "Gymnase Jean Jaurès" in texts
        assert old_lieu not in texts


def test_no_cached_function_of_the_ui_takes_an_underscore_key() -> None:
    """st.cache_data / st.cache_resource do not hash parameters whose name starts with `_`."""
    found = []
    for path in sorted((ROOT / "q2030" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = " ".join(ast.unparse(d) for d in node.decorator_list)
            if "cache_data" not in decorators and "cache_resource" not in decorators:
                continue
            args = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
            found += [f"{path.name}:{node.name}({a})" for a in args if a.startswith("_")]
    assert not found, found


def test_every_download_button_leaves_the_page_alone() -> None:
    """A download does not rerun the page: with a build-on-click file, the rerun raced the build
    and the button stayed disabled on its spinner (seen in CI on the commission's ZIP)."""
    found = []
    for path in sorted((ROOT / "q2030" / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr != "download_button":
                    continue
                on_click = next((k.value for k in node.keywords if k.arg == "on_click"), None)
                if not (isinstance(on_click, ast.Constant) and on_click.value == "ignore"):
                    found.append(f"{path.name}:{node.lineno}")
    assert not found, found
