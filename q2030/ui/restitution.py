"""Agents' side of the restitution publique: publishing comptes rendus, recording
engagements, engagements per theme (Priorités), themes without engagement and the open data
download (Vue nationale). The public page itself is `q2030.ui.public`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from q2030 import clock, documents, engagements, open_data, public, syntheses
from q2030.access import Action, Actor, DepartementCible, allowed
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_date, fr_number, parse_fr_date
from q2030.frontieres import CelluleBrute
from q2030.nomenclature import STATUTS_ENGAGEMENT, THEMES, label, theme_label
from q2030.referentiel import DEPARTEMENTS
from q2030.ui import notices
from q2030.ui.shell import data_version, engine, show_error

# --- Publication of a compte rendu (Rencontres page) ---------------------------------------


def publication_controls(actor: Actor, document_id: int, publie_le: CelluleBrute, writer: bool) -> None:
    """ "Publié le …" or "Non publié", and for the référent the "Publier" / "Retirer" button."""
    published = publie_le is not None and not pd.isna(publie_le)
    status = f"Publié sur la page publique le {fr_date(publie_le)}" if published else "Non publié (interne)"
    if not writer:
        st.caption(status)
        return
    left, right = st.columns([3, 1])
    left.caption(status)
    action = "Retirer" if published else "Publier"
    if right.button(action, key=f"rd_publish_{document_id}", help=_HELP[action]):
        try:
            with session_scope(engine()) as session:
                service = documents.retirer_document if published else documents.publier_document
                service(session, actor=actor, document_id=document_id)
        except Q2030Error as error:
            show_error(error)
            return
        st.rerun()


_HELP = {
    "Publier": "Le compte rendu devient téléchargeable sans connexion sur la page « Restitution publique ».",
    "Retirer": "Le compte rendu n'est plus servi aux visiteurs non connectés.",
}


def synthese_publication(actor: Actor, dep: str) -> None:
    """A département's detail: publish a version of the synthèse départementale on the public
    page. Lists only the versions the actor sees (access.versions_de_synthese_lues: no draft
    above the référent before it is transmitted)."""
    with session_scope(engine()) as session:
        rows = syntheses.versions(session, actor=actor, departement_code=dep)
    if not rows:
        return
    st.subheader("Publication de la synthèse départementale")
    writer = allowed(actor, Action.REDIGER_SYNTHESE, DepartementCible(dep))
    for version in rows:
        document_id, published = version.id, version.publie_le is not None
        status = f"publiée le {fr_date(version.publie_le)}" if published else "non publiée"
        left, right = st.columns([3, 1])
        left.text(f"Version {version.numero} — {version.nom_fichier} : {status}")
        if not writer:
            continue
        action = "Retirer" if published else "Publier"
        if right.button(
            action, key=f"sd_publish_{document_id}", help=_HELP[action].replace("compte rendu", "synthèse")
        ):
            try:
                with session_scope(engine()) as session:
                    service = documents.retirer_synthese if published else documents.publier_synthese
                    service(session, actor=actor, document_id=document_id)
            except Q2030Error as error:
                show_error(error)
                return
            st.rerun()


# --- Engagements (Mon département, Ma région) -----------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _engagements(dep: str, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return engagements.list_engagements(session, departement_code=dep)


@st.cache_data(show_spinner=False, max_entries=64)
def _quartiers(dep: str, version: int) -> dict[str, str]:
    with session_scope(engine()) as session:
        return public.quartiers(session, departement_code=dep)


def _parse_jalons(text: str) -> list[dict[str, dt.date | str | None]]:
    """One milestone a line: "JJ/MM/AAAA étape" or just "étape"."""
    out: list[dict[str, dt.date | str | None]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        head, _, rest = line.partition(" ")
        try:
            out.append({"date": parse_fr_date(head), "texte": rest.strip()})
        except (ValueError, Q2030Error):
            out.append({"date": None, "texte": line})
    return out


def _jalons_text(jalons: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{fr_date(dt.date.fromisoformat(j['date']))} {j['texte']}" if j["date"] else j["texte"] for j in jalons
    )


def engagements_section(actor: Actor, dep: str, region_of_dep: str) -> None:
    """List of the département's engagements and, for who may write, the form."""
    st.header("Engagements : ce que nous avons fait de leur parole")
    st.caption(
        "Tout ce qui est saisi ici (titre, texte, statut, dates, jalons, thèmes, quartiers) est public : il "
        "s'affiche sur la page « Restitution publique » et dans les données ouvertes."
    )
    version = data_version()
    frame = _engagements(dep, version)
    if frame.empty:
        st.info("Aucun engagement enregistré pour ce département.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "N°": frame["id"],
                    "Titre": frame["titre"],
                    "Statut": frame["statut"].map(lambda s: label(STATUTS_ENGAGEMENT, s)),
                    "Début": frame["date_debut"].map(fr_date),
                    "Fin": frame["date_fin"].map(fr_date),
                    "Thèmes": frame["themes"].map(lambda ts: ", ".join(theme_label(t) for t in ts)),
                    "Quartiers": frame["quartiers"].map(", ".join),
                }
            ),
            hide_index=True,
            width="stretch",
            key="eg_list",
        )
    if not allowed(actor, Action.ECRIRE_ENGAGEMENTS, DepartementCible(dep)):
        return
    choices = {0: "Nouvel engagement", **{int(r.id): f"n° {r.id} – {r.titre}" for r in frame.itertuples()}}
    chosen = st.selectbox("Engagement à saisir", list(choices), format_func=choices.__getitem__, key="eg_choice")
    current = frame[frame["id"] == chosen].iloc[0] if chosen else None
    quartiers = _quartiers(dep, version)
    suffix = f"{chosen}_{0 if current is None else current['version']}"  # fresh widgets per version
    with st.form(f"eg_form_{suffix}"):
        titre = st.text_input(
            "Titre", value="" if current is None else current["titre"], max_chars=200, key=f"eg_titre_{suffix}"
        )
        statut = st.selectbox(
            "Statut",
            list(STATUTS_ENGAGEMENT),
            index=0 if current is None else list(STATUTS_ENGAGEMENT).index(current["statut"]),
            format_func=STATUTS_ENGAGEMENT.__getitem__,
            key=f"eg_statut_{suffix}",
        )
        themes = st.multiselect(
            "Thèmes auxquels il répond",
            list(THEMES),
            default=[] if current is None else current["themes"],
            format_func=theme_label,
            key=f"eg_themes_{suffix}",
            select_all=False,
        )
        qpv = st.multiselect(
            "Quartiers concernés (aucun : tout le département)",
            list(quartiers),
            default=[] if current is None else [q for q in current["quartiers"] if q in quartiers],
            format_func=lambda c: f"{quartiers[c]} ({c})",
            key=f"eg_qpv_{suffix}",
            filter_mode="contains",
            select_all=False,
        )
        columns = st.columns(2)
        debut = columns[0].date_input(
            "Date de début",
            value=None if current is None else current["date_debut"],
            format="DD/MM/YYYY",
            key=f"eg_debut_{suffix}",
        )
        fin = columns[1].date_input(
            "Date de fin",
            value=None if current is None else current["date_fin"],
            format="DD/MM/YYYY",
            key=f"eg_fin_{suffix}",
        )
        texte = st.text_area(
            "Texte public (2 000 caractères au plus)",
            value="" if current is None else current["texte_public"],
            max_chars=2000,
            key=f"eg_texte_{suffix}",
        )
        jalons = st.text_area(
            "Jalons, un par ligne : « JJ/MM/AAAA étape »",
            value="" if current is None else _jalons_text(current["jalons"]),
            key=f"eg_jalons_{suffix}",
        )
        submitted = st.form_submit_button("Enregistrer l'engagement", type="primary", key=f"eg_save_{suffix}")
        notices.a_cote(f"eg_save_{dep}")
    if not submitted:
        return
    data = {
        "titre": titre,
        "statut": statut,
        "themes": themes,
        "qpv_codes": qpv,
        "date_debut": debut,
        "date_fin": fin,
        "texte_public": texte,
        "jalons": _parse_jalons(jalons),
    }
    try:
        with session_scope(engine()) as session:
            if current is None:
                engagements.create_engagement(session, actor=actor, departement_code=dep, data=data)
            else:
                engagements.update_engagement(
                    session, actor=actor, engagement_id=int(chosen), version=int(current["version"]), data=data
                )
    except Q2030Error as error:
        show_error(error)
        return
    notices.annoncer(f"eg_save_{dep}", f"Engagement « {titre.strip()} » enregistré.")  # shown under the button
    st.rerun()


# --- Priorités and Vue nationale --------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _par_theme(dep: str | None, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return engagements.engagements_par_theme(session, departement_code=dep)


def engagements_by_theme(departement: str | None) -> None:
    """Priorités: how many engagements answer each theme (département filter, or national)."""
    frame = _par_theme(departement, data_version())
    where = f"dans le département {DEPARTEMENTS[departement][0]}" if departement in DEPARTEMENTS else "en France"
    st.subheader(f"Engagements qui répondent à chaque thème ({where})")
    if frame.empty:
        st.info("Aucun engagement enregistré pour le moment.")
        return
    st.dataframe(
        pd.DataFrame({"Thème": frame["theme"].map(theme_label), "Engagements": frame["engagements"]}),
        hide_index=True,
        width="stretch",
        key="eg_par_theme",
    )


SANS_ENGAGEMENT_MINIMUM = 20  # contributions: below, a theme is not "very cited"


@st.cache_data(show_spinner=False, max_entries=8)
def _sans_engagement(version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return engagements.themes_sans_engagement(session, minimum=SANS_ENGAGEMENT_MINIMUM)


def themes_without_engagement() -> None:
    st.header("Thèmes très cités sans engagement")
    frame = _sans_engagement(data_version())
    st.caption(
        f"Thèmes cités dans au moins {SANS_ENGAGEMENT_MINIMUM} contributions des rencontres tenues et auxquels "
        "aucun engagement (hors abandonnés) ne répond encore."
    )
    if frame.empty:
        st.success("Chaque thème très cité a au moins un engagement.")
        return
    st.dataframe(
        pd.DataFrame({"Thème": frame["libelle"], "Contributions": frame["contributions"].map(fr_number)}),
        hide_index=True,
        width="stretch",
        key="eg_sans_engagement",
    )


def open_data_download() -> None:
    st.header("Données ouvertes")
    st.caption(
        "Rencontres sans donnée personnelle, couverture par QPV, priorités par département et par QPV (à partir "
        f"de {public.SEUIL_CONTRIBUTIONS} contributions par thème), engagements : fichiers CSV et description "
        "Frictionless (datapackage.json), prêts pour data.gouv.fr. Aussi : "
        "`python -m q2030 export-donnees-ouvertes DOSSIER`."
    )

    def build() -> bytes:
        with session_scope(engine()) as session:
            return open_data.zip_bytes(session)

    st.download_button(
        "Télécharger les données ouvertes (ZIP)",
        build,
        file_name=f"quartiers-2030-donnees-ouvertes-{clock.today():%Y-%m-%d}.zip",
        mime="application/zip",
        key="od_download",
        on_click="ignore",
    )
