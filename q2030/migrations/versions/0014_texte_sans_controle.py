"""Textes déjà enregistrés nettoyés des caractères de contrôle que XML refuse.

Un saut de page collé depuis un PDF, une tabulation verticale venue d'Excel bloquaient
tous les documents (DOCX, ODT, lettre, XLSX). Les écritures nouvelles sont nettoyées par
le moteur (`q2030.db`) ; cette migration nettoie ce qui est déjà stocké : chaque colonne
texte et chaque colonne JSON de chaque table, sauf le journal d'audit (trace inchangée,
jamais rendue dans un document). Même règle que `q2030.control_chars.clean_text`.

Revision ID: 0014_texte_sans_controle
Revises: 0013_signataire_etat_relances
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from q2030.control_chars import clean_value

revision: str = "0014_texte_sans_controle"
down_revision: str | None = "0013_signataire_etat_relances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SKIPPED = {"alembic_version", "auditevent"}
CODES = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]
# PostgreSQL stores no NUL; its regular expressions read \xHH and \uHHHH in the pattern.
PG_PATTERN = r"[\x01-\x08\x0b\x0c\x0e-\x1f\uFFFE\uFFFF]"


def _dirty(bind: sa.Connection, column: sa.Column[Any]) -> Any:
    if bind.dialect.name == "postgresql":
        return column.op("~")(sa.literal_column(f"'{PG_PATTERN}'"))
    return sa.or_(*(sa.func.instr(column, sa.literal_column(f"char({code})")) > 0 for code in CODES))


def upgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    for name in sorted(sa.inspect(bind).get_table_names()):
        if name in SKIPPED:
            continue
        table = sa.Table(name, metadata, autoload_with=bind)
        keys = list(table.primary_key.columns)
        if not keys:
            continue
        texts = [c for c in table.columns if isinstance(c.type, sa.String) and not c.primary_key]
        jsons = [c for c in table.columns if isinstance(c.type, sa.JSON)]
        for column in texts:
            rows = bind.execute(sa.select(*keys, column).where(_dirty(bind, column))).all()
            for *ident, value in rows:
                _update(bind, table, keys, ident, {column.name: clean_value(value)})
        if jsons:
            for row in bind.execute(sa.select(*keys, *jsons)):
                ident, values = list(row[: len(keys)]), row[len(keys) :]
                changed = {c.name: clean_value(v) for c, v in zip(jsons, values, strict=True) if clean_value(v) != v}
                if changed:
                    _update(bind, table, keys, ident, changed)


def _update(bind: sa.Connection, table: sa.Table, keys: list[sa.Column[Any]], ident: list[Any], values: dict) -> None:
    bind.execute(
        table.update().where(*(key == value for key, value in zip(keys, ident, strict=True))).values(**values)
    )


def downgrade() -> None:
    pass  # the removed characters are not kept anywhere: nothing to restore
