"""Accueil : chiffres clés du périmètre de l'utilisateur, ou accueil d'une base vide.

This file is read twice. `streamlit run streamlit_app.py` finds the `st.App` below (by
reading the file) and imports the file as the module `streamlit_app` to serve that App: its
lifespan prepares the database and writes the public agenda feeds before the first request
(q2030/ui/serveur.py). Each page run then executes the file as `__main__`: the home page.
"""

import streamlit

if __name__ == "__main__":
    from q2030.ui import run_page
    from q2030.ui.home import render

    run_page("accueil", render)
else:
    from q2030.ui.serveur import demarrage

    app = streamlit.App(__file__, lifespan=demarrage)
