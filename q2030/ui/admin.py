"""Administration page: users, campaign, QPV reference file, audit log (admin only).

Widgets and calls only: every rule lives in q2030.users, campaigns, qpv_import, audit_log.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from q2030 import clock
from q2030.access import Actor
from q2030.audit_log import AuditFilters, entite_label, export_audit_csv, filter_options, query_audit
from q2030.campaign_admin import update_campaign
from q2030.campaigns import active_campaign
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_number
from q2030.nomenclature import GEOGRAPHIES, ROLES, Role
from q2030.qpv_import import ImportReport, import_qpv
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.ui import notices
from q2030.ui.relances import render_admin as render_relances
from q2030.ui.shell import data_version, engine, escape_markdown, show_error
from q2030.ui.tables import show_table
from q2030.users import add_user, list_users, set_user_active, update_user

DATE_FORMAT = "DD/MM/YYYY"
DEPS = ["", *DEPARTEMENTS]
REGS = ["", *REGIONS]
JOURNAL_DEBUT = dt.date(2020, 1, 1)  # earliest day offered by the audit-log date filters


def _dep_label(code: str) -> str:
    return f"{code} – {DEPARTEMENTS[code][0]}" if code else "—"


def _reg_label(code: str) -> str:
    return REGIONS[code] if code else "—"


ADMIN_SECTIONS = ("Utilisateurs", "Campagne", "Référentiel QPV", "Journal d'audit", "Relances")
ADMIN_SECTIONS_KEY = "admin_sections"


def render(actor: Actor) -> None:
    st.title("Administration")
    # Only the open section runs and is sent (a click on another tab reruns the page): all five at
    # once were 950 elements, 31 widgets and three tables, about 0,9 s to draw in Chromium.
    tabs = st.tabs(ADMIN_SECTIONS, key=ADMIN_SECTIONS_KEY, on_change="rerun")
    for index, (tab, draw) in enumerate(zip(tabs, (_users, _campaign, _qpv, _journal, render_relances), strict=True)):
        if tab.open or (index == 0 and tab.open is None):  # the first tab is open before any click
            with tab:
                draw(actor)


# --- Utilisateurs ------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _users_frame(actor: Actor, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return list_users(session, actor=actor)


def _scope_inputs(prefix: str, role: str, dep: str = "", reg: str = "") -> tuple[str | None, str | None]:
    """Département for a référent, région for a préfecture de région, nothing otherwise."""
    if role == Role.REFERENT:
        code = st.selectbox(
            "Département",
            DEPS,
            index=DEPS.index(dep or ""),
            format_func=_dep_label,
            key=f"{prefix}_departement",
            placeholder="Choisir…",
        )
        return code or None, None
    if role == Role.PREFET_REGION:
        code = st.selectbox(
            "Région",
            REGS,
            index=REGS.index(reg or ""),
            format_func=_reg_label,
            key=f"{prefix}_region",
            placeholder="Choisir…",
        )
        return None, code or None
    return None, None


def _done(message: str, key: str = "admin_edit_submit") -> None:
    """Show the outcome under the buttons (`key`) after the rerun that redraws the table with the change."""
    notices.annoncer(key, message)
    _users_frame.clear()
    st.rerun()


def _created(email: str) -> None:
    """After an account is added: an empty form for the next one, and who was created."""
    for key in ("admin_new_email", "admin_new_nom"):
        st.session_state.pop(key, None)
    _done(f"Compte créé pour {email.strip()} : il peut se connecter avec ProConnect.", "admin_new_submit")


def _users(actor: Actor) -> None:
    frame = _users_frame(actor, data_version())
    st.subheader("Comptes")
    st.caption(f"{fr_count(len(frame), 'compte')}. Seuls les comptes actifs peuvent se connecter.")
    show_table(frame.drop(columns=["id"]), key="admin_users_table", empty="Aucun compte.")

    st.subheader("Ajouter un utilisateur")
    left, right = st.columns(2)
    email = left.text_input("Adresse électronique (ProConnect)", key="admin_new_email")
    nom = right.text_input("Nom", key="admin_new_nom")
    role = left.selectbox(
        "Rôle", list(ROLES), format_func=ROLES.__getitem__, key="admin_new_role", placeholder="Choisir…"
    )
    with right:
        dep, reg = _scope_inputs("admin_new", role)
    if st.button("Ajouter", type="primary", key="admin_new_submit"):
        try:
            with session_scope(engine()) as session:
                add_user(session, actor=actor, email=email, nom=nom, role=role, departement_code=dep, region_code=reg)
        except Q2030Error as error:
            show_error(error)
        else:
            _created(email)
    notices.a_cote("admin_new_submit")

    if frame.empty:
        return
    st.subheader("Modifier un utilisateur")
    emails = dict(zip(frame["id"], frame["Adresse électronique"], strict=True))
    user_id = st.selectbox(
        "Compte", list(emails), format_func=lambda i: emails[i], key="admin_edit_user", placeholder="Choisir…"
    )
    row = frame.loc[frame["id"] == user_id].iloc[0]
    current_role = next((code for code, label in ROLES.items() if label == row["Rôle"]), Role.REFERENT)
    left, right = st.columns(2)
    new_role = left.selectbox(
        "Nouveau rôle",
        list(ROLES),
        index=list(ROLES).index(current_role),
        format_func=ROLES.__getitem__,
        key=f"admin_edit_role_{user_id}",
        placeholder="Choisir…",
    )
    with right:
        new_dep, new_reg = _scope_inputs(f"admin_edit_{user_id}", new_role, row["Département"], row["Région"])
    buttons = st.columns(3)
    try:
        if buttons[0].button("Enregistrer le rôle", type="primary", key="admin_edit_submit"):
            with session_scope(engine()) as session:
                update_user(
                    session,
                    actor=actor,
                    user_id=int(user_id),
                    role=new_role,
                    departement_code=new_dep,
                    region_code=new_reg,
                )
            _done("Rôle et périmètre enregistrés.")
        if row["Actif"] and buttons[1].button("Désactiver le compte", key="admin_disable"):
            with session_scope(engine()) as session:
                set_user_active(session, actor=actor, user_id=int(user_id), actif=False)
            _done("Compte désactivé : il ne peut plus se connecter.")
        if not row["Actif"] and buttons[1].button("Réactiver le compte", key="admin_enable"):
            with session_scope(engine()) as session:
                set_user_active(session, actor=actor, user_id=int(user_id), actif=True)
            _done("Compte réactivé.")
    except Q2030Error as error:
        show_error(error)
    notices.a_cote("admin_edit_submit")


# --- Campagne ----------------------------------------------------------------------------


def _campaign(actor: Actor) -> None:
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
        values = campaign.model_dump()
    # The version the administrator started from: a save on top of someone else's is refused.
    st.session_state.setdefault("admin_campaign_version", values["version"])
    st.subheader("Campagne active")
    nom = st.text_input("Nom de la campagne", value=values["nom"], key="admin_campaign_nom")
    left, right = st.columns(2)
    lancement = left.date_input("Lancement", value=values["lancement"], format=DATE_FORMAT, key="admin_c_lancement")
    rencontres = left.date_input(
        "Rencontres tenues au plus tard le",
        value=values["rencontres_echeance"],
        format=DATE_FORMAT,
        key="admin_c_rencontres",
    )
    delai = left.number_input(
        "Synthèse aux participants : délai (mois après la rencontre)",
        min_value=0,
        max_value=24,
        step=1,
        value=int(values["synthese_participants_delai_mois"]),
        key="admin_c_delai",
    )
    synthese = left.date_input(
        "Synthèse départementale au plus tard le",
        value=values["synthese_departementale_echeance"],
        format=DATE_FORMAT,
        key="admin_c_synthese",
    )
    restitution_debut = right.date_input(
        "Restitution publique : début", value=values["restitution_debut"], format=DATE_FORMAT, key="admin_c_rest_debut"
    )
    restitution_fin = right.date_input(
        "Restitution publique : fin", value=values["restitution_fin"], format=DATE_FORMAT, key="admin_c_rest_fin"
    )
    q_ouverture = right.date_input(
        "Questionnaire en ligne : ouverture",
        value=values["questionnaire_ouverture"],
        format=DATE_FORMAT,
        key="admin_c_q_ouverture",
    )
    q_fermeture = right.date_input(
        "Questionnaire en ligne : fermeture",
        value=values["questionnaire_fermeture"],
        format=DATE_FORMAT,
        key="admin_c_q_fermeture",
    )
    st.caption(f"Géographie prioritaire : {GEOGRAPHIES.get(values['geographie'], values['geographie'])}.")
    if st.button("Enregistrer la campagne", type="primary", key="admin_campaign_submit"):
        try:
            with session_scope(engine()) as session:
                saved = update_campaign(
                    session,
                    actor=actor,
                    campaign_id=values["id"],
                    version=st.session_state["admin_campaign_version"],
                    nom=nom,
                    lancement=lancement,
                    rencontres_echeance=rencontres,
                    synthese_participants_delai_mois=int(delai),
                    synthese_departementale_echeance=synthese,
                    restitution_debut=restitution_debut,
                    restitution_fin=restitution_fin,
                    questionnaire_ouverture=q_ouverture if isinstance(q_ouverture, dt.date) else None,
                    questionnaire_fermeture=q_fermeture if isinstance(q_fermeture, dt.date) else None,
                )
                st.session_state["admin_campaign_version"] = saved.version
        except Q2030Error as error:
            show_error(error)
        else:
            st.success("Campagne enregistrée : les échéances s'appliquent à toutes les pages.")


# --- Référentiel QPV ---------------------------------------------------------------------


def report_frame(report: ImportReport) -> pd.DataFrame:
    deps = sorted(set(report.created) | set(report.updated) | set(report.unchanged))
    return pd.DataFrame(
        [
            {
                "Département": _dep_label(dep) if dep in DEPARTEMENTS else dep,
                "Créés": report.created[dep],
                "Mis à jour": report.updated[dep],
                "Inchangés": report.unchanged[dep],
            }
            for dep in deps
        ],
        columns=["Département", "Créés", "Mis à jour", "Inchangés"],
    )


def _qpv(actor: Actor) -> None:
    st.subheader("Importer la liste officielle des quartiers")
    st.caption(
        "Fichier CSV (séparateur « ; », « , » ou tabulation ; UTF-8 ou Windows) ou Excel (.xlsx), tel que publié "
        "sur data.gouv.fr. Tout ou rien : "
        "un fichier comportant une erreur n'importe aucun quartier ; ré-importer met à jour sans dupliquer."
    )
    geographie = st.radio(
        "Géographie", list(GEOGRAPHIES), index=1, format_func=GEOGRAPHIES.__getitem__, key="admin_qpv_geographie"
    )
    upload = st.file_uploader("Fichier des quartiers", type=["csv", "txt", "xlsx"], key="admin_qpv_file")
    if upload is not None and st.button("Importer", type="primary", key="admin_qpv_submit"):
        try:
            with st.spinner("Import en cours…"), session_scope(engine()) as session:
                report = import_qpv(
                    session, actor=actor, content=upload.getvalue(), filename=upload.name, geographie=geographie
                )
        except Q2030Error as error:
            show_error(error)
        else:
            st.success(
                f"Import terminé : {fr_number(sum(report.created.values()))} créés, "
                f"{fr_number(sum(report.updated.values()))} mis à jour, "
                f"{fr_number(sum(report.unchanged.values()))} inchangés."
            )
            st.caption(escape_markdown(f"Format reconnu : {report.layout}"))
            st.dataframe(report_frame(report), hide_index=True, width="stretch", key="admin_qpv_report")


# --- Journal d'audit ---------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _options(actor: Actor, version: int) -> tuple[list[str], list[str]]:
    with session_scope(engine()) as session:
        return filter_options(session, actor=actor)


def _journal(actor: Actor) -> None:
    acteurs, entites = _options(actor, data_version())
    columns = st.columns(4)
    acteur = columns[0].selectbox(
        "Utilisateur", ["", *acteurs], format_func=lambda v: v or "Tous", key="admin_a_user", placeholder="Choisir…"
    )
    entite = columns[1].selectbox(
        "Entité",
        ["", *entites],
        format_func=lambda v: entite_label(v) if v else "Toutes",
        key="admin_a_entite",
        placeholder="Choisir…",
    )
    du = columns[2].date_input("Du", value=None, min_value=JOURNAL_DEBUT, format=DATE_FORMAT, key="admin_a_du")
    au = columns[3].date_input("Au", value=None, min_value=JOURNAL_DEBUT, format=DATE_FORMAT, key="admin_a_au")
    filters = AuditFilters(
        acteur=acteur or None,
        entite=entite or None,
        du=du if isinstance(du, dt.date) else None,
        au=au if isinstance(au, dt.date) else None,
    )
    page_number = st.number_input("Page", min_value=1, value=1, step=1, key="admin_a_page")
    with session_scope(engine()) as session:
        page = query_audit(session, actor=actor, filters=filters, page=int(page_number))
    st.caption(
        f"{fr_count(page.total, 'événement')} — page {page.page} sur {page.pages}, du plus récent au plus ancien."
    )
    show_table(page.frame, key="admin_a_table", empty="Aucun événement pour ces filtres.")

    def _export() -> bytes:
        with session_scope(engine()) as session:
            return export_audit_csv(session, actor=actor, filters=filters)

    st.download_button(
        "Exporter (CSV)",
        data=_export,
        file_name=f"journal-audit-{clock.today():%Y%m%d}.csv",
        mime="text/csv",
        on_click="ignore",
        key="admin_a_export",
    )
