"""A contract type for import-linter: Streamlit scripts import only the UI package.

`pages/*.py` and `streamlit_app.py` are scripts Streamlit runs by path, not modules of a
package, so import-linter's graph cannot hold them. This contract reads their imports with
`ast` and keeps them thin: every import must name one of the `allowed` packages or one of
their submodules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import of the script at `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


class ScriptsImportOnlyContract(Contract):
    """Configuration: `scripts` (glob patterns from the working directory), `allowed` (packages)."""

    type_name = "scripts_import_only"

    scripts = fields.ListField(subfield=fields.StringField())
    allowed = fields.ListField(subfield=fields.StringField())

    @staticmethod
    def _strings(name: str, value: object) -> list[str]:
        """A list option's values (import-linter replaces each field by them on the instance)."""
        if not isinstance(value, list):
            raise TypeError(f"{name}: a list expected, got {value!r}")
        return [str(item) for item in value]

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        allowed = self._strings("allowed", self.allowed)
        patterns = self._strings("scripts", self.scripts)
        paths = sorted({path for pattern in patterns for path in Path.cwd().glob(pattern)})
        illegal = [
            f"{path.relative_to(Path.cwd())}:{line} imports {module}"
            for path in paths
            for line, module in imported_modules(path)
            if module != "__future__" and not any(module == a or module.startswith(a + ".") for a in allowed)
        ]
        return ContractCheck(kept=bool(paths) and not illegal, metadata={"illegal": illegal, "paths": paths})

    def render_broken_contract(self, check: ContractCheck) -> None:
        if not check.metadata["paths"]:
            output.print_error(f"No script matches {self._strings('scripts', self.scripts)}.", bold=False)
        for line in check.metadata["illegal"]:
            output.print_error(line, bold=False)
            output.new_line()
