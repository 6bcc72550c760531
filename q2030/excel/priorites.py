"""The Priorités workbook of a filtered view, written by the one XLSX writer (`excel.writer`).

Sheets: the filters, the ranking per axis, all axes, and every readable contribution
(streamed: write-only mode, whatever its size). Figures come from `q2030.priorities`, so
the workbook shows what the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pandas as pd
from sqlmodel import Session

from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.excel.writer import Col, StreamingWorkbook
from q2030.frontieres import Cellule
from q2030.priorities import (
    PONDERATIONS,
    Filtres,
    classement,
    contributions,
    perimetre_lecture,
    table_classement,
    table_contributions,
)

_WIDTHS = {
    "Regroupement": 40, "Thème": 40, "Contribution": 70, "Axe": 30, "Part des rencontres": 16,
}  # fmt: skip
_PERCENT = {"Part des rencontres", "Part pondérée"}


def _columns(df: pd.DataFrame, widths: dict[str, int] | None = None) -> list[Col]:
    widths = widths or _WIDTHS
    return [Col(str(name), widths.get(str(name), 16), "percent" if name in _PERCENT else "text") for name in df.columns]


def _rows(df: pd.DataFrame) -> Iterator[list[Cellule]]:
    for row in df.itertuples(index=False):
        yield [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row]


def export_excel(session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution") -> bytes:
    """Workbook of the filtered view: filters, ranking per axis, all axes, contributions."""
    book = StreamingWorkbook()
    description = filtres.decrire() or [("Filtres", "aucun (toutes les contributions)")]
    campaign = active_campaign(session)
    meta = pd.DataFrame(
        [("Campagne", campaign.nom), ("Pondération", PONDERATIONS[ponderation]), *description,
         ("Contributions lisibles", f"périmètre : {perimetre_lecture(actor)}")],
        columns=["Paramètre", "Valeur"],
    )  # fmt: skip
    book.table("Filtres", _columns(meta, {"Paramètre": 24, "Valeur": 60}), _rows(meta))
    sheets = {
        "Classement par axe": classement(session, actor=actor, filtres=filtres, ponderation=ponderation),
        "Classement tous axes": classement(
            session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="aucun"
        ),
    }
    for title, ranking in sheets.items():
        table = table_classement(ranking)
        book.table(title, _columns(table), _rows(table))
    listed = table_contributions(contributions(session, actor=actor, filtres=filtres, limite=None))
    book.table("Contributions", _columns(listed), _rows(listed))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
