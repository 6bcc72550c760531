"""House rules of the code (issue 23, « types everywhere »).

A `# type: ignore` silences mypy for a whole line: the repository (the product, its pages,
tools, benchmarks and tests alike) keeps at most `MAX_TYPE_IGNORES` of them, each with its
error code and, on the same line, the reason (`# type: ignore[no-untyped-call]  # altair.Data
takes **kwds`). Comments are read with `tokenize`, so a string or a docstring mentioning the
pragma does not count.
"""

from __future__ import annotations

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
REASON = re.compile(r"^\s*#\s*\S")


def _sources(root: Path = ROOT) -> list[Path]:
    return sorted(
        path for path in root.rglob("*.py") if not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    )


def type_ignores(source: str) -> list[tuple[int, str]]:
    """(line, comment) of every `type: ignore` comment of a Python source."""
    found: list[tuple[int, str]] = []
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
