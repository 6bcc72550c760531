"""Streamlit side of the Excel exchanges: cached workbooks and the import runner.

Workbooks are built when their download button is clicked (Streamlit's deferred `data`
callable, run outside the script: no progress bar, no st.* call inside), so the page opens
at once; they are cached as bytes keyed by plain values and the data version, so a second
click costs nothing and a write rebuilds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from q2030.access import Actor
from q2030.db import session_scope
from q2030.excel.exports import export_departement, export_national, workbook_bytes
from q2030.excel.importer import ImportRefuse, ImportReport, import_workbook
from q2030.excel.template import build_template
from q2030.referentiel import DEPARTEMENTS
from q2030.ui.shell import data_version, engine

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(role: str, email: str, departement: str | None, region: str | None) -> Actor:
    return Actor(email=email, role=role, departement_code=departement, region_code=region)


@st.cache_data(show_spinner="Préparation du modèle…", max_entries=32)
def _template(role: str, email: str, departement: str | None, region: str | None, dep: str, _v: int) -> bytes:
    with session_scope(engine()) as session:
        return build_template(session, actor=_actor(role, email, departement, region), departement_code=dep)


@st.cache_data(show_spinner="Préparation de la synthèse départementale…", max_entries=32)
def _synthese(role: str, email: str, departement: str | None, region: str | None, dep: str, _v: int) -> bytes:
    actor = _actor(role, email, departement, region)
    with session_scope(engine()) as session:
        return workbook_bytes(export_departement, session, actor=actor, departement_code=dep)


def template_bytes(actor: Actor, departement_code: str) -> bytes:
    key = (actor.role, actor.email, actor.departement_code, actor.region_code)
    return _template(*key, departement_code, data_version())


def synthese_bytes(actor: Actor, departement_code: str) -> bytes:
    key = (actor.role, actor.email, actor.departement_code, actor.region_code)
    return _synthese(*key, departement_code, data_version())


def template_data(actor: Actor, departement_code: str) -> Callable[[], bytes]:
    """The entry template, built when the button is clicked (not when the page is drawn)."""
    key = (actor.role, actor.email, actor.departement_code, actor.region_code)
    return partial(_template, *key, departement_code, data_version())


def synthese_data(actor: Actor, departement_code: str) -> Callable[[], bytes]:
    """The synthèse départementale, built when the button is clicked."""
    key = (actor.role, actor.email, actor.departement_code, actor.region_code)
    return partial(_synthese, *key, departement_code, data_version())


def template_download(actor: Actor, departement_code: str) -> None:
    """The entry template's download button: the workbook is built on click (deferred data)."""
    st.download_button(
        "Télécharger le modèle de saisie",
        data=template_data(actor, departement_code),
        file_name=file_name("modele-saisie", departement_code),
        mime=XLSX_MIME,
        key="excel_template",
    )


def synthese_download(actor: Actor, departement_code: str) -> None:
    """The synthèse départementale download button (same key for every role), built on click."""
    st.download_button(
        "Télécharger la synthèse départementale",
        data=synthese_data(actor, departement_code),
        file_name=file_name("synthese", departement_code),
        mime=XLSX_MIME,
        key="excel_synthese",
    )


def national_bytes(actor: Actor) -> bytes:
    """Not cached (large): built on demand, with a progress bar."""
    bar = st.progress(0.0, text="Export national…")
    with session_scope(engine()) as session:
        return workbook_bytes(
            export_national, session, actor=actor, progress=lambda f, m: bar.progress(min(1.0, f), text=m)
        )


def run_import(actor: Actor, content: bytes) -> ImportReport:
    """Import in one transaction; the report carries the errors when the file is refused."""
    bar = st.progress(0.0, text="Lecture du fichier…")
    try:
        with session_scope(engine()) as session:
            report = import_workbook(
                session,
                actor=actor,
                departement_code=actor.departement_code or "",
                content=content,
                progress=lambda f, m: bar.progress(min(1.0, f), text=m),
            )
    except ImportRefuse as refused:  # session_scope rolled back: nothing was written
        bar.empty()
        return refused.report
    bar.progress(1.0, text="Import terminé.")
    return report


def report_frame(report: ImportReport) -> pd.DataFrame:
    frame = pd.DataFrame(report.as_rows(), columns=["Feuille", "Ligne", "Colonne", "Valeur", "Message"])
    frame["Ligne"] = frame["Ligne"].astype("Int64")
    return frame


def departement_label(code: str) -> str:
    return f"{code} – {DEPARTEMENTS[code][0]}"


def departements_of(actor: Actor) -> list[str]:
    if actor.role == "referent" and actor.departement_code:
        return [actor.departement_code]
    if actor.role == "prefet_region":
        return [code for code, (_nom, region) in DEPARTEMENTS.items() if region == actor.region_code]
    return list(DEPARTEMENTS)


def file_name(kind: str, departement_code: str | None = None) -> str:
    stamp = dt.date.today().isoformat()
    return f"q2030-{kind}-{departement_code}-{stamp}.xlsx" if departement_code else f"q2030-{kind}-{stamp}.xlsx"
