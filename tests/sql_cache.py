"""One compiled-SQL cache for every engine of a test process.

Each test gets its own database, hence its own engine (`make_engine`), and SQLAlchemy keeps
its compiled statements per engine (`Engine._compiled_cache`) and, for the ORM's flushes, per
mapper under a key that holds the dialect *instance*: every new engine starts cold and the
ORM compiles the same SELECT, INSERT and UPDATE again in every test. Here one cache serves
them all, keyed by the dialect's configuration (its class and its plain settings: paramstyle,
server version, JSON serializer…) instead of its identity, so two engines on the same kind of
database share what they compiled. What a statement compiles to depends on nothing else
(SQLAlchemy's own cache key covers the statement); the values travel beside it.

Installed once per test process by tests/conftest.py (`install()`); the application's own
engines are left alone outside the tests.
"""

from __future__ import annotations

import threading
import types
import weakref
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.util import LRUCache

# Enough for every distinct statement of the suite on one dialect (a few thousand).
CAPACITY = 20_000

_SCALARS = (bool, int, float, str, bytes, type(None))


def _plain(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return False


_signatures: dict[int, Hashable] = {}
_signatures_lock = threading.Lock()


def dialect_signature(dialect: Any) -> Hashable:
    """The dialect's class and every plain setting it holds (after its first connection:
    server version, paramstyle, feature flags), plus the JSON (de)serializers by identity."""
    key = id(dialect)
    known = _signatures.get(key)
    if known is not None:
        return known
    settings = tuple(
        sorted(
            (name, value)
            for name, value in vars(dialect).items()
            if _plain(value) or (isinstance(value, types.FunctionType) and name.startswith("_json"))
        )
    )
    signature = (type(dialect), settings)
    with _signatures_lock:
        _signatures[key] = signature
        # The id may be reused by a later dialect once this one is gone: forget it then.
        weakref.finalize(dialect, _signatures.pop, key, None)
    return signature


class SharedCompiledCache(LRUCache[Any, Any]):
    """An LRU cache whose keys `(dialect, statement key, …)` hold the dialect's signature."""

    @staticmethod
    def _normalise(key: Any) -> Any:
        if isinstance(key, tuple) and key and hasattr(key[0], "statement_compiler"):
            return (dialect_signature(key[0]), *key[1:])
        return key

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._normalise(key), default)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._normalise(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._normalise(key), value)

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._normalise(key))


SHARED = SharedCompiledCache(CAPACITY)
_installed = False


def _share(connection: Connection) -> None:
    if connection.get_execution_options().get("compiled_cache", SHARED) is not SHARED:
        return  # a connection asked for its own cache (or none): leave it
    connection.execution_options(compiled_cache=SHARED)  # this connection, in place
    engine = connection.engine
    if engine.get_execution_options().get("compiled_cache") is not SHARED:
        engine.update_execution_options(compiled_cache=SHARED)


def install() -> None:
    """Every engine uses `SHARED` from its first connection on (`engine_connect`), and the ORM's
    flushes too (each mapper's statement cache, passed explicitly by the ORM, is `SHARED`)."""
    global _installed
    if _installed:
        return
    _installed = True
    event.listen(Engine, "engine_connect", _share)
    # Mapper._compiled_cache is memoized per base mapper (an LRUCache of 100 keyed on the
    # dialect instance): the shared cache instead, for every mapper.
    Mapper._compiled_cache = property(lambda _self: SHARED)  # type: ignore[assignment,method-assign]  # a memoized attribute in SQLAlchemy, replaced on the class
