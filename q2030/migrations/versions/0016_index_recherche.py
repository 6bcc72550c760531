"""Index de recherche sur le texte normalisé des contributions.

The Priorités text search asks, for each word, whether it appears anywhere in the folded
text (`texte_norm LIKE '%mot%'`, a substring, not a whole word). Both indexes answer that
very question, so the results are those of the scan:

- PostgreSQL: a pg_trgm GIN index on `texte_norm` (`gin_trgm_ops`), used by the same LIKE;
- SQLite: an FTS5 table with the trigram tokenizer over `contribution.texte_norm`
  (external content: it stores only the index), kept in step by three triggers; a word of
  three characters or more is looked up as a phrase in it (substring match), a shorter one
  stays a LIKE (a trigram index cannot answer it).

SQLite pitfall: a later migration that rebuilds `contribution` in batch mode (copy, drop,
rename) drops these triggers with the old table; it must run `creer_index_sqlite` again.

Revision ID: 0016_index_recherche
Revises: 0015_organisateurs
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_index_recherche"
down_revision: str | None = "0015_organisateurs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = "contribution_fts"
PG_INDEX = "ix_contribution_texte_norm_trgm"


def creer_index_sqlite() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_FTS} USING fts5("
        "texte_norm, content='contribution', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_FTS}_ai AFTER INSERT ON contribution BEGIN "
        f"INSERT INTO {SQLITE_FTS}(rowid, texte_norm) VALUES (new.id, new.texte_norm); END"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_FTS}_ad AFTER DELETE ON contribution BEGIN "
        f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}, rowid, texte_norm) VALUES ('delete', old.id, old.texte_norm); END"
    )
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_FTS}_au AFTER UPDATE ON contribution BEGIN "
        f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}, rowid, texte_norm) VALUES ('delete', old.id, old.texte_norm); "
        f"INSERT INTO {SQLITE_FTS}(rowid, texte_norm) VALUES (new.id, new.texte_norm); END"
    )
    op.execute(f"INSERT INTO {SQLITE_FTS}({SQLITE_FTS}) VALUES ('rebuild')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON contribution USING gin (texte_norm gin_trgm_ops)")
        return
    creer_index_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        return
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {SQLITE_FTS}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {SQLITE_FTS}")
