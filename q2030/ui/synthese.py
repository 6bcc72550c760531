"""The synthèse départementale as a document, on screen.

- Mon département (and the drill-down of Ma région / Vue nationale): the chain, the
  référent's free text and draft, the final version, the transmission with the file; the
  préfecture de région returns it ("à reprendre") or forwards it to the commission.
- Synthèses (commission, administrators, préfecture de région): every département's
  synthesis with its status, date and file, and a ZIP of all.
- A rencontre: the letter to its participants (DOCX / ODT).
Documents are built on click (download buttons take a callable), never at each rerun.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st
from sqlmodel import Session

from q2030 import clock, redaction, signataires, syntheses
from q2030.access import Action, Actor, DepartementCible, allowed, lit_tout
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_date, fr_number
from q2030.nomenclature import StatutRencontre
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.ui import notices
from q2030.ui.shell import data_version, engine, escape_markdown, show_error

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ETAPES = {
    "transmise_region": "Transmise à la préfecture de région le",
    "transmise_commission": "Transmise à la commission et à l'ANCT le",
    "restituee": "Restitution publique tenue le",
}


# --- Loaders (documents are built on click) ----------------------------------------------------


def _draft(actor: Actor, dep: str, au: dt.date | None, fmt: str) -> bytes:
    with session_scope(engine()) as session:
        return redaction.rediger_synthese(session, actor=actor, departement_code=dep, fmt=fmt, au=au)


def _letter(actor: Actor, rencontre_id: int, fmt: str) -> bytes:
    with session_scope(engine()) as session:
        return redaction.rediger_lettre(session, actor=actor, rencontre_id=rencontre_id, fmt=fmt)


def _version_bytes(actor: Actor, document_id: int) -> bytes:
    with session_scope(engine()) as session:
        return syntheses.lire_version(session, actor=actor, document_id=document_id)[1]


def _zip(actor: Actor) -> bytes:
    with session_scope(engine()) as session:
        return syntheses.archive_syntheses(session, actor=actor)[0]


@st.cache_data(show_spinner=False)
def _tableau(actor: Actor, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return syntheses.tableau_syntheses(session, actor=actor)


def _state(actor: Actor, dep: str) -> tuple[syntheses.SyntheseView, list[syntheses.VersionDocument]]:
    with session_scope(engine()) as session:
        view = syntheses.synthese_departementale(session, actor=actor, departement_code=dep)
        try:
            history = syntheses.versions(session, actor=actor, departement_code=dep)
        except Q2030Error:
            history = []
    return view, history


def _run(action: Callable[[Session], object], message: str, key: str) -> None:
    """Run a service call in its own transaction; on success rerun with a notice for `key`, drawn by
    `notices.a_cote(key)` where the control is (or was: a step's form goes once the step is done)."""
    try:
        with session_scope(engine()) as session:
            action(session)
    except Q2030Error as error:
        show_error(error)
        return
    notices.annoncer(key, message)
    st.rerun()


# --- The panel of one département ------------------------------------------------------------------


def synthese_panel(actor: Actor, dep: str, au: dt.date | None = None) -> None:
    """`au`: the « situation au » date chosen on the page; the draft is dated like the page."""
    st.subheader("Synthèse départementale")
    view, history = _state(actor, dep)
    st.markdown(
        f"Statut : **{escape_markdown(view.statut_libelle)}** — à transmettre à la commission au plus tard le "
        f"{fr_date(view.echeance)}."
    )
    dates = {
        "transmise_region": view.transmise_region_le,
        "transmise_commission": view.transmise_commission_le,
        "restituee": view.restitution_le,
    }
    st.dataframe(
        pd.DataFrame([{"Étape": ETAPES[k], "Date": fr_date(v)} for k, v in dates.items()]),
        hide_index=True,
        key=f"synthese_etapes_{dep}",
    )
    if view.transmise_en_retard:
        st.warning("Transmise à la commission après l'échéance.")
    if view.restitution_dans_fenetre is False:
        st.warning(
            "Restitution tenue hors de la fenêtre prévue "
            f"({fr_date(view.restitution_debut)} – {fr_date(view.restitution_fin)})."
        )
    returned = next((v for v in history if v.renvoye_le is not None), None)
    if view.statut == "a_reprendre" and returned is not None:
        st.warning(f"Renvoyée le {fr_date(returned.renvoye_le)} par la préfecture de région. Commentaire :")
        st.text(returned.commentaire_retour)
    if allowed(actor, Action.REDIGER_SYNTHESE, DepartementCible(dep)):
        _referent(actor, dep, view, history, au)
    elif allowed(actor, Action.INSTRUIRE_SYNTHESE, DepartementCible(dep)):
        _prefecture_region(actor, dep, view, history)
    _history(actor, dep, history)


def _referent(
    actor: Actor,
    dep: str,
    view: syntheses.SyntheseView,
    history: list[syntheses.VersionDocument],
    au: dt.date | None,
) -> None:
    with st.expander("Rédiger la synthèse", expanded=view.statut in ("brouillon", "a_reprendre")):
        _free_text(actor, dep)
        _signataire(actor, dep)
        st.caption(
            "Le projet est rédigé à partir des données de l'application (mêmes chiffres et mêmes graphiques que "
            "les pages et le classeur Excel"
            + (f", situation au {fr_date(au)}" if au else "")
            + "), avec vos textes ; ouvrez-le dans votre traitement de texte pour le finaliser."
        )
        _docx_odt_buttons(
            ("Télécharger le projet (DOCX, Word)", "Télécharger le projet (ODT, LibreOffice)"),
            partial(_draft, actor, dep, au),
            stem=f"synthese-departementale-{dep}",
            keys=(f"sy_docx_{dep}", f"sy_odt_{dep}"),
        )
    st.markdown("**Version finale**")
    counter = st.session_state.setdefault(f"sy_counter_{dep}", 0)
    uploaded = st.file_uploader(
        "Déposer la version finale (PDF, DOCX ou ODT, 10 Mo au plus) : chaque dépôt est une nouvelle version",
        type=["pdf", "docx", "odt"],
        key=f"sy_upload_{dep}_{counter}",
    )
    if st.button("Déposer cette version", key=f"sy_deposer_{dep}", disabled=uploaded is None) and uploaded:
        st.session_state[f"sy_counter_{dep}"] = counter + 1
        _run(
            lambda s: syntheses.deposer_version(
                s, actor=actor, departement_code=dep, filename=uploaded.name, content=uploaded.getvalue()
            ),
            f"Version « {uploaded.name} » déposée.",
            f"sy_deposer_{dep}",
        )
    notices.a_cote(f"sy_deposer_{dep}")
    notices.a_cote(f"sy_etape_{dep}")  # where the step's form was
    pending = [v for v in history if v.transmis_region_le is None]
    if view.statut in ("brouillon", "a_reprendre"):
        if not pending:
            st.info("Déposez la version finale pour pouvoir la transmettre à la préfecture de région.")
        else:
            with st.form(key=f"sy_transmettre_{dep}"):
                chosen = st.selectbox(
                    "Version à transmettre",
                    [v.id for v in pending],
                    format_func=lambda i: next(f"v{v.numero} — {v.nom_fichier}" for v in pending if v.id == i),
                    key=f"sy_version_{dep}",
                )
                day = st.date_input(
                    "Date de transmission", value=clock.today(), format="DD/MM/YYYY", key=f"sy_date_region_{dep}"
                )
                sent = st.form_submit_button("Transmettre à la préfecture de région", type="primary")
            if sent:
                _run(
                    lambda s: syntheses.enregistrer_etape(
                        s,
                        actor=actor,
                        departement_code=dep,
                        etape="transmise_region",
                        date=day,
                        version=view.version,
                        document_id=int(chosen),
                    ),
                    "Synthèse transmise à la préfecture de région.",
                    f"sy_etape_{dep}",
                )
    if view.statut == "transmise_commission":
        with st.form(key=f"sy_restitution_{dep}"):
            day = st.date_input(
                "Date de la restitution publique",
                value=clock.today(),
                format="DD/MM/YYYY",
                key=f"sy_date_restitution_{dep}",
            )
            done = st.form_submit_button("Enregistrer la restitution publique")
        if done:
            _run(
                lambda s: syntheses.enregistrer_etape(
                    s, actor=actor, departement_code=dep, etape="restituee", date=day, version=view.version
                ),
                "Restitution publique enregistrée.",
                f"sy_etape_{dep}",
            )


def _free_text(actor: Actor, dep: str) -> None:
    with session_scope(engine()) as session:
        texts = syntheses.textes_synthese(session, actor=actor, departement_code=dep)
        from q2030.coverage import qpv_non_couverts

        uncovered = qpv_non_couverts(session, actor=actor, departement_code=dep)
    with st.form(key=f"sy_textes_{dep}"):
        enseignements = st.text_area(
            "Enseignements principaux",
            value=texts.enseignements,
            height=160,
            key=f"sy_enseignements_{dep}_{texts.version}",
        )
        vigilance = st.text_area(
            "Spécificités et points de vigilance",
            value=texts.vigilance,
            height=160,
            key=f"sy_vigilance_{dep}_{texts.version}",
        )
        motifs: dict[str, str] = {}
        edited = None
        if len(uncovered):
            st.markdown(
                "**Quartiers sans rencontre tenue : pourquoi ?** (colonne « Raison », reprise dans la synthèse)"
            )
            reasons = pd.DataFrame(
                {
                    "Code": uncovered["qpv_code"],
                    "Quartier": uncovered["qpv_nom"],
                    "Statut": uncovered["statut_libelle"],
                    "Raison": [texts.motifs.get(code, "") for code in uncovered["qpv_code"]],
                }
            )
            edited = st.data_editor(
                reasons,
                hide_index=True,
                width="stretch",
                disabled=["Code", "Quartier", "Statut"],
                column_config={"Raison": st.column_config.TextColumn("Raison", max_chars=syntheses.MAX_MOTIF)},
                key=f"sy_motifs_{dep}_{texts.version}",
            )
        saved = st.form_submit_button("Enregistrer les textes")
    if texts.version:
        st.caption(f"Version {texts.version}, enregistrée le {fr_date(texts.modifie_le)} par {texts.modifie_par}.")
    if saved:
        if edited is not None:
            motifs = {
                str(c): "" if pd.isna(r) else str(r) for c, r in zip(edited["Code"], edited["Raison"], strict=True)
            }
        _run(
            lambda s: syntheses.enregistrer_textes(
                s,
                actor=actor,
                departement_code=dep,
                enseignements=enseignements,
                vigilance=vigilance,
                motifs={**texts.motifs, **motifs},
                version=texts.version,
            ),
            "Textes de la synthèse enregistrés.",
            f"sy_textes_{dep}",
        )
    notices.a_cote(f"sy_textes_{dep}")


def _signataire(actor: Actor, dep: str) -> None:
    """Name and title printed in the signature block of the synthèse and the letters."""
    with session_scope(engine()) as session:
        current = signataires.signataire(session, actor=actor, departement_code=dep)
    with st.form(key=f"sy_signataire_{dep}"):
        st.markdown("**Signataire des documents** (synthèse départementale, synthèses aux participants)")
        left, right = st.columns(2)
        nom = left.text_input(
            "Nom du signataire", value=current.nom, max_chars=signataires.MAX_NOM,
            key=f"sy_sig_nom_{dep}_{current.version}",
        )  # fmt: skip
        titre = right.text_input(
            "Titre du signataire",
            value=current.titre or signataires.titre_par_defaut(dep),
            max_chars=signataires.MAX_TITRE,
            key=f"sy_sig_titre_{dep}_{current.version}",
        )
        saved = st.form_submit_button("Enregistrer le signataire")
    if current.version:
        st.caption(f"Enregistré le {fr_date(current.modifie_le)} par {current.modifie_par}.")
    if saved:
        _run(
            lambda s: signataires.enregistrer_signataire(
                s, actor=actor, departement_code=dep, nom=nom, titre=titre, version=current.version
            ),
            "Signataire enregistré.",
            f"sy_signataire_{dep}",
        )
    notices.a_cote(f"sy_signataire_{dep}")


def _prefecture_region(
    actor: Actor, dep: str, view: syntheses.SyntheseView, history: list[syntheses.VersionDocument]
) -> None:
    notices.a_cote(f"sy_region_{dep}")  # where the forms were (they go once the synthèse moves on)
    if view.statut != "transmise_region":
        st.caption("Rien à traiter : la synthèse n'est pas en attente à la préfecture de région.")
        return
    current = next(
        (v for v in history if v.transmis_region_le and not v.renvoye_le and not v.transmis_commission_le), None
    )
    if current is not None:
        st.download_button(
            f"Télécharger la version transmise « {escape_markdown(current.nom_fichier)} »",
            partial(_version_bytes, actor, current.id),
            file_name=current.nom_fichier,
            mime=current.type_mime,
            key=f"sy_region_download_{dep}",
            on_click="ignore",
        )
    else:  # forwarding would be refused: say what is missing before anyone tries
        st.warning(syntheses.MANQUE_DOCUMENT)
    forward, back = st.columns(2)
    with forward.form(key=f"sy_commission_{dep}"):
        day = st.date_input(
            "Date de transmission à la commission",
            value=clock.today(),
            format="DD/MM/YYYY",
            key=f"sy_date_commission_{dep}",
        )
        sent = st.form_submit_button("Transmettre à la commission et à l'ANCT", type="primary")
    with back.form(key=f"sy_renvoi_{dep}"):
        comment = st.text_area("Ce qui est à reprendre", key=f"sy_commentaire_{dep}")
        returned = st.form_submit_button("Renvoyer au département (à reprendre)")
    if sent:
        _run(
            lambda s: syntheses.enregistrer_etape(
                s, actor=actor, departement_code=dep, etape="transmise_commission", date=day, version=view.version
            ),
            "Synthèse transmise à la commission et à l'ANCT.",
            f"sy_region_{dep}",
        )
    if returned:
        _run(
            lambda s: syntheses.renvoyer(
                s, actor=actor, departement_code=dep, commentaire=comment, version=view.version
            ),
            "Synthèse renvoyée au département.",
            f"sy_region_{dep}",
        )


def _history(actor: Actor, dep: str, history: list[syntheses.VersionDocument]) -> None:
    if not history:
        return
    st.markdown("**Versions du document**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Version": v.numero,
                    "Fichier": v.nom_fichier,
                    "Déposée le": fr_date(v.depose_le),
                    "Par": v.depose_par,
                    "État": v.etat,
                    "Transmise à la région le": fr_date(v.transmis_region_le),
                    "Renvoyée le": fr_date(v.renvoye_le),
                    "Commentaire du renvoi": v.commentaire_retour,
                    "Transmise à la commission le": fr_date(v.transmis_commission_le),
                }
                for v in history
            ]
        ),
        hide_index=True,
        width="stretch",
        key=f"sy_history_{dep}",
    )
    chosen = st.selectbox(
        "Télécharger une version",
        [v.id for v in history],
        format_func=lambda i: next(f"v{v.numero} — {v.nom_fichier}" for v in history if v.id == i),
        key=f"sy_history_choice_{dep}",
    )
    picked = next(v for v in history if v.id == chosen)
    st.download_button(
        f"Télécharger la version {picked.numero}",
        partial(_version_bytes, actor, picked.id),
        file_name=picked.nom_fichier,
        mime=picked.type_mime,
        key=f"sy_history_download_{dep}",
        on_click="ignore",
    )


# --- The commission's page -----------------------------------------------------------------------------


def render_syntheses(actor: Actor) -> None:
    st.title("Synthèses départementales")
    national = lit_tout(actor)
    scope = "France entière" if national else f"région {REGIONS.get(actor.region_code or '', '')}"
    frame = _tableau(actor, data_version())
    available = frame[frame["document_id"].notna()]
    st.caption(
        f"{scope} : {fr_number(len(frame))} départements ; {fr_count(len(available), 'document')} de synthèse "
        + ("transmis à la commission." if national else "transmis à la préfecture de région.")
        + " Les étapes enregistrées sans document (avant l'application) apparaissent dans le statut."
    )
    shown = pd.DataFrame(
        {
            "Code": frame["code"],
            "Département": frame["nom"],
            "Région": frame["region_code"].map(lambda c: REGIONS.get(c, c)),
            "Statut": frame["synthese_statut_libelle"],
            "Transmise à la région le": frame["synthese_transmise_region_le"].map(fr_date),
            "Transmise à la commission le": frame["synthese_transmise_commission_le"].map(fr_date),
            "En retard": frame["synthese_en_retard"].map({True: "oui", False: "non"}),
            "Document": frame["document_nom"],
            "Version": frame["document_numero"].map(lambda n: "" if pd.isna(n) else f"v{int(n)}"),
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch", key="sy_liste")
    if len(available):
        st.download_button(
            f"Télécharger toutes les synthèses (ZIP, {fr_count(len(available), 'fichier')})",
            partial(_zip, actor),
            file_name="syntheses-departementales.zip",
            mime="application/zip",
            key="sy_zip",
            type="primary",
            on_click="ignore",
        )
        codes = list(available["code"])
        dep = st.selectbox(
            "Télécharger la synthèse d'un département",
            codes,
            format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
            key="sy_choix",
        )
        row = available.set_index("code").loc[dep]
        st.download_button(
            f"Télécharger « {escape_markdown(str(row['document_nom']))} »",
            partial(_version_bytes, actor, int(row["document_id"])),
            file_name=f"{dep}-{row['document_nom']}",
            key="sy_one",
            on_click="ignore",
        )
    else:
        st.info("Aucun document de synthèse n'a encore été transmis à votre niveau.")
    if any(allowed(actor, Action.INSTRUIRE_SYNTHESE, DepartementCible(code)) for code in frame["code"]):
        st.divider()
        dep = st.selectbox(
            "Traiter la synthèse d'un département",
            list(frame["code"]),
            format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
            key="sy_traiter",
        )
        synthese_panel(actor, dep)


# --- A rencontre's letter to its participants -------------------------------------------------------------


def render_lettre_participants(actor: Actor, rencontre_id: int, statut: str, envoyee_le: dt.date | None) -> None:
    if statut != StatutRencontre.TENUE:
        return
    st.subheader("Synthèse aux participants")
    st.caption(
        "Un courrier d'une à deux pages : la rencontre, qui est venu, ce qui a été dit (par axe, dans l'ordre de "
        "la rencontre) et la suite. Ouvrez-le pour le relire avant de l'envoyer ; enregistrez ensuite la date "
        "d'envoi (« Synthèse envoyée le » de la rencontre)."
        + (f" Envoyée le {fr_date(envoyee_le)}." if envoyee_le else "")
    )
    _docx_odt_buttons(
        ("Rédiger la synthèse aux participants (DOCX)", "Rédiger la synthèse aux participants (ODT)"),
        partial(_letter, actor, rencontre_id),
        stem=f"synthese-rencontre-{rencontre_id}",
        keys=(f"lp_docx_{rencontre_id}", f"lp_odt_{rencontre_id}"),
    )


def _docx_odt_buttons(
    labels: tuple[str, str], build: Callable[[str], bytes], *, stem: str, keys: tuple[str, str]
) -> None:
    """The same document offered side by side in DOCX and ODT, built only when clicked."""
    formats = (("docx", DOCX), ("odt", ODT))
    for column, label, (fmt, mime), key in zip(st.columns(2), labels, formats, keys, strict=True):
        column.download_button(
            label, partial(build, fmt), file_name=f"{stem}.{fmt}", mime=mime, key=key, on_click="ignore"
        )
