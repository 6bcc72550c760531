"""Organisateurs locaux et validation des rencontres déclarées ou importées.

Existing rencontres are validated (they were entered by the référent); a declared or
imported meeting counts nowhere until the référent validates it.

Revision ID: 0015_organisateurs
Revises: 0014_texte_sans_controle
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision: str = "0015_organisateurs"
down_revision: str | None = "0014_texte_sans_controle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("rencontre", schema=None) as batch_op:
        batch_op.add_column(sa.Column("validation", _STR(length=10), nullable=False, server_default="validee"))
        batch_op.add_column(sa.Column("organisation", _STR(length=200), nullable=True))
        batch_op.add_column(sa.Column("soumise_le", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("validee_le", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("validee_par", _STR(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("commentaire_validation", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("avant_modification", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("doublon_de", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", _STR(length=50), nullable=True))
        batch_op.add_column(sa.Column("source_id", _STR(length=100), nullable=True))
        batch_op.create_foreign_key("fk_rencontre_doublon_de", "rencontre", ["doublon_de"], ["id"])
        batch_op.create_index("ix_rencontre_validation", ["validation"], unique=False)
        batch_op.create_index("ix_rencontre_organisation", ["organisation"], unique=False)
        batch_op.create_index("ux_rencontre_source", ["campaign_id", "source", "source_id"], unique=True)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation", _STR(length=200), nullable=True))
        batch_op.add_column(sa.Column("organisation_type", _STR(length=30), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("territoires", sa.JSON(), nullable=False, server_default="[]"))
    from q2030 import cube  # the read model counts validated rencontres: refilled once the column exists

    session = Session(bind=op.get_bind())
    if cube.schema_courant(session):  # else a later migration refills it (0017)
        cube.reconstruire(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("territoires")
        batch_op.drop_column("organisation_type")
        batch_op.drop_column("organisation")
    with op.batch_alter_table("rencontre", schema=None) as batch_op:
        batch_op.drop_index("ux_rencontre_source")
        batch_op.drop_index("ix_rencontre_organisation")
        batch_op.drop_index("ix_rencontre_validation")
        batch_op.drop_constraint("fk_rencontre_doublon_de", type_="foreignkey")
        for name in (
            "source_id", "source", "doublon_de", "avant_modification", "commentaire_validation",
            "validee_par", "validee_le", "soumise_le", "organisation", "validation",
        ):  # fmt: skip
            batch_op.drop_column(name)
