"""File de codage : index dans l'ordre de la file et sur l'analyste qui réserve.

Revision ID: 0007_index_file_codage
Revises: 0006_restitution
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_index_file_codage"
down_revision: str | None = "0006_restitution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_textelibre_file_ordre", "textelibre", ["campaign_id", "statut", "id"], unique=False)
    op.create_index("ix_textelibre_reserve_par", "textelibre", ["reserve_par"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_textelibre_reserve_par", table_name="textelibre")
    op.drop_index("ix_textelibre_file_ordre", table_name="textelibre")
