"""The home page of a local organiser: its meetings, what each still needs, the deadlines
in words and the référent's decisions (q2030.organisateurs). Nothing else of the département."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from q2030 import clock, organisateurs
from q2030.access import Actor, lecture
from q2030.campaigns import active_campaign, situation_par_defaut
from q2030.db import session_scope
from q2030.formatting import fr_date
from q2030.ui.public import html_table
from q2030.ui.shell import PAGES, engine


def render_mes_rencontres(actor: Actor) -> None:
    scope = lecture(actor)
    with session_scope(engine()) as session:
        # The deadlines as of the « À faire » panel's date: once the campaign is over, the end of its
        # restitution window (not « échue depuis 1 224 jours » beside « en retard de 130 jours »).
        au = situation_par_defaut(active_campaign(session).restitution_fin, clock.today())
        rows = organisateurs.mes_rencontres(session, actor=actor, au=au)
    st.subheader(f"Mes rencontres — {scope.organisation}")
    st.caption(
        "Chaque rencontre que vous déclarez, et chaque modification d'une rencontre validée, est vérifiée par le "
        "référent du département : elle compte dans le suivi de la concertation une fois validée."
    )
    st.page_link(PAGES["rencontres"].path, label="Déclarer une rencontre ou compléter une rencontre")
    frame = pd.DataFrame(
        [
            {
                "N°": row.id,
                "Date": fr_date(row.date),
                "Lieu": row.lieu,
                "État": row.etat,
                "Reste à faire": ", ".join(row.manquants()) or "rien",
                "Échéances": " ; ".join(row.echeances(au)),
            }
            for row in rows
        ],
        columns=["N°", "Date", "Lieu", "État", "Reste à faire", "Échéances"],
    )
    if frame.empty:
        st.info("Vous n'avez encore déclaré aucune rencontre.")
    else:  # long sentences wrap in their cells (a data grid cut the last column at 1 440 px); cards on a phone
        html_table(frame, "Vos rencontres, de la plus récente à la plus ancienne")
    for row in rows:
        if row.commentaire:
            with st.container(border=True):
                st.markdown(f"**Rencontre n° {row.id} du {fr_date(row.date)} — {row.etat}.** Commentaire du référent :")
                st.text(row.commentaire)  # typed by the référent: shown as text
