"""Synthèse départementale workbook and national export for the commission.

Figures come from the services the pages use (q2030.coverage for QPV status, counts and
the report chain, q2030.priorities for the ranked priorities), so a figure in the
workbook equals the one on screen for the same data and date. Rencontres and
contributions are streamed from SQL into write-only sheets (see listings.py).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pandas as pd
from sqlmodel import Session, select

from q2030 import clock, coverage
from q2030.access import Lecteur, lit_tout, require, require_read_departement
from q2030.campaigns import active_campaign
from q2030.errors import DepartementInconnu, ValidationError
from q2030.excel.flat import FORMATS, CsvZipBook, ParquetZipBook
from q2030.excel.listings import CONTRIBUTION_EXPORT, RENCONTRE_EXPORT, contribution_rows, rencontre_rows
from q2030.excel.writer import Col, StreamingWorkbook
from q2030.frontieres import Cellule
from q2030.models import Campaign, Departement, Region
from q2030.participation import BREAKDOWN, participant_sums
from q2030.priorities import Filtres, classement

Progress = Callable[[float, str], None]
COVERAGE_EXPORT = [
    Col("Région", 22), Col("Département", 8), Col("Code QPV", 12), Col("Quartier", 36), Col("Communes", 30),
    Col("Statut au", 12, "date"), Col("Statut", 24), Col("Couverture", 12), Col("Première rencontre tenue", 14, "date"),
    Col("Prochaine rencontre prévue", 14, "date"), Col("Rencontres tenues", 12, "int"),
]  # fmt: skip
DEPARTEMENT_EXPORT = [
    Col("Région", 22), Col("Département", 8), Col("Nom", 22), Col("QPV", 8, "int"),
    Col("Couverts dans les délais", 12, "int"), Col("Couverts en retard", 12, "int"),
    Col("Rencontre prévue", 12, "int"),
    Col("Non couverts", 12, "int"), Col("Taux de couverture", 12, "percent"), Col("Rencontres tenues", 12, "int"),
    Col("Rencontres prévues", 12, "int"), Col("Synthèses aux participants en retard", 14, "int"),
    Col("Comptes rendus manquants", 12, "int"), Col("Synthèse départementale", 28),
    Col("Transmise à la région le", 14, "date"), Col("Transmise à la commission le", 14, "date"),
]  # fmt: skip


@dataclass(frozen=True)
class ExportSummary:
    sheets: dict[str, int]  # sheet -> data rows written
    au: dt.date


def export_departement(
    session: Session, *, actor: Lecteur, departement_code: str, out: str | BinaryIO, au: dt.date | None = None
) -> ExportSummary:
    """The synthèse départementale workbook of one département, written to `out`."""
    require_read_departement(
        actor, departement_code, "Vous ne pouvez exporter que les départements de votre périmètre."
    )
    departement = session.get(Departement, departement_code)
    if departement is None:  # the referentiel is seeded in every database: never true
        raise DepartementInconnu(departement_code)
    title = f"Synthèse départementale — {departement.nom} ({departement.code})"
    return _export(session, actor=actor, out=out, au=au, departements=[departement.code], title=title)


def export_national(
    session: Session,
    *,
    actor: Lecteur,
    out: str | BinaryIO,
    au: dt.date | None = None,
    progress: Progress | None = None,
    format: str = "xlsx",
) -> ExportSummary:
    """Every département, with région and département columns, for the commission.

    `format`: "xlsx" (one workbook), "csv" or "parquet" (a ZIP with one file per sheet,
    the same columns and rows, written in seconds).
    """
    require(lit_tout(actor), "L'export national est réservé à la commission et aux administrateurs.")
    if format not in FORMATS:
        raise ValidationError({"format": [f"Format inconnu : « {format} » ({', '.join(FORMATS)})."]})
    book: StreamingWorkbook | CsvZipBook | ParquetZipBook = (
        StreamingWorkbook() if format == "xlsx" else CsvZipBook() if format == "csv" else ParquetZipBook()
    )
    return _export(
        session, actor=actor, out=out, au=au, departements=None, title="Export national", progress=progress, book=book
    )


def workbook_bytes(export: Callable[..., ExportSummary], session: Session, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    export(session, out=buffer, **kwargs)
    return buffer.getvalue()


def _export(
    session: Session,
    *,
    actor: Lecteur,
    out: str | BinaryIO,
    au: dt.date | None,
    departements: list[str] | None,
    title: str,
    progress: Progress | None = None,
    book: StreamingWorkbook | CsvZipBook | ParquetZipBook | None = None,
) -> ExportSummary:
    notify = progress or (lambda _f, _m: None)
    campaign = active_campaign(session)
    au = au or clock.today()
    dep = departements[0] if departements else None
    level: coverage.Niveau = "departement" if dep else "national"
    notify(0.02, "Couverture des quartiers…")
    counts = coverage.coverage_counts(session, actor=actor, au=au, niveau=level, departement_code=dep)
    status = coverage.qpv_status(session, actor=actor, au=au, departement_code=dep)
    chain = coverage.suivi_rencontres(session, actor=actor, au=au, departement_code=dep)
    regions = dict(session.exec(select(Region.code, Region.nom)).all())
    sums = participant_sums(session, campaign_id=campaign.id or 0, au=au, departements=departements)
    priorities = _priorities(session, actor=actor, departement_code=dep)

    book = book or StreamingWorkbook()
    sheets: dict[str, int] = {}
    total = counts.iloc[0] if len(counts) == 1 else None
    book.cover("Synthèse", title, _cover_lines(campaign, au, total, counts, sums, chain, dep))
    sheets["Couverture"] = book.table(
        "Couverture",
        COVERAGE_EXPORT,
        (
            [regions.get(r.region_code, r.region_code), r.departement_code, r.qpv_code, r.qpv_nom, r.communes, au,
             r.statut_libelle, r.couverture, r.premiere_rencontre, r.prochaine_prevue, int(r.rencontres_tenues)]
            for r in status.itertuples()
        ),
    )  # fmt: skip
    if dep is None:
        by_dep = coverage.coverage_counts(session, actor=actor, au=au, niveau="departement")
        sheets["Départements"] = book.table("Départements", DEPARTEMENT_EXPORT, _departement_rows(by_dep, regions))
    notify(0.1, "Rencontres…")
    sheets["Rencontres"] = book.table(
        "Rencontres", RENCONTRE_EXPORT, rencontre_rows(session, campaign_id=campaign.id or 0, departements=departements)
    )
    notify(0.2, "Contributions…")
    sheets["Contributions"] = book.table(
        "Contributions",
        CONTRIBUTION_EXPORT,
        contribution_rows(session, campaign_id=campaign.id or 0, departements=departements),
    )
    columns, rows = priorities
    sheets["Priorités"] = book.table("Priorités", columns, rows)
    notify(0.95, "Écriture du fichier…")
    book.save(out)
    notify(1.0, "Export terminé.")
    return ExportSummary(sheets=sheets, au=au)


def _cover_lines(
    campaign: Campaign,
    au: dt.date,
    total: pd.Series | None,
    counts: pd.DataFrame,
    sums: dict[str, int],
    chain: pd.DataFrame,
    dep: str | None,
) -> list[tuple[str | None, Cellule]]:
    row = total if total is not None else counts.sum(numeric_only=True)
    qpv = int(row["qpv"])
    states = chain["etat_synthese"].value_counts() if len(chain) else pd.Series(dtype=int)
    lines: list[tuple[str | None, Cellule]] = [
        ("Campagne", campaign.nom),
        ("Situation au", au),
        ("Échéance des rencontres", campaign.rencontres_echeance),
        ("Échéance de la synthèse départementale", campaign.synthese_departementale_echeance),
        (None, None),
        ("Quartiers prioritaires (QPV)", None),
        ("QPV de la géographie " + campaign.geographie, qpv),
        ("Couverts dans les délais", int(row["couvert_delais"])),
        ("Couverts en retard", int(row["couvert_retard"])),
        ("Rencontre prévue, pas encore tenue", int(row["prevu"])),
        ("Non couverts", int(row["non_couvert"])),
        ("Taux de couverture", float(row["couverts"]) / qpv if qpv else 0.0),
        ("dont couverts directement", int(row["couvert_direct"])),
        ("dont couverts par une rencontre communale ou intercommunale", int(row["couvert_indirect"])),
        (None, None),
        ("Rencontres", None),
        ("Rencontres tenues", int(row["rencontres_tenues"])),
        ("Rencontres prévues", int(row["rencontres_prevues"])),
        (None, None),
        ("Participants aux rencontres tenues", None),
        *((label_text, sums[key]) for key, label_text in BREAKDOWN.items()),
        (None, None),
        ("Synthèses envoyées aux participants", None),
        ("Envoyées à temps", int(states.get("envoyee_a_temps", 0))),
        ("Envoyées en retard", int(states.get("envoyee_en_retard", 0))),
        ("Échéance dépassée, non envoyées", int(states.get("en_retard", 0))),
        ("Pas encore dues", int(states.get("pas_encore_due", 0))),
        ("Comptes rendus manquants", int(row["comptes_rendus_manquants"])),
    ]
    if dep is not None and total is not None:
        lines += [
            (None, None),
            ("Synthèse départementale", None),
            ("Statut", total["synthese_statut_libelle"]),
            ("Transmise à la préfecture de région le", _date_or_dash(total["synthese_transmise_region_le"])),
            ("Transmise à la commission le", _date_or_dash(total["synthese_transmise_commission_le"])),
        ]
    return lines


def _date_or_dash(value: object) -> dt.date | str:
    return value if isinstance(value, dt.date) else "—"


def _departement_rows(frame: pd.DataFrame, regions: dict[str, str]) -> Iterator[list[Cellule]]:
    for r in frame.itertuples():
        yield [
            regions.get(r.region_code, r.region_code), r.code, r.nom, int(r.qpv), int(r.couvert_delais),
            int(r.couvert_retard), int(r.prevu), int(r.non_couvert), float(r.taux_couverts), int(r.rencontres_tenues),
            int(r.rencontres_prevues), int(r.syntheses_en_retard), int(r.comptes_rendus_manquants),
            r.synthese_statut_libelle, _none_if_nat(r.synthese_transmise_region_le),
            _none_if_nat(r.synthese_transmise_commission_le),
        ]  # fmt: skip


def _none_if_nat(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


PRIORITY_EXPORT = [
    Col("Axe", 40), Col("Rang", 8, "int"), Col("Thème", 34), Col("Contributions", 14, "int"),
    Col("Part des contributions de l'axe", 14, "percent"), Col("Rencontres", 12, "int"),
    Col("Part des rencontres", 12, "percent"), Col("Départements", 12, "int"), Col("Score de rang (1/rang)", 14),
]  # fmt: skip


def _priorities(
    session: Session, *, actor: Lecteur, departement_code: str | None
) -> tuple[list[Col], Iterable[list[Cellule]]]:
    """Themes ranked per axis by q2030.priorities.classement (the Priorités page's ranking).

    Raw counts ("contribution" weighting, the page's default), within the exported
    département (or France entière).
    """
    ranking = classement(
        session, actor=actor, filtres=Filtres(departement=departement_code), ponderation="contribution", groupe="axe"
    )
    rows = (
        [r.groupe_libelle, int(r.rang), r.theme_libelle, int(r.contributions), float(r.part), int(r.rencontres),
         float(r.part_rencontres), int(r.departements), round(float(r.score_rang), 3)]
        for r in ranking.itertuples()
    )  # fmt: skip
    return PRIORITY_EXPORT, rows
