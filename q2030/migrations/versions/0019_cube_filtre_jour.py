"""`cube_filtre` gains the "jour" dimension: the days of a period that cut a month.

A period such as the 10th to the 19th of July read those days from `cube_rencontre`, one row
per meeting × theme (8,636 rows at national volume, 86,000 at ten times); the day cells of
`cube_filtre`, pre-summed per département and theme, hold fewer rows, and far fewer as the
meetings of a day grow. No column changes: the rows are refilled from the raw rows by
`q2030.cube.reconstruire` (the demo loader's and `python -m q2030 rebuild-agregats`' code).

Revision ID: 0019_cube_filtre_jour
Revises: 0018_cube_filtre_axe
"""

from collections.abc import Sequence

from alembic import op
from sqlmodel import Session

revision: str = "0019_cube_filtre_jour"
down_revision: str | None = "0018_cube_filtre_axe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from q2030 import cube

    session = Session(bind=op.get_bind())
    if cube.schema_courant(session):
        cube.reconstruire(session)
        session.flush()


def downgrade() -> None:
    op.execute("DELETE FROM cube_filtre WHERE dimension = 'jour'")
