"""Référence d'import Excel d'une rencontre (« R1 »), unique par campagne et département.

Revision ID: 0005_reference_import
Revises: 0004_questionnaire
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_reference_import"
down_revision: str | None = "0004_questionnaire"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rencontre", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_import", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.create_index(
            "ux_rencontre_reference_import", ["campaign_id", "departement_code", "reference_import"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("rencontre", schema=None) as batch_op:
        batch_op.drop_index("ux_rencontre_reference_import")
        batch_op.drop_column("reference_import")
