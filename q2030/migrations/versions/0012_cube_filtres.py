"""Read model of every Priorités filter: cube_rencontre gains public, format and month; cube_filtre.

cube_rencontre is recreated (its primary key gains the public) and every cube table is
refilled from the raw rows by `q2030.cube.reconstruire` (the same code the demo loader and
`python -m q2030 rebuild-agregats` run).

Revision ID: 0012_cube_filtres
Revises: 0011_questionnaire_sources
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision: str = "0012_cube_filtres"
down_revision: str | None = "0011_questionnaire_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.drop_table("cube_rencontre")
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
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("rencontre_id", "public", "axe", "theme"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "cube_filtre",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("public", _TEXT(length=20), nullable=False),
        sa.Column("dimension", _TEXT(length=10), nullable=False),
        sa.Column("valeur", _TEXT(length=30), nullable=False),
        sa.Column("axe", _TEXT(length=20), nullable=False),
        sa.Column("departement_code", _TEXT(length=3), nullable=False),
        sa.Column("theme", _TEXT(length=30), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("rencontres", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids_rencontre", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "public", "dimension", "valeur", "axe", "departement_code", "theme"),
        sqlite_with_rowid=False,
    )
    from q2030 import cube  # the one definition of the sums (same as the demo and the CLI)

    # cube.reconstruire counts validated rencontres only (rencontre.validation, added by
    # 0015_organisateurs): a database migrated from before that column is refilled by 0015.
    if "validation" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("rencontre")}:
        session = Session(bind=op.get_bind())
        if cube.schema_courant(session):  # else a later migration refills it (0017)
            cube.reconstruire(session)
        session.flush()


def downgrade() -> None:
    op.drop_table("cube_filtre")
    op.drop_table("cube_rencontre")
    op.create_table(
        "cube_rencontre",
        sa.Column("rencontre_id", sa.Integer(), nullable=False),
        sa.Column("axe", _TEXT(length=20), nullable=False),
        sa.Column("theme", _TEXT(length=30), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("departement_code", _TEXT(length=3), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("rencontre_id", "axe", "theme"),
    )
