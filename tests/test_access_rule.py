"""Only q2030.access decides permissions (issue 23, « one access API »).

Walks the code of the product (q2030, pages, streamlit_app.py) with `ast`: outside
`q2030/access.py`, no comparison reads an actor's `.role` (`actor.role == Role.ADMIN`,
`user.role in (...)`), and the old shortcut properties `is_admin` / `is_national` are gone.
A permission is `access.allowed(actor, action, resource)`; a read is filtered by
`access.lecture(actor)`. Role-specific *content* (a digest's lines, a label) may compare a
role when its line says so with the marker below.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# contenu selon le rôle"
ACCESS = ROOT / "q2030" / "access.py"


def _sources() -> list[Path]:
    files = sorted((ROOT / "q2030").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py"))
    return [p for p in [*files, ROOT / "streamlit_app.py"] if p != ACCESS and "migrations" not in p.parts]


def _reads_role(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "role"


def role_decisions(path: Path) -> list[str]:
    """`file:line: code` for every comparison of a role and every shortcut property."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        compares_role = isinstance(node, ast.Compare) and any(
            _reads_role(side) for side in [node.left, *node.comparators]
        )
        shortcut = isinstance(node, ast.Attribute) and node.attr in {"is_admin", "is_national"}
        # Both kinds are expressions (ast.expr), which carry their line.
        if isinstance(node, ast.expr) and (compares_role or shortcut) and MARKER not in lines[node.lineno - 1]:
            line = node.lineno
            where = path.relative_to(ROOT) if ROOT in path.parents else path
            found.append(f"{where}:{line}: {lines[line - 1].strip()}")
    return found


def test_only_access_compares_roles() -> None:
    found = [hit for path in _sources() for hit in role_decisions(path)]
    assert not found, "permissions decided outside q2030.access:\n" + "\n".join(found)


def test_content_markers_stay_few() -> None:
    """The escape hatch is for content; it must not become the way around the rule."""
    marked = [p for p in _sources() for line in p.read_text(encoding="utf-8").splitlines() if MARKER in line]
    assert len(marked) <= 6, marked


def test_the_check_finds_a_role_comparison(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f(actor):\n    return actor.role == 'admin' or actor.is_national\n", encoding="utf-8")
    assert len(role_decisions(sample)) == 2
