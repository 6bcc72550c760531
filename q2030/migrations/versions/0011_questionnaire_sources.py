"""Sources du questionnaire : une réponse est identifiée par (campagne, source, identifiant).

Chaque source (plateforme nationale, Decidim d'une ville, questionnaires papier saisis) a sa
correspondance de colonnes et sa dernière importation. Ce qui était importé avant prend le
nom « Source initiale ».

Revision ID: 0011_questionnaire_sources
Revises: 0010_publication_syntheses
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_questionnaire_sources"
down_revision: str | None = "0010_publication_syntheses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_INITIALE = "Source initiale"
# SQLite keeps the old unique constraints unnamed: batch mode names them this way to drop them.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique(table: str, column_0: str, postgresql_name: str) -> str:
    return postgresql_name if op.get_bind().dialect.name == "postgresql" else f"uq_{table}_{column_0}"


def upgrade() -> None:
    with op.batch_alter_table("questionnairecorrespondance", naming_convention=NAMING) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=SOURCE_INITIALE
            )
        )
        batch_op.add_column(sa.Column("importe_le", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("importe_par", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("fichier", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False, server_default="")
        )
        batch_op.drop_constraint(
            _old_unique("questionnairecorrespondance", "campaign_id", "questionnairecorrespondance_campaign_id_key"),
            type_="unique",
        )
        batch_op.create_unique_constraint("uq_questionnairecorrespondance_source", ["campaign_id", "source"])
        batch_op.create_index("ix_questionnairecorrespondance_campaign_id", ["campaign_id"], unique=False)
    with op.batch_alter_table("questionnairereponse", naming_convention=NAMING) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=SOURCE_INITIALE
            )
        )
        batch_op.drop_constraint(
            _old_unique("questionnairereponse", "campaign_id", "questionnairereponse_campaign_id_identifiant_key"),
            type_="unique",
        )
        batch_op.create_unique_constraint(
            "uq_questionnairereponse_source", ["campaign_id", "source", "identifiant"]
        )


def downgrade() -> None:
    with op.batch_alter_table("questionnairereponse") as batch_op:
        batch_op.drop_constraint("uq_questionnairereponse_source", type_="unique")
        batch_op.create_unique_constraint(
            "questionnairereponse_campaign_id_identifiant_key", ["campaign_id", "identifiant"]
        )
        batch_op.drop_column("source")
    with op.batch_alter_table("questionnairecorrespondance") as batch_op:
        batch_op.drop_index("ix_questionnairecorrespondance_campaign_id")
        batch_op.drop_constraint("uq_questionnairecorrespondance_source", type_="unique")
        batch_op.create_unique_constraint("questionnairecorrespondance_campaign_id_key", ["campaign_id"])
        batch_op.drop_column("fichier")
        batch_op.drop_column("importe_par")
        batch_op.drop_column("importe_le")
        batch_op.drop_column("source")
