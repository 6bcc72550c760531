"""House rules of the code (issue 23, « types everywhere »).

A `# type: ignore` silences mypy for a whole line: the repository (the product, its pages,
tools, benchmarks and tests alike) keeps at most `MAX_TYPE_IGNORES` of them, each with its
error code and, on the same line, the reason (`# type: ignore[no-untyped-call]  # altair.Data
takes **kwds`). Comments are read with `tokenize`, so a string or a docstring mentioning the
pragma does not count.

`Any` switches mypy off for a value: the product (`q2030/`) writes it only in
`q2030/frontieres.py`, at most `MAX_ANY_ALIASES` named aliases there, each under a comment
saying why the type is open at that boundary; every other module is precise. `ANY_LEFT` is
the ratchet of the modules that still write a bare `Any`: a module may not exceed its count, a
module not listed may not write one, and a count that went down is lowered here. Uses are read
with `ast` (names, `typing.Any`, quoted annotations), so a comment or a docstring does not count.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every Python file of the repository, except what tools and Python write (caches, a virtualenv).
SKIPPED_DIRS = frozenset({".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".import_linter_cache",
                          "__pycache__", ".venv", "venv", "node_modules"})  # fmt: skip
MAX_TYPE_IGNORES = 40
PRAGMA = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]+\])?(?P<rest>.*)$")
# What every comment PRAGMA matches contains: a source without it has none (read faster).
PRAGMA_ANYWHERE = re.compile(r"#\s*type:\s*ignore")
REASON = re.compile(r"^\s*#\s*\S")
PRODUCT = ROOT / "q2030"
FRONTIERES = "q2030/frontieres.py"
MAX_ANY_ALIASES = 7
# Frozen history (excluded from ruff and mypy as well): never edited once applied.
ANY_EXEMPT = ("q2030/migrations/versions/",)
# Bare `Any` still written outside q2030/frontieres.py, per module: may only go down (05/12: 334 uses
# in 71 modules before the rule, ast count of `Any` in q2030/ without its migrations: 330).
ANY_LEFT: dict[str, int] = {}


def _sources(root: Path = ROOT) -> list[Path]:
    return sorted(
        path for path in root.rglob("*.py") if not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    )


def type_ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of every `type: ignore` comment of a Python source."""
    found: list[tuple[int, str]] = []
    if not PRAGMA_ANYWHERE.search(source):  # most files: nothing to tokenize (a pragma holds this text)
        return found
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and PRAGMA.search(token.string):
            found.append((token.start[0], token.string))
    return found


def without_reason(comment: str) -> bool:
    """True unless the pragma names its error codes and is followed by `# reason`."""
    match = PRAGMA.search(comment)
    return match is None or not match.group("codes") or not REASON.match(match.group("rest"))


def _all_type_ignores(root: Path = ROOT) -> list[tuple[str, int, str]]:
    return [
        (str(path.relative_to(root)), line, comment)
        for path in _sources(root)
        for line, comment in type_ignores(path.read_text(encoding="utf-8"))
    ]


def test_the_whole_repository_is_read() -> None:
    read = {path.relative_to(ROOT).parts[0] for path in _sources()}
    assert {"q2030", "pages", "tools", "benchmarks", "tests", "streamlit_app.py"} <= read
    assert Path(__file__).resolve() in _sources()


def test_the_count_reaches_tests_and_benchmarks(tmp_path: Path) -> None:
    for folder in ("tests", "benchmarks", ".mypy_cache"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text("x = f()  # type: ignore[arg-type]\n", encoding="utf-8")
    assert [(p, n) for p, n, _ in _all_type_ignores(tmp_path)] == [("benchmarks/m.py", 1), ("tests/m.py", 1)]


def test_the_rule_reads_comments_and_reasons() -> None:
    source = (
        'TEXT = "# type: ignore in a string"\n'
        "a = f()  # type: ignore[no-untyped-call]  # the library is untyped\n"
        "b = f()  # type: ignore[arg-type]\n"
        "c = f()  # type: ignore  # no error code\n"
        "d = f()  # type: ignore[arg-type]  #\n"
        "e = f()  # type: ignore[]  # empty codes\n"
        "g = f()  # type:ignore[index]# tight\n"
    )
    found = type_ignores(source)
    assert [line for line, _ in found] == [2, 3, 4, 5, 6, 7]
    assert [without_reason(comment) for _, comment in found] == [False, True, True, True, True, False]


def test_type_ignores_are_few() -> None:
    found = _all_type_ignores()
    assert len(found) <= MAX_TYPE_IGNORES, "\n".join(f"{p}:{n}: {c}" for p, n, c in found)


def test_every_type_ignore_says_why_on_its_line() -> None:
    missing = [f"{p}:{n}: {c}" for p, n, c in _all_type_ignores() if without_reason(c)]
    assert not missing, "type: ignore[code] sans « # raison » sur la ligne :\n" + "\n".join(missing)


# --- `Any` only at true boundaries ------------------------------------------------------------


def _annotation_strings(tree: ast.AST) -> list[str]:
    """Quoted annotations (and TypeVar bounds): `Any` written inside a string is a use too."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
            if node.value is not None and "TypeAlias" in ast.unparse(node.annotation):
                found.append(node.value)  # `X: TypeAlias = "..."`
        elif isinstance(node, ast.keyword) and node.arg == "bound":
            found.append(node.value)
    return [
        sub.value
        for expr in found
        for sub in ast.walk(expr)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
    ]


def any_uses(source: str) -> list[int]:
    """The line of every use of `Any` in a Python source (imports are not uses)."""
    lines: list[int] = []
    if "Any" not in source:  # every use writes the name (most modules: nothing to parse)
        return lines
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "Any":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "Any" and isinstance(node.value, ast.Name):
            lines.append(node.lineno)  # typing.Any, t.Any
    for text in _annotation_strings(tree):
        try:
            quoted = ast.parse(text, mode="eval")
        except SyntaxError:
            continue
        lines += [0 for sub in ast.walk(quoted) if isinstance(sub, ast.Name) and sub.id == "Any"]
    return sorted(lines)


def any_aliases(source: str) -> dict[str, int]:
    """Module-level `Name: TypeAlias = Any` (or `Name = Any`) of a source: alias -> line."""
    out: dict[str, int] = {}
    for node in ast.parse(source).body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and isinstance(value, ast.Name) and value.id == "Any":
            out[target.id] = node.lineno
    return out


def _any_by_module(root: Path = ROOT) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for path in _sources(root / "q2030"):
        name = str(path.relative_to(root))
        if name.startswith(ANY_EXEMPT):
            continue
        uses = any_uses(path.read_text(encoding="utf-8"))
        if uses:
            out[name] = uses
    return out


def test_the_any_count_reads_code_not_prose() -> None:
    source = (
        '"""Any docstring mentioning Any."""\n'
        "from typing import Any, TypeVar\n"
        "import typing\n"
        "# Any in a comment\n"
        "def f(x: Any, y: 'dict[str, Any]') -> typing.Any: ...\n"
        "T = TypeVar('T', bound='list[Any]')\n"
        "TEXT = 'Any in a string'\n"
        "Alias = Any\n"
    )
    assert len(any_uses(source)) == 5
    assert any_aliases(source) == {"Alias": 8}
    assert any_aliases("from typing import Any, TypeAlias\nX: TypeAlias = Any\nY: TypeAlias = int\n") == {"X": 2}


def test_the_any_count_reaches_every_module_of_the_product(tmp_path: Path) -> None:
    for name, text in (
        ("q2030/a.py", "from typing import Any\nx: Any = 1\n"),
        ("q2030/ui/b.py", "import typing\ndef f() -> typing.Any: ...\n"),
        ("q2030/migrations/versions/0001_x.py", "from typing import Any\nx: Any = 1\n"),
        ("tests/c.py", "from typing import Any\nx: Any = 1\n"),
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert _any_by_module(tmp_path) == {"q2030/a.py": [2], "q2030/ui/b.py": [2]}


def test_any_is_named_only_at_the_boundaries_of_frontieres() -> None:
    source = (ROOT / FRONTIERES).read_text(encoding="utf-8")
    aliases = any_aliases(source)
    assert 0 < len(aliases) <= MAX_ANY_ALIASES, f"{len(aliases)} alias de Any : {MAX_ANY_ALIASES} au plus"
    assert len(any_uses(source)) == len(aliases), "q2030/frontieres.py n'écrit Any que dans ses alias nommés"
    lines = source.splitlines()
    silent = [name for name, line in aliases.items() if not lines[line - 2].lstrip().startswith("#")]
    assert not silent, f"alias sans commentaire « pourquoi » juste au-dessus : {silent}"


def test_bare_any_only_goes_down() -> None:
    by_module = _any_by_module()
    found = {name: len(uses) for name, uses in by_module.items() if name != FRONTIERES}
    over = {
        name: f"{count} > {ANY_LEFT.get(name, 0)} (lignes {by_module[name]})"
        for name, count in found.items()
        if count > ANY_LEFT.get(name, 0)
    }
    assert not over, (
        "Any nu hors de q2030/frontieres.py : un type précis, ou un alias de frontières.py à une vraie "
        f"frontière : {over}"
    )
    lower = {name: found.get(name, 0) for name, allowed in ANY_LEFT.items() if found.get(name, 0) < allowed}
    assert not lower, f"moins de Any qu'autorisé : abaissez ANY_LEFT à {lower}"


def _multiselects_without_guard(root: Path = PRODUCT) -> list[str]:
    """`multiselect(...)` calls that keep Streamlit's « Select N matches » row: since 1.63, typing
    « QN093 » then Enter selects every matching quartier instead of the first one."""
    found: list[str] = []
    for path in _sources(root):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "multiselect":
                guard = next((k.value for k in node.keywords if k.arg == "select_all"), None)
                if not (isinstance(guard, ast.Constant) and guard.value is False):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_multiselect_adds_one_match_on_enter() -> None:
    missing = _multiselects_without_guard()
    assert not missing, "passez select_all=False à : " + ", ".join(missing)


def test_the_multiselect_rule_sees_a_missing_guard(tmp_path: Path) -> None:
    (tmp_path / "page.py").write_text(
        'st.multiselect("Quartiers", codes)\nst.multiselect("Thèmes", themes, select_all=False)\n', encoding="utf-8"
    )
    assert _multiselects_without_guard(tmp_path) == ["page.py:1"]
