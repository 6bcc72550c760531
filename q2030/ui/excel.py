"""Streamlit side of the Excel exchanges: cached workbooks and the import runner.

Workbooks are built when their download button is clicked (Streamlit's deferred `data`
callable, run outside the script: no progress bar, no st.* call inside), so the page opens
at once; they are cached as bytes keyed by plain values and the data version, so a second
click costs nothing and a write rebuilds them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from q2030 import clock
from q2030.access import (
    FRANCE,
    Action,
    Actor,
    RencontreCible,
    Scope,
    allowed,
    departements_lus,
    lecture,
    lit_departement,
    lit_tout,
    require,
)
from q2030.db import session_scope
from q2030.excel.exports import export_departement, export_national, workbook_bytes
from q2030.excel.importer import ImportRefuse, ImportReport, import_workbook
from q2030.excel.template import build_template
from q2030.formatting import fr_count
from q2030.referentiel import DEPARTEMENTS
from q2030.ui import evenements
from q2030.ui.shell import data_version, engine, escape_markdown

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Workbooks depend on what the asker reads, not on who asks: cached per reading scope.
@st.cache_data(show_spinner="Préparation du modèle…", max_entries=32)
def _template(scope: Scope, dep: str, version: int) -> bytes:
    # `version` (the data version) is a plain name: st.cache_data ignores parameters named _x.
    with session_scope(engine()) as session:
        return build_template(session, actor=scope, departement_code=dep)


@st.cache_data(show_spinner="Préparation de la synthèse départementale…", max_entries=32)
def _synthese(scope: Scope, dep: str, version: int) -> bytes:
    with session_scope(engine()) as session:
        return workbook_bytes(export_departement, session, actor=scope, departement_code=dep)


def template_bytes(actor: Actor, departement_code: str) -> bytes:
    return _template(lecture(actor), departement_code, data_version())


def synthese_bytes(actor: Actor, departement_code: str) -> bytes:
    return _synthese(lecture(actor), departement_code, data_version())


def template_data(actor: Actor, departement_code: str) -> Callable[[], bytes]:
    """The entry template, built when the button is clicked (not when the page is drawn)."""
    return partial(_template, lecture(actor), departement_code, data_version())


def synthese_data(actor: Actor, departement_code: str) -> Callable[[], bytes]:
    """The synthèse départementale, built when the button is clicked."""
    return partial(_synthese, lecture(actor), departement_code, data_version())


def template_download(actor: Actor, departement_code: str) -> None:
    """The entry template's download button: the workbook is built on click (deferred data)."""
    st.download_button(
        "Télécharger le modèle de saisie",
        data=template_data(actor, departement_code),
        file_name=file_name("modele-saisie", departement_code),
        mime=XLSX_MIME,
        key="excel_template",
        on_click="ignore",
    )


def synthese_download(actor: Actor, departement_code: str) -> None:
    """The synthèse départementale download button (same key for every role), built on click."""
    st.download_button(
        "Télécharger la synthèse départementale",
        data=synthese_data(actor, departement_code),
        file_name=file_name("synthese", departement_code),
        mime=XLSX_MIME,
        key="excel_synthese",
        on_click="ignore",
    )


# --- National export: CSV / Parquet on click, the workbook in the background ----------------

ZIP_MIME = "application/zip"


@st.cache_data(show_spinner=False, max_entries=2)
def _national_flat(format: str, version: int) -> bytes:
    with session_scope(engine()) as session:
        return workbook_bytes(export_national, session, actor=FRANCE, format=format)


def national_flat_data(actor: Actor, format: str) -> Callable[[], bytes]:
    """The national export as a ZIP of CSV or Parquet files (seconds), built on click."""
    require(lit_tout(actor), "L'export national est réservé à la commission et aux administrateurs.")
    return partial(_national_flat, format, data_version())


@dataclass
class NationalJob:
    """The national workbook of one data version, built by a background thread."""

    version: int
    fraction: float = 0.0
    message: str = "Export national…"
    data: bytes | None = None
    error: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.data is None and not self.error


@dataclass
class _NationalJobs:
    job: NationalJob | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource
def _national_jobs() -> _NationalJobs:
    """One job per server process, shared by every session."""
    return _NationalJobs()


def national_job() -> NationalJob | None:
    """The last national workbook job (any data version)."""
    return _national_jobs().job


def start_national_workbook(actor: Actor) -> NationalJob:
    """Start building the workbook of the current data version, unless it is built or being built."""
    require(lit_tout(actor), "L'export national est réservé à la commission et aux administrateurs.")
    version = data_version()
    jobs = _national_jobs()
    with jobs.lock:
        job = jobs.job
        if job is not None and job.version == version and not job.error:
            return job
        job = NationalJob(version=version)
        jobs.job = job
    threading.Thread(target=_build_national, args=(job, engine()), daemon=True, name="export-national").start()
    return job


def _build_national(job: NationalJob, bound: Engine) -> None:
    """Runs outside any script: no st.* call, plain values only."""

    def progress(fraction: float, message: str) -> None:
        job.fraction, job.message = min(1.0, fraction), message

    try:
        with session_scope(bound) as session:
            job.data = workbook_bytes(export_national, session, actor=FRANCE, progress=progress)
    except Exception as error:
        job.error = f"L'export national a échoué : {error}"


def national_export(actor: Actor) -> None:
    """The commission's national export: CSV and Parquet at once, the workbook prepared in the background."""
    st.write(
        "Tous les départements, avec les colonnes région et département. CSV (séparateur « ; », s'ouvre dans un "
        "tableur) et Parquet (pour l'analyse) sont prêts en quelques secondes ; le classeur Excel est préparé en "
        "arrière-plan et reste disponible tant qu'aucune saisie ne change les données."
    )
    columns = st.columns(2)
    with columns[0]:
        st.download_button(
            "Télécharger l'export national (CSV, .zip)",
            data=national_flat_data(actor, "csv"),
            file_name=file_name("national-csv", ext="zip"),
            mime=ZIP_MIME,
            key="excel_national_csv",
            on_click="ignore",
        )
    with columns[1]:
        st.download_button(
            "Télécharger l'export national (Parquet, .zip)",
            data=national_flat_data(actor, "parquet"),
            file_name=file_name("national-parquet", ext="zip"),
            mime=ZIP_MIME,
            key="excel_national_parquet",
            on_click="ignore",
        )
    job = national_job()
    current = job is not None and job.version == data_version()
    if current and job is not None and job.data is not None:
        data = job.data
        st.download_button(
            "Télécharger l'export national",
            data=lambda: data,
            file_name=file_name("national"),
            mime=XLSX_MIME,
            key="excel_national_download",
            on_click="ignore",
        )
        return
    if current and job is not None and job.running:
        _national_progress()
        return
    if job is not None and job.error:
        st.error(job.error)
    if st.button("Préparer l'export national (.xlsx)", key="excel_national"):
        start_national_workbook(actor)
        st.rerun()


@st.fragment(run_every=1.0)
def _national_progress() -> None:
    job = national_job()
    if job is None or not job.running:
        st.rerun()  # done: the full page draws the download button
        return
    st.progress(job.fraction, text=f"{job.message} (classeur en préparation, vous pouvez quitter la page)")


def run_import(actor: Actor, content: bytes) -> ImportReport:
    """Import in one transaction; the report carries the errors when the file is refused."""
    bar = st.progress(0.0, text="Lecture du fichier…")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(1.0, fraction), text=message)

    try:
        with session_scope(engine()) as session:
            report = import_workbook(
                session,
                actor=actor,
                departement_code=actor.departement_code or "",
                content=content,
                progress=progress,
            )
    except ImportRefuse as refused:  # session_scope rolled back: nothing was written
        bar.empty()
        return refused.report
    bar.progress(1.0, text="Import terminé.")
    return report


SHOWN_ERRORS = 10  # written out above the table of every error


def report_frame(report: ImportReport) -> pd.DataFrame:
    frame = pd.DataFrame(report.as_rows(), columns=["Feuille", "Ligne", "Colonne", "Valeur", "Message"])
    frame["Ligne"] = frame["Ligne"].astype("Int64")
    return frame


def departement_label(code: str) -> str:
    return f"{code} – {DEPARTEMENTS[code][0]}"


def file_name(kind: str, departement_code: str | None = None, ext: str = "xlsx") -> str:
    stamp = clock.today().isoformat()
    return f"q2030-{kind}-{departement_code}-{stamp}.{ext}" if departement_code else f"q2030-{kind}-{stamp}.{ext}"


def render(actor: Actor) -> None:
    """The page « Échanges Excel »: what each role may download, and the import for a référent."""
    st.title("Échanges Excel")

    own = actor.departement_code or ""
    if own and allowed(actor, Action.ECRIRE_RENCONTRE, RencontreCible(own, actor.organisation)):
        dep = own
        st.subheader("1. Modèle de saisie")
        st.write(
            "Le classeur reprend vos rencontres et contributions ; ajoutez-en hors ligne (identifiants R1, R2…) "
            "ou corrigez-les, puis importez-le. La feuille « À lire » explique chaque colonne."
        )
        template_download(actor, dep)

        st.subheader("2. Importer le modèle rempli")
        # .ods is let through so that the import says, in French, how to save it as .xlsx (reading.ODS_REFUSED).
        uploaded = st.file_uploader("Classeur rempli (.xlsx)", type=["xlsx", "ods"], key="excel_upload")
        if (
            st.button("Importer", key="excel_import", type="primary", disabled=uploaded is None)
            and uploaded is not None
        ):
            report = run_import(actor, uploaded.getvalue())
            if report.ok:
                st.success("\n\n".join(report.lines()))
            else:
                # The first errors in full sentences (a table cell cuts a long message), all in the table.
                first = "\n".join(f"- {escape_markdown(line[2:])}" for line in report.lines()[1 : 1 + SHOWN_ERRORS])
                st.error(
                    f"{fr_count(len(report.issues), 'erreur')} : rien n'a été importé. "
                    f"Corrigez le fichier et recommencez.\n\n{first}"
                )
                st.dataframe(report_frame(report), hide_index=True, width="stretch", key="excel_errors")

        if lit_departement(actor, dep):
            st.subheader("3. Synthèse départementale")
            st.write("Chiffres clés, couverture de chaque QPV, rencontres, contributions et priorités, à transmettre.")
            synthese_download(actor, dep)
        if allowed(actor, Action.ECRIRE_RENCONTRE, RencontreCible(dep)):  # the référent, not an organiser
            evenements.section(actor, dep)
    else:
        st.subheader("Synthèse d'un département")
        choices = departements_lus(actor)
        dep = st.selectbox("Département", choices, format_func=departement_label, key="excel_departement")
        synthese_download(actor, dep)
        if lit_tout(actor):
            st.subheader("Export national pour la commission")
            national_export(actor)
