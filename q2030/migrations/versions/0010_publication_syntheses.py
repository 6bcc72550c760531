"""Publication d'une version de la synthèse départementale sur la page publique.

Revision ID: 0010_publication_syntheses
Revises: 0009_relances
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_publication_syntheses"
down_revision: str | None = "0009_relances"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("synthesedocument", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publie_le", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("publie_par", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("synthesedocument", schema=None) as batch_op:
        batch_op.drop_column("publie_par")
        batch_op.drop_column("publie_le")
