"""Signataire des documents d'un département ; état de chaque élément relancé (nouveau / modifié).

Revision ID: 0013_signataire_etat_relances
Revises: 0012_cube_filtres
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_signataire_etat_relances"
down_revision: str | None = "0012_cube_filtres"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signataire",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("nom", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("titre", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("modifie_le", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("modifie_par", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.ForeignKeyConstraint(["departement_code"], ["departement.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("departement_code"),
    )
    with op.batch_alter_table("relance_envoi", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("etat", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("relance_envoi", schema=None) as batch_op:
        batch_op.drop_column("etat")
    op.drop_table("signataire")
