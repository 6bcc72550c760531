"""Read model of the periods that cut a month and of format × period: day grain and format × month.

`cube_rencontre` gains the meeting's day (`jour`, "2023-07-14") and two covering indexes
(public, axis, day, campaign; and the same with the format before the day): the days of a
period that cut a month are read from an index alone. `cube_filtre` gains the dimension
"fmt_mois" (format × month): a format with whole months reads pre-summed cells. The tables
are refilled from the raw rows by `q2030.cube.reconstruire` (the demo loader's and
`python -m q2030 rebuild-agregats`' code).

Revision ID: 0017_cube_jour
Revises: 0016_index_recherche
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision: str = "0017_cube_jour"
down_revision: str | None = "0016_index_recherche"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_COUVERT = ["departement_code", "theme", "rencontre_id", "contributions", "score_rang", "poids"]


def _cube_rencontre(with_day: bool) -> None:
    op.create_table(
        "cube_rencontre",
        sa.Column("rencontre_id", sa.Integer(), nullable=False),
        sa.Column("public", _TEXT(length=20), nullable=False),
        sa.Column("axe", _TEXT(length=20), nullable=False),
        sa.Column("theme", _TEXT(length=30), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("departement_code", _TEXT(length=3), nullable=False),
        sa.Column("format", _TEXT(length=30), nullable=False),
        sa.Column("mois", _TEXT(length=7), nullable=False),
        *([sa.Column("jour", _TEXT(length=10), nullable=False)] if with_day else []),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("rencontre_id", "public", "axe", "theme"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.drop_table("cube_rencontre")
    _cube_rencontre(with_day=True)
    op.create_index("ix_cube_rencontre_jour", "cube_rencontre", ["public", "axe", "jour", "campaign_id", *_COUVERT])
    op.create_index(
        "ix_cube_rencontre_format_jour", "cube_rencontre", ["public", "axe", "format", "jour", "campaign_id", *_COUVERT]
    )
    from q2030 import cube  # the one definition of the sums (same as the demo and the CLI)

    session = Session(bind=op.get_bind())
    cube.reconstruire(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_cube_rencontre_format_jour", table_name="cube_rencontre")
    op.drop_index("ix_cube_rencontre_jour", table_name="cube_rencontre")
    op.drop_table("cube_rencontre")
    _cube_rencontre(with_day=False)
    op.execute("DELETE FROM cube_filtre WHERE dimension = 'fmt_mois'")
    # cube_rencontre is refilled by `python -m q2030 rebuild-agregats` run with the older code.
