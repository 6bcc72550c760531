"""Relances in the app: the administrator's tab (last runs, preview of anyone's digest) and
the « Mes relances » settings every recipient sees on the home page.

Widgets and calls only: every rule lives in q2030.relances.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from q2030 import clock
from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_date, fr_number
from q2030.organisateurs import DELAI_COMPTE_RENDU_JOURS
from q2030.relances import (
    apercu,
    enregistrer_desabonnements,
    mes_desabonnements,
    types_du_role,
)
from q2030.relances_courriel import sujet, texte
from q2030.relances_envoi import dernieres_executions
from q2030.ui.shell import engine, escape_markdown, show_error
from q2030.ui.tables import show_table
from q2030.users import list_users

DATE_FORMAT = "DD/MM/YYYY"
PARIS = ZoneInfo("Europe/Paris")


def _heure_paris(moment: dt.datetime) -> str:
    """A stored UTC time as the users read it (SQLite gives it back naive)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return fr_date(aware.astimezone(PARIS))


def runs_frame(actor: Actor) -> pd.DataFrame:
    with session_scope(engine()) as session:
        runs = dernieres_executions(session, actor=actor)
    return pd.DataFrame(
        [
            {
                "Début (heure de Paris)": _heure_paris(run.debut),
                "Jour calculé": fr_date(run.au),
                "Destinataires": fr_number(run.destinataires),
                "Messages envoyés": fr_number(run.messages),
                "Échecs": fr_number(run.echecs),
                "Détail des échecs": " ; ".join(f"{e['email']} : {e['erreur']}" for e in run.erreurs),
            }
            for run in runs
        ],
        columns=[
            "Début (heure de Paris)",
            "Jour calculé",
            "Destinataires",
            "Messages envoyés",
            "Échecs",
            "Détail des échecs",
        ],
    )


def render_admin(actor: Actor) -> None:
    """The « Relances » tab of the administration page."""
    st.markdown(
        "Chaque jour, `python -m q2030 relances --envoyer` (tâche planifiée, voir le README) envoie à chaque "
        "utilisateur actif ce qu'il lui reste à faire. Les comptes rendus sont attendus sous "
        f"{DELAI_COMPTE_RENDU_JOURS} jours après la rencontre ; le bilan de la commission part le lundi."
    )
    st.subheader("Dernières exécutions")
    try:
        frame = runs_frame(actor)
    except Q2030Error as error:
        show_error(error)
        return
    show_table(frame, key="relances_runs_table", empty="Aucun envoi pour l'instant.")
    st.subheader("Aperçu d'une relance")
    with session_scope(engine()) as session:
        users = list_users(session, actor=actor)
    if users.empty:
        st.info("Aucun compte : créez les utilisateurs dans l'onglet « Utilisateurs ».")
        return
    labels = {int(row["id"]): f"{row['Adresse électronique']} ({row['Rôle']})" for _i, row in users.iterrows()}
    left, right = st.columns([3, 1])
    user_id = left.selectbox("Utilisateur", list(labels), format_func=lambda i: labels[i], key="relances_apercu_user")
    au = right.date_input("Au", value=clock.today(), format=DATE_FORMAT, key="relances_apercu_au")
    try:
        with session_scope(engine()) as session:
            digest = apercu(session, actor=actor, user_id=user_id, au=au)
    except Q2030Error as error:
        show_error(error)
        return
    if not digest.lignes:
        st.info("Rien à signaler pour ce compte à cette date : aucun message ne partirait.")
        return
    st.markdown(f"**Objet :** {escape_markdown(sujet(digest))}")
    st.caption("Aperçu complet (bilan hebdomadaire inclus quel que soit le jour, désabonnements non appliqués).")
    st.code(texte(digest), language=None, wrap_lines=True)


def render_mes_relances(actor: Actor) -> None:
    """« Mes relances »: the kinds of e-mail reminder the user receives (nothing for a role without any)."""
    kinds = types_du_role(actor.role)
    if not kinds:
        return
    with session_scope(engine()) as session:
        current = mes_desabonnements(session, actor=actor)
    with st.expander("Mes relances par courriel"), st.form("mes_relances"):
        st.caption(
            "Chaque jour, un courriel rappelle ce qu'il reste à faire dans votre périmètre. "
            "Décochez ce que vous ne voulez plus recevoir."
        )
        wanted = {
            code: st.checkbox(label, value=code not in current, key=f"relance_{code}") for code, label in kinds.items()
        }
        if st.form_submit_button("Enregistrer mes relances"):
            try:
                with session_scope(engine()) as session:
                    enregistrer_desabonnements(
                        session, actor=actor, desabonnes=[code for code, keep in wanted.items() if not keep]
                    )
            except Q2030Error as error:
                show_error(error)
            else:
                st.success("Vos préférences de relance sont enregistrées.")
