"""What a test database holds before the test (`database_preparation`, see tests/conftest.py):
filled once per run and per distinct preparation, copied for every test that asks for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from q2030.access import SYSTEM


class Preparation:
    """What a test database holds before the test: `fill(session)` runs once per run and per
    distinct preparation (frozen dataclasses: equal values, one database); every test asking
    for it gets its own copy."""

    def fill(self, session: Session) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Demo(Preparation):
    """`python -m q2030 demo --seed SEED` (with a QPV file, and the demo accounts if asked)."""

    seed: int
    qpv_file: Path | None = None
    comptes: bool = False

    def fill(self, session: Session) -> None:
        from q2030.demo import load_demo
        from q2030.demo_comptes import load_comptes

        load_demo(session, actor=SYSTEM, qpv_file=self.qpv_file, seed=self.seed)
        if self.comptes:
            load_comptes(session, actor=SYSTEM)


@dataclass(frozen=True)
class Filled(Preparation):
    """A QPV file imported as the tests do (`import_qpv`, if given), then a module's own filling
    function, if given (a module-level function: its identity is part of the key)."""

    qpv_file: Path | None = None
    function: Callable[[Session], None] | None = None

    def fill(self, session: Session) -> None:
        from q2030.qpv_import import import_qpv

        if self.qpv_file is not None:
            import_qpv(session, actor=SYSTEM, content=self.qpv_file.read_bytes(), filename=self.qpv_file.name)
        if self.function is not None:
            self.function(session)
