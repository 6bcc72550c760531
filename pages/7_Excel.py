"""Échanges Excel: modèle de saisie, import, synthèse départementale, export national."""

import streamlit as st

from q2030.ui import excel as ui_excel
from q2030.ui import page_setup

actor = page_setup("excel")
if actor is not None:
    st.title("Échanges Excel")

    if actor.role == "referent":
        dep = actor.departement_code or ""
        st.subheader("1. Modèle de saisie")
        st.write(
            "Le classeur reprend vos rencontres et contributions ; ajoutez-en hors ligne (identifiants R1, R2…) "
            "ou corrigez-les, puis importez-le. La feuille « À lire » explique chaque colonne."
        )
        ui_excel.template_download(actor, dep)

        st.subheader("2. Importer le modèle rempli")
        uploaded = st.file_uploader("Classeur rempli (.xlsx)", type=["xlsx"], key="excel_upload")
        if st.button("Importer", key="excel_import", type="primary", disabled=uploaded is None):
            report = ui_excel.run_import(actor, uploaded.getvalue())
            if report.ok:
                st.success("\n\n".join(report.lines()))
            else:
                st.error(f"{len(report.issues)} erreur(s) : rien n'a été importé. Corrigez le fichier et recommencez.")
                st.dataframe(ui_excel.report_frame(report), hide_index=True, width="stretch", key="excel_errors")

        st.subheader("3. Synthèse départementale")
        st.write("Chiffres clés, couverture de chaque QPV, rencontres, contributions et priorités, à transmettre.")
        ui_excel.synthese_download(actor, dep)
    else:
        st.subheader("Synthèse d'un département")
        choices = ui_excel.departements_of(actor)
        dep = st.selectbox("Département", choices, format_func=ui_excel.departement_label, key="excel_departement")
        ui_excel.synthese_download(actor, dep)
        if actor.is_national:
            st.subheader("Export national pour la commission")
            ui_excel.national_export(actor)
