"""Read model of the priorities, maintained on write (q2030.cube): cube_rencontre, cube_theme, cube_groupe.

The tables are filled from the existing rows (the same sums as `q2030.cube.reconstruire`).

Revision ID: 0003_cube_priorites
Revises: 0002_priorites
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_cube_priorites"
down_revision: str | None = "0002_priorites"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PER_MEETING = """
SELECT c.rencontre_id, {axe}, c.theme, MIN(r.campaign_id), MIN(r.departement_code), COUNT(*),
       CAST(SUM(CASE WHEN c.rang > 0 THEN 1.0 / CAST(c.rang AS FLOAT) ELSE 0.0 END) AS FLOAT),
       CAST(COUNT(*) AS FLOAT) / CAST(SUM(COUNT(*)) OVER (PARTITION BY {partition}) AS FLOAT)
FROM contribution c JOIN rencontre r ON r.id = c.rencontre_id
WHERE r.statut = 'tenue'
GROUP BY {partition}, c.theme
"""


def upgrade() -> None:
    op.create_table(
        "cube_rencontre",
        sa.Column("rencontre_id", sa.Integer(), nullable=False),
        sa.Column("axe", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("rencontre_id", "axe", "theme"),
    )
    op.create_table(
        "cube_theme",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("axe", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("rencontres", sa.Integer(), nullable=False),
        sa.Column("score_rang", sa.Float(), nullable=False),
        sa.Column("poids_rencontre", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "axe", "departement_code", "theme"),
    )
    op.create_table(
        "cube_groupe",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("axe", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("departement_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("rencontres", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "axe", "departement_code"),
    )
    columns = "rencontre_id, axe, theme, campaign_id, departement_code, contributions, score_rang, poids"
    for axe, partition in (("c.axe", "c.rencontre_id, c.axe"), ("'*'", "c.rencontre_id")):
        op.execute(f"INSERT INTO cube_rencontre ({columns}) " + _PER_MEETING.format(axe=axe, partition=partition))
    op.execute(
        "INSERT INTO cube_theme (campaign_id, axe, departement_code, theme, contributions, rencontres, score_rang, "
        "poids_rencontre) SELECT campaign_id, axe, departement_code, theme, SUM(contributions), COUNT(*), "
        "SUM(score_rang), SUM(poids) FROM cube_rencontre GROUP BY campaign_id, axe, departement_code, theme"
    )
    op.execute(
        "INSERT INTO cube_groupe (campaign_id, axe, departement_code, rencontres) "
        "SELECT campaign_id, axe, departement_code, COUNT(DISTINCT rencontre_id) FROM cube_rencontre "
        "GROUP BY campaign_id, axe, departement_code"
    )


def downgrade() -> None:
    op.drop_table("cube_groupe")
    op.drop_table("cube_theme")
    op.drop_table("cube_rencontre")
