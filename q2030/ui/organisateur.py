"""The home page of a local organiser: its meetings, what each still needs, the deadlines
in words and the référent's decisions (q2030.organisateurs). Nothing else of the département."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from q2030 import clock, organisateurs
from q2030.access import Actor, lecture
from q2030.db import session_scope
from q2030.formatting import fr_date
from q2030.ui.shell import PAGES, engine
from q2030.ui.tables import show_table


def render_mes_rencontres(actor: Actor) -> None:
    scope = lecture(actor)
    au = clock.today()
    with session_scope(engine()) as session:
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
    show_table(frame, key="org_mes_rencontres", empty="Vous n'avez encore déclaré aucune rencontre.", hide_index=True)
    for row in rows:
        if row.commentaire:
            with st.container(border=True):
                st.markdown(f"**Rencontre n° {row.id} du {fr_date(row.date)} — {row.etat}.** Commentaire du référent :")
                st.text(row.commentaire)  # typed by the référent: shown as text
