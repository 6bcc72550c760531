"""Row streams for the export sheets: rencontres and contributions, straight from SQL.

Generators over `yield_per` results: the national export of 200,000 contributions goes
from the database cursor to the write-only sheet in chunks, never as one list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlmodel import Session, col, select

from q2030 import nomenclature as nom
from q2030.comptage import compte
from q2030.db import select_columns
from q2030.excel.writer import Col
from q2030.frontieres import Cellule
from q2030.models import Contribution, Departement, Region, Rencontre, RencontreQpv

CHUNK = 5_000

RENCONTRE_EXPORT: list[Col] = [
    Col("Région", 22), Col("Département", 8), Col("Nom du département", 20), Col("Identifiant", 10, "int"),
    Col("Date", 12, "date"), Col("Statut", 10), Col("Périmètre", 18), Col("QPV couverts directement", 30),
    Col("Commune", 20), Col("EPCI (SIREN)", 12), Col("Lieu", 28), Col("Type de lieu", 20), Col("Format", 18),
    Col("Organisateurs", 30), Col("Participants", 12, "int"), Col("Femmes", 10, "int"), Col("Jeunes", 10, "int"),
    Col("Habitants des QPV", 12, "int"), Col("Professionnels", 12, "int"), Col("Élus", 8, "int"),
    Col("Représentant de l'État présent", 12), Col("Élu présent", 10), Col("Membre de la commission présent", 12),
    Col("Plateforme présentée", 12), Col("Participants d'accord pour la synthèse", 14, "int"),
    Col("Synthèse envoyée le", 14, "date"), Col("Motif d'annulation", 24),
]  # fmt: skip

CONTRIBUTION_EXPORT: list[Col] = [
    Col("Région", 22), Col("Département", 8), Col("Rencontre", 10, "int"), Col("Date de la rencontre", 12, "date"),
    Col("Axe", 36), Col("Pilier", 28), Col("Thème", 30), Col("Contribution", 80), Col("Rang", 8, "int"),
    Col("Public", 18),
]  # fmt: skip


def _oui(value: bool) -> str:
    return "Oui" if value else "Non"


def rencontre_rows(session: Session, *, campaign_id: int, departements: list[str] | None) -> Iterator[list[Cellule]]:
    """One row per rencontre; `departements` None = all of them."""
    links = select(RencontreQpv.rencontre_id, RencontreQpv.qpv_code).join(Rencontre).where(
        Rencontre.campaign_id == campaign_id, RencontreQpv.direct, compte()
    )  # fmt: skip
    if departements is not None:
        links = links.where(col(Rencontre.departement_code).in_(departements))
    qpv_of: dict[int, list[str]] = defaultdict(list)  # small: ~1.5 link per rencontre
    for rencontre_id, code in session.exec(links.order_by(col(RencontreQpv.rencontre_id), col(RencontreQpv.qpv_code))):
        qpv_of[rencontre_id].append(code)
    query = (
        select(Rencontre, Region.nom, Departement.nom)
        .join(Departement, col(Departement.code) == col(Rencontre.departement_code))
        .join(Region, col(Region.code) == col(Departement.region_code))
        .where(Rencontre.campaign_id == campaign_id, compte())
        .order_by(col(Rencontre.departement_code), col(Rencontre.date), col(Rencontre.id))
        .execution_options(yield_per=CHUNK)
    )
    if departements is not None:
        query = query.where(col(Rencontre.departement_code).in_(departements))
    for r, region_nom, departement_nom in session.exec(query):
        yield [
            region_nom, r.departement_code, departement_nom, r.id, r.date,
            nom.label(nom.STATUTS_RENCONTRE, r.statut), nom.label(nom.PERIMETRES, r.perimetre),
            ", ".join(qpv_of.get(r.id or 0, [])), r.commune_nom or r.commune_insee or "", r.epci_siren or "",
            r.lieu, nom.label(nom.TYPES_LIEU, r.type_lieu), nom.label(nom.FORMATS, r.format),
            ", ".join(nom.label(nom.ORGANISATEURS, o) for o in r.organisateurs or []),
            r.participants, r.femmes, r.jeunes, r.habitants_qpv, r.professionnels, r.elus,
            _oui(r.representant_etat_present), _oui(r.elu_present), _oui(r.membre_commission_present),
            _oui(r.plateforme_presentee), r.participants_accord_synthese, r.synthese_envoyee_le, r.motif_annulation,
        ]  # fmt: skip
        session.expunge(r)  # keep the identity map small while streaming


def contribution_rows(session: Session, *, campaign_id: int, departements: list[str] | None) -> Iterator[list[Cellule]]:
    """One row per contribution, plain columns (no ORM objects), fetched CHUNK rows at a time."""
    columns = (
        Region.nom, Rencontre.departement_code, Contribution.rencontre_id, Rencontre.date,
        Contribution.axe, Contribution.theme, Contribution.texte, Contribution.rang, Contribution.public,
    )  # fmt: skip
    query = (
        select_columns(*columns)
        .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
        .join(Departement, col(Departement.code) == col(Rencontre.departement_code))
        .join(Region, col(Region.code) == col(Departement.region_code))
        .where(Rencontre.campaign_id == campaign_id, compte())
        .order_by(
            col(Rencontre.departement_code),
            col(Contribution.rencontre_id),
            col(Contribution.rang),
            col(Contribution.id),
        )
        .execution_options(yield_per=CHUNK, stream_results=True)
    )
    if departements is not None:
        query = query.where(col(Rencontre.departement_code).in_(departements))
    axes, publics = nom.AXES, nom.PUBLICS
    for region_nom, dep, rencontre_id, date, axe, theme, texte, rang, public in session.exec(query):
        pilier = nom.PILIERS.get(nom.THEMES[theme][1], "") if theme in nom.THEMES else ""
        yield [
            region_nom, dep, rencontre_id, date, axes.get(axe, axe), pilier, nom.theme_label(theme), texte, rang,
            publics.get(public, public),
        ]  # fmt: skip
