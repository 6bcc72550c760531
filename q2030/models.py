"""SQLModel tables of the application.

Conventions: codes of the official geography are the primary keys of the reference
tables (département "2A", QPV "QN02A01M"); everything the users write has an integer id,
a version (optimistic locking) and timestamps. Lists of codes (organisers, accessibility
measures) are JSON columns: they are displayed and exported, never filtered in SQL.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time
from typing import Protocol

from sqlalchemy import JSON, Column, Index, LargeBinary, Table, Text, UniqueConstraint, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from q2030.frontieres import JsonValeur
from q2030.textnorm import normalize


def utcnow() -> datetime:
    return datetime.now(dt.UTC)


class _Stored(Protocol):
    id: int | None


def stored_id(row: _Stored) -> int:
    """The id of a row the database has given one (loaded, or flushed after `session.add`).
    Tables declare `id: int | None` because a new row has none yet; asking for the id of a
    row never flushed is a programming error, not a case to handle."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: the row was never flushed.")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for bulk statements (SQLModel does not declare
    `__table__` to type checkers)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model.")
    return table


# --- Reference geography -------------------------------------------------------------


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=3)
    nom: str = Field(max_length=100)


class Departement(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=3)
    nom: str = Field(max_length=100)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=3)


class Epci(SQLModel, table=True):
    siren: str = Field(primary_key=True, max_length=9)
    nom: str = Field(max_length=200)


class Qpv(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=10)
    nom: str = Field(max_length=200)
    geographie: str = Field(default="2024", max_length=4, index=True)
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    # Denormalised "Commune A, Commune B" for display; the link tables are the truth.
    communes_label: str = Field(default="", max_length=1000)


class QpvCommune(SQLModel, table=True):
    """A QPV lies on one or several communes (INSEE code, name at import time)."""

    qpv_code: str = Field(foreign_key="qpv.code", primary_key=True, max_length=10)
    insee: str = Field(primary_key=True, max_length=5, index=True)
    nom: str = Field(max_length=200)


class QpvEpci(SQLModel, table=True):
    qpv_code: str = Field(foreign_key="qpv.code", primary_key=True, max_length=10)
    epci_siren: str = Field(foreign_key="epci.siren", primary_key=True, max_length=9, index=True)


# --- Campaign --------------------------------------------------------------------------


class Campaign(SQLModel, table=True):
    """A consultation campaign: every deadline is data, never a literal in code."""

    id: int | None = Field(default=None, primary_key=True)
    nom: str = Field(max_length=200)
    geographie: str = Field(default="2024", max_length=4)
    active: bool = Field(default=True)
    lancement: date
    rencontres_echeance: date  # rencontres held by (2023-07-31)
    synthese_participants_delai_mois: int = Field(default=1, ge=0)  # months after a meeting
    synthese_departementale_echeance: date  # (2023-09-01)
    restitution_debut: date  # autumn window
    restitution_fin: date
    questionnaire_ouverture: date | None = None
    questionnaire_fermeture: date | None = None
    version: int = Field(default=1)


# --- Rencontres and what they produce ---------------------------------------------------


class Rencontre(SQLModel, table=True):
    __table_args__ = (
        Index("ix_rencontre_campaign_dep_date", "campaign_id", "departement_code", "date"),
        # A new row of the Excel template ("R1") is the same rencontre at every re-import.
        Index("ux_rencontre_reference_import", "campaign_id", "departement_code", "reference_import", unique=True),
        Index("ux_rencontre_source", "campaign_id", "source", "source_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    statut: str = Field(default="prevue", max_length=10, index=True)  # STATUTS_RENCONTRE
    date: dt.date = Field(index=True)
    heure_debut: time | None = None
    heure_fin: time | None = None
    lieu: str = Field(default="", max_length=300)
    adresse: str = Field(default="", max_length=500)
    type_lieu: str = Field(default="autre", max_length=30)
    # Perimeter: the QPV themselves, or a commune / EPCI that covers its QPV indirectly.
    perimetre: str = Field(default="quartier", max_length=10)
    commune_insee: str | None = Field(default=None, max_length=5)
    commune_nom: str | None = Field(default=None, max_length=200)
    epci_siren: str | None = Field(default=None, foreign_key="epci.siren", max_length=9)
    quartier_hors_qpv: str = Field(default="", max_length=500)
    organisateurs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    format: str = Field(default="reunion_publique", max_length=30)
    # Attendance (counts, each breakdown <= total).
    participants: int | None = None
    femmes: int | None = None
    jeunes: int | None = None
    habitants_qpv: int | None = None
    professionnels: int | None = None
    elus: int | None = None
    publics_precaires: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    representant_etat_present: bool = False
    elu_present: bool = False
    membre_commission_present: bool = False
    plateforme_presentee: bool = False
    accessibilite: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # After the meeting.
    participants_accord_synthese: int | None = None
    synthese_envoyee_le: dt.date | None = Field(default=None, index=True)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    motif_annulation: str = Field(default="", max_length=500)
    version: int = Field(default=1)
    # The template's reference of a rencontre created by an Excel import (casefolded "r1"), else None.
    reference_import: str | None = Field(default=None, max_length=50)
    cree_le: datetime = Field(default_factory=utcnow)
    cree_par: str = Field(default="", max_length=254)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)
    # Validation (nomenclature.ValidationRencontre): a meeting declared by a local organiser or
    # imported from a platform's event list counts nowhere until the référent validates it
    # (the one predicate: q2030.comptage.compte). The préfecture's own meetings are validated.
    validation: str = Field(default="validee", max_length=10, index=True)
    organisation: str | None = Field(default=None, max_length=200, index=True)  # the organiser's, None: préfecture
    soumise_le: datetime | None = None  # when it (last) entered the référent's queue
    validee_le: datetime | None = None
    validee_par: str = Field(default="", max_length=254)
    commentaire_validation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The validated values of the fields an organiser changed since, {field: value}: the
    # référent sees before / after; cleared at validation.
    avant_modification: dict[str, JsonValeur] | None = Field(default=None, sa_column=Column(JSON))
    doublon_de: int | None = Field(default=None, foreign_key="rencontre.id")
    # A platform's event (import-evenements): (source, id) is the same meeting at every import.
    source: str | None = Field(default=None, max_length=50)
    source_id: str | None = Field(default=None, max_length=100)


class RencontreQpv(SQLModel, table=True):
    """Which QPV a rencontre covers; `direct` is False for commune/EPCI perimeters.

    Materialised at save time so that coverage is one join, whatever the perimeter.
    """

    rencontre_id: int = Field(foreign_key="rencontre.id", primary_key=True, ondelete="CASCADE")
    qpv_code: str = Field(foreign_key="qpv.code", primary_key=True, max_length=10, index=True)
    direct: bool = True


class Contribution(SQLModel, table=True):
    __table_args__ = (
        Index("ix_contribution_axe_theme", "axe", "theme"),
        # Covering index of the priorities' aggregates: they never read the texts.
        Index("ix_contribution_agregats", "rencontre_id", "theme", "axe", "public", "rang"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rencontre_id: int = Field(foreign_key="rencontre.id", index=True, ondelete="CASCADE")
    axe: str = Field(max_length=20)  # AXES
    theme: str = Field(max_length=30, index=True)  # THEMES
    texte: str = Field(sa_column=Column(Text, nullable=False))
    texte_norm: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # textnorm.normalize
    rang: int | None = None  # 1 = most important within the meeting
    public: str = Field(default="tous", max_length=20)  # PUBLICS
    cree_le: datetime = Field(default_factory=utcnow)


@event.listens_for(Contribution, "before_insert")
@event.listens_for(Contribution, "before_update")
def _fold_text(_mapper: Mapper[Contribution], _connection: Connection, contribution: Contribution) -> None:
    contribution.texte_norm = normalize(contribution.texte or "")


# --- Read model of the priorities (maintained on write, q2030.cube) ---------------------
# "*" in `axe` stands for all axes: a theme's weight in a meeting is then its share of the
# meeting's contributions, whereas per axis it is its share of the meeting's contributions
# in that axis. No foreign keys: rows of a deleted rencontre are removed by the same write.


# What a ranking reads of a cube_rencontre row, carried by its day indexes (index-only reads).
_CUBE_JOUR_COUVERT = ("departement_code", "theme", "rencontre_id", "contributions", "score_rang", "poids")


class CubeRencontre(SQLModel, table=True):
    """Per held rencontre, public ("*" = all), axis ("*" = all) and theme: what the meeting adds.

    The meeting's format, month and day are copied (a meeting's rows are rewritten whenever it
    changes): `cube_filtre` sums these rows per format and per month; the two day indexes
    answer the days of a period that cut a month (with or without a format) from the index alone.
    """

    __tablename__ = "cube_rencontre"
    __table_args__ = (
        Index("ix_cube_rencontre_jour", "public", "axe", "jour", "campaign_id", *_CUBE_JOUR_COUVERT),
        Index("ix_cube_rencontre_format_jour", "public", "axe", "format", "jour", "campaign_id", *_CUBE_JOUR_COUVERT),
        {"sqlite_with_rowid": False},  # SQLite: rows stored in key order (a covering key)
    )

    rencontre_id: int = Field(primary_key=True)
    public: str = Field(primary_key=True, max_length=20)
    axe: str = Field(primary_key=True, max_length=20)
    theme: str = Field(primary_key=True, max_length=30)
    campaign_id: int
    departement_code: str = Field(max_length=3)
    format: str = Field(max_length=30)
    mois: str = Field(max_length=7)  # "2023-07"
    jour: str = Field(max_length=10)  # "2023-07-14"
    contributions: int
    score_rang: float  # sum of 1 / rang
    poids: float  # contributions / the meeting's contributions (in the public and axis)


_CUBE_FILTRE_AXE_VALEUR = (
    "campaign_id", "public", "dimension", "axe", "valeur", "departement_code", "theme",
    "contributions", "rencontres", "score_rang", "poids_rencontre",
)  # fmt: skip


class CubeFiltre(SQLModel, table=True):
    """Campaign × public × axis × département × (dimension, value) × theme: sums of CubeRencontre.

    dimension "tout" (value "*"), "format" (value: the format), "mois" (value: "2023-07"),
    "fmt_mois" (value: "atelier|2023-07") or "jour" (value: "2023-07-10", migration 0019).
    theme "*" rows count the meetings with contributions in the cell (`rencontres`) and their
    contributions: the group totals of a ranking.
    """

    __tablename__ = "cube_filtre"
    __table_args__ = (
        # The axis before the value (migration 0018): a range of months in one axis is one
        # contiguous run of the index, read alone (every column is in it: PostgreSQL answers by
        # an index-only scan, without visiting the table).
        Index("ix_cube_filtre_axe_valeur", *_CUBE_FILTRE_AXE_VALEUR),
        {"sqlite_with_rowid": False},  # SQLite: rows stored in key order (a covering key)
    )

    campaign_id: int = Field(primary_key=True)
    public: str = Field(primary_key=True, max_length=20)
    dimension: str = Field(primary_key=True, max_length=10)
    valeur: str = Field(primary_key=True, max_length=30)
    axe: str = Field(primary_key=True, max_length=20)
    departement_code: str = Field(primary_key=True, max_length=3)
    theme: str = Field(primary_key=True, max_length=30)
    contributions: int
    rencontres: int
    score_rang: float
    poids_rencontre: float


class CubeTheme(SQLModel, table=True):
    """Campaign × axis ("*" = all) × département × theme: the sums of CubeRencontre."""

    __tablename__ = "cube_theme"

    campaign_id: int = Field(primary_key=True)
    axe: str = Field(primary_key=True, max_length=20)
    departement_code: str = Field(primary_key=True, max_length=3)
    theme: str = Field(primary_key=True, max_length=30)
    contributions: int
    rencontres: int  # meetings citing the theme
    score_rang: float
    poids_rencontre: float


class CubeGroupe(SQLModel, table=True):
    """Campaign × axis ("*" = all) × département: held meetings with contributions (in the axis)."""

    __tablename__ = "cube_groupe"

    campaign_id: int = Field(primary_key=True)
    axe: str = Field(primary_key=True, max_length=20)
    departement_code: str = Field(primary_key=True, max_length=3)
    rencontres: int


class Document(SQLModel, table=True):
    """A compte rendu uploaded for a rencontre; the bytes live under data/uploads/<sha256>."""

    id: int | None = Field(default=None, primary_key=True)
    rencontre_id: int = Field(foreign_key="rencontre.id", index=True, ondelete="CASCADE")
    nom_fichier: str = Field(max_length=255)
    type_mime: str = Field(max_length=100)
    taille: int
    sha256: str = Field(max_length=64, index=True)
    depose_le: datetime = Field(default_factory=utcnow)
    depose_par: str = Field(default="", max_length=254)
    # Public only once a référent publishes it ("Publier"); "Retirer" clears both.
    publie_le: datetime | None = Field(default=None, index=True)
    publie_par: str = Field(default="", max_length=254)


class SyntheseDepartementale(SQLModel, table=True):
    """The chain of the synthèse départementale, one row per département and campaign."""

    __table_args__ = (UniqueConstraint("campaign_id", "departement_code"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    statut: str = Field(default="brouillon", max_length=30)  # STATUTS_SYNTHESE_DEPARTEMENTALE
    transmise_region_le: date | None = None
    transmise_commission_le: date | None = None
    restitution_le: date | None = None
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int = Field(default=1)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)


class Engagement(SQLModel, table=True):
    """What was done with the residents' words: an action taken after the consultation.

    Public (texte_public, jalons, status, dates, themes, quartiers): shown on the
    restitution pages and in the open data. Written by the référent of the département
    or the préfecture de région of its région; versioned like a rencontre.
    """

    __table_args__ = (Index("ix_engagement_campaign_dep", "campaign_id", "departement_code"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    departement_code: str = Field(foreign_key="departement.code", max_length=3)
    titre: str = Field(max_length=200)
    texte_public: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    statut: str = Field(default="prevu", max_length=12)  # STATUTS_ENGAGEMENT
    date_debut: dt.date | None = None
    date_fin: dt.date | None = None
    # Milestones: [{"date": "2024-03-01", "texte": "..."}], shown in date order.
    jalons: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)
    cree_le: datetime = Field(default_factory=utcnow)
    cree_par: str = Field(default="", max_length=254)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)


class EngagementTheme(SQLModel, table=True):
    engagement_id: int = Field(foreign_key="engagement.id", primary_key=True, ondelete="CASCADE")
    theme: str = Field(primary_key=True, max_length=30, index=True)


class EngagementQpv(SQLModel, table=True):
    engagement_id: int = Field(foreign_key="engagement.id", primary_key=True, ondelete="CASCADE")
    qpv_code: str = Field(foreign_key="qpv.code", primary_key=True, max_length=10, index=True)


class SyntheseTexte(SQLModel, table=True):
    """What the data cannot say: the référent's free text for the synthèse départementale.

    One row per département and campaign; `motifs` maps a QPV code to the reason it was not
    covered. Written with a compare-and-set on `version` (q2030.syntheses.enregistrer_textes).
    """

    __table_args__ = (UniqueConstraint("campaign_id", "departement_code"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    enseignements: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    vigilance: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    motifs: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)


class SyntheseDocument(SQLModel, table=True):
    """One version of the synthèse départementale file (PDF, DOCX or ODT).

    Never overwritten: a new version is a new row (numero + 1). The chain fields record
    what happened to this very file: transmitted to the préfecture de région, returned
    with a comment, forwarded to the commission. Same storage as comptes rendus
    (q2030.documents: bytes under Q2030_UPLOAD_DIR/<sha256>).
    """

    __table_args__ = (UniqueConstraint("campaign_id", "departement_code", "numero"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    departement_code: str = Field(foreign_key="departement.code", index=True, max_length=3)
    numero: int
    nom_fichier: str = Field(max_length=255)
    type_mime: str = Field(max_length=100)
    taille: int
    sha256: str = Field(max_length=64, index=True)
    depose_le: datetime = Field(default_factory=utcnow)
    depose_par: str = Field(default="", max_length=254)
    transmis_region_le: date | None = None
    renvoye_le: date | None = None
    commentaire_retour: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    transmis_commission_le: date | None = None
    # Public once the référent publishes this version ("Publier"), like a compte rendu.
    publie_le: datetime | None = None
    publie_par: str = Field(default="", max_length=254)


# --- People and traceability -------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    nom: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)  # ROLES
    departement_code: str | None = Field(default=None, foreign_key="departement.code", max_length=3)
    region_code: str | None = Field(default=None, foreign_key="region.code", max_length=3)
    # An organisateur: its organisation (name and type) and the quartiers (QPV codes) or
    # communes (INSEE codes) it works in.
    organisation: str | None = Field(default=None, max_length=200)
    organisation_type: str = Field(default="", max_length=30)
    territoires: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    actif: bool = True
    cree_le: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    horodatage: datetime = Field(default_factory=utcnow, index=True)
    acteur: str = Field(max_length=254, index=True)
    action: str = Field(max_length=40)
    entite: str = Field(max_length=40, index=True)
    entite_id: str = Field(default="", max_length=40)
    avant: dict[str, JsonValeur] | None = Field(default=None, sa_column=Column(JSON))
    apres: dict[str, JsonValeur] | None = Field(default=None, sa_column=Column(JSON))


class AppState(SQLModel, table=True):
    """Single-row table: the data version, bumped by every write, keys the read caches."""

    id: int = Field(default=1, primary_key=True)
    data_version: int = 0


# --- Second channel: the online questionnaire, and the coding of free text --------------------


SOURCE_INITIALE = "Source initiale"  # the name given to what was imported before sources existed


class QuestionnaireCorrespondance(SQLModel, table=True):
    """A source of questionnaire answers of a campaign (the national platform, a city's Decidim, paper
    typed in a spreadsheet), its column mapping (q2030.questionnaire.Correspondance) and its last import."""

    __table_args__ = (UniqueConstraint("campaign_id", "source", name="uq_questionnairecorrespondance_source"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    source: str = Field(default=SOURCE_INITIALE, max_length=100)
    contenu: dict[str, JsonValeur] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)
    importe_le: datetime | None = None
    importe_par: str = Field(default="", max_length=254)
    fichier: str = Field(default="", max_length=255)


class QuestionnaireReponse(SQLModel, table=True):
    """One response to the online questionnaire: no personal data, only what the mapping declares."""

    # A response is the (campaign, source, id): two platforms both numbering 1, 2, 3… never meet.
    __table_args__ = (UniqueConstraint("campaign_id", "source", "identifiant", name="uq_questionnairereponse_source"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    source: str = Field(default=SOURCE_INITIALE, max_length=100)
    identifiant: str = Field(max_length=100)  # the platform's response id
    date: dt.date | None = None
    # Localisation: "qpv" (named, or the only QPV of the commune), "commune", "departement", "non_localise".
    localisation: str = Field(default="non_localise", max_length=15)
    qpv_code: str | None = Field(default=None, foreign_key="qpv.code", index=True, max_length=10)
    commune_insee: str | None = Field(default=None, max_length=5)
    departement_code: str | None = Field(default=None, foreign_key="departement.code", index=True, max_length=3)
    habite_qpv: bool | None = None
    tranche_age: str = Field(default="", max_length=50)
    genre: str = Field(default="", max_length=50)
    empreinte: str = Field(default="", max_length=64)  # sha256 of the mapped values: re-import detects changes
    importe_le: datetime = Field(default_factory=utcnow)


class QuestionnaireTheme(SQLModel, table=True):
    """A theme a response cites: a closed answer mapped by the correspondance, or a coded free text."""

    __table_args__ = (Index("ix_questionnairetheme_agregats", "reponse_id", "theme", "axe", "public"),)

    id: int | None = Field(default=None, primary_key=True)
    reponse_id: int = Field(foreign_key="questionnairereponse.id", index=True, ondelete="CASCADE")
    axe: str = Field(max_length=20)
    theme: str = Field(max_length=30, index=True)
    public: str = Field(default="tous", max_length=20)
    origine: str = Field(default="fermee", max_length=10)  # "fermee" | "texte"
    texte_id: int | None = Field(default=None, foreign_key="textelibre.id", index=True, ondelete="CASCADE")


class TexteLibre(SQLModel, table=True):
    """A free text waiting for (or having received) an analyst's coding: axis, theme, public."""

    __table_args__ = (
        UniqueConstraint("reponse_id", "question"),
        Index("ix_textelibre_file", "campaign_id", "statut", "reserve_jusqu_a"),
        # The claim reads the queue in id order: without it PostgreSQL sorted the whole queue.
        Index("ix_textelibre_file_ordre", "campaign_id", "statut", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    reponse_id: int | None = Field(default=None, foreign_key="questionnairereponse.id", ondelete="CASCADE")
    question: str = Field(default="", max_length=200)  # the export's column
    axe_question: str | None = Field(default=None, max_length=20)  # the axis the mapping gives the column
    texte: str = Field(sa_column=Column(Text, nullable=False))
    statut: str = Field(default="a_coder", max_length=12)  # a_coder | code | hors_sujet
    axe: str | None = Field(default=None, max_length=20)
    theme: str | None = Field(default=None, max_length=30)
    public: str | None = Field(default=None, max_length=20)
    suggestion_acceptee: bool | None = None
    code_par: str = Field(default="", max_length=254)
    code_le: datetime | None = None
    reserve_par: str = Field(default="", max_length=254, index=True)
    reserve_jusqu_a: datetime | None = None
    version: int = Field(default=1)


class ModeleCodage(SQLModel, table=True):
    """The suggestion model trained on the coded texts of a campaign (latest row wins)."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    entraine_le: datetime = Field(default_factory=utcnow)
    entraine_par: str = Field(default="", max_length=254)
    effectif: int = 0
    exactitude_axe: float | None = None
    exactitude_theme: float | None = None
    plis: int = 5
    contenu: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# --- Relances: e-mail digests of what each person owes (q2030.relances) -------------------


class RelanceExecution(SQLModel, table=True):
    """One run of `python -m q2030 relances`: when, for which day, what went out."""

    __tablename__ = "relance_execution"

    id: int | None = Field(default=None, primary_key=True)
    debut: datetime = Field(default_factory=utcnow, index=True)
    fin: datetime | None = None
    au: date
    envoi: bool = False  # False: dry run (digests printed, nothing sent)
    destinataires: int = 0  # users with a non-empty digest
    messages: int = 0  # messages accepted by the SMTP server
    echecs: int = 0
    # [{"email": ..., "erreur": ...}] for each recipient whose message failed.
    erreurs: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RelanceEnvoi(SQLModel, table=True):
    """One item (a QPV, a rencontre, a département's synthesis) reminded to one person on one day.

    The unique key is the claim that keeps two runs of the same day from sending it twice."""

    __tablename__ = "relance_envoi"
    __table_args__ = (UniqueConstraint("jour", "email", "cle"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: int = Field(foreign_key="relance_execution.id", index=True)
    jour: date
    email: str = Field(max_length=254)
    type: str = Field(max_length=30)  # q2030.relances.TYPES
    cle: str = Field(max_length=80)  # e.g. "qpv:QN09301M", "compte_rendu:12"
    # The item's state when sent ("prevu:2023-07-10", "en_retard"): the next digest marks the
    # item new (no earlier row) or changed (another state).
    etat: str = Field(default="", max_length=120)
    envoye_le: datetime = Field(default_factory=utcnow)


class RelanceDesabonnement(SQLModel, table=True):
    """A kind of reminder a user no longer wants by e-mail (set by the user in the app)."""

    __tablename__ = "relance_desabonnement"

    email: str = Field(primary_key=True, max_length=254)
    type: str = Field(primary_key=True, max_length=30)
    cree_le: datetime = Field(default_factory=utcnow)


class Signataire(SQLModel, table=True):
    """Who signs the documents of a département (the synthèse, the letters to participants):
    a name and a title, set by its référent; absent until then."""

    __table_args__ = (UniqueConstraint("departement_code"),)

    id: int | None = Field(default=None, primary_key=True)
    departement_code: str = Field(foreign_key="departement.code", max_length=3)
    nom: str = Field(default="", max_length=120)
    titre: str = Field(default="", max_length=200)
    version: int = Field(default=1)
    modifie_le: datetime = Field(default_factory=utcnow)
    modifie_par: str = Field(default="", max_length=254)
