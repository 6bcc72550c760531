"""Mon département, « Organisateurs » tab: the département's local organisers and the form
that invites one (account created and e-mail sent together: `invitations.inviter_organisateur`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from q2030 import invitations
from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_date
from q2030.ui import notices
from q2030.ui.shell import engine, show_error
from q2030.ui.tables import auto_height
from q2030.users import TYPES_ORGANISATION

FORM_KEY = "invitation_organisateur"


def section(actor: Actor, dep: str) -> None:
    with session_scope(engine()) as session:
        comptes = invitations.organisateurs(session, actor=actor, departement_code=dep)
    st.subheader("Organisateurs locaux")
    st.caption(
        "Communes, intercommunalités, centres sociaux, associations : ils déclarent leurs rencontres et "
        "déposent ce qu'ils ont entendu ; rien ne compte avant votre validation "
        "(liste « À valider » en haut de la page)."
    )
    if comptes:
        frame = pd.DataFrame(
            {
                "Organisation": [c.organisation for c in comptes],
                "Type": [c.organisation_type or "—" for c in comptes],
                "Personne": [c.nom or "—" for c in comptes],
                "Adresse électronique": [c.email for c in comptes],
                "Compte": ["actif" if c.actif else "désactivé" for c in comptes],
                "Invité le": [fr_date(c.cree_le.date()) for c in comptes],
            }
        )
        st.caption(fr_count(len(comptes), "organisateur"))
        st.dataframe(frame, hide_index=True, width="stretch", height=auto_height(len(frame), max_rows=10))
    else:
        st.info("Aucun organisateur local n'a encore été invité dans ce département.")

    st.markdown("**Inviter un organisateur**")
    with st.form(FORM_KEY, clear_on_submit=False):
        email = st.text_input("Adresse électronique (celle de sa connexion ProConnect)", max_chars=254)
        organisation = st.text_input("Organisation", max_chars=200, placeholder="par exemple Centre social Toffoletti")
        organisation_type = st.selectbox(
            "Type d'organisation",
            list(TYPES_ORGANISATION),
            format_func=TYPES_ORGANISATION.__getitem__,
            index=None,
            placeholder="Choisir un type",
        )
        nom = st.text_input("Nom de la personne (facultatif)", max_chars=200)
        sent = st.form_submit_button("Inviter et envoyer le courriel", type="primary")
    if sent:
        try:
            with session_scope(engine()) as session:
                user = invitations.inviter_organisateur(
                    session,
                    actor=actor,
                    email=email,
                    departement_code=dep,
                    organisation=organisation,
                    organisation_type=organisation_type or "",
                    nom=nom,
                )
                invited = user.email
        except Q2030Error as error:
            show_error(error)
        else:
            notices.annoncer(FORM_KEY, f"Invitation envoyée à {invited} : son compte est ouvert.")
            st.rerun()
    notices.a_cote(FORM_KEY)
