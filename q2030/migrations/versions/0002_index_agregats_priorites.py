"""Index couvrant des agrégats de priorités (contribution: rencontre, thème, axe, public, rang).

Revision ID: 0002_priorites
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_priorites"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_contribution_agregats",
        "contribution",
        ["rencontre_id", "theme", "axe", "public", "rang"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_contribution_agregats", table_name="contribution")
