"""Widgets of the "Rencontres" page: list, form, documents, contributions.

The form is an `st.form` whose submit runs a callback: the service validates, and a refused
save is recorded in the form's state (`EtatFormulaire`, one session-state key: the meeting
open, the version read when it was opened, the draft typed, the messages, what the save waits
for), so the next run draws each message under its field while every widget keeps what the
user typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from q2030 import clock, contributions, documents
from q2030.access import Action, Actor, RencontreCible, allowed, departements_lus, lecture
from q2030.csv_export import to_csv
from q2030.db import session_scope
from q2030.errors import ConflitDeVersion, PermissionRefusee, Q2030Error, ValidationError
from q2030.formatting import fr_count, fr_date, fr_number
from q2030.frontieres import ValeurChamp
from q2030.models import stored_id
from q2030.nomenclature import (
    ACCESSIBILITE,
    AXES,
    FORMATS,
    ORGANISATEURS,
    PERIMETRES,
    PUBLICS,
    STATUTS_RENCONTRE,
    THEMES,
    TYPES_LIEU,
    VALIDATIONS_RENCONTRE,
    Perimetre,
    StatutRencontre,
    label,
)
from q2030.referentiel import DEPARTEMENTS
from q2030.rencontres.avertissements import avertissement_prevue, avertissements
from q2030.rencontres.doublons import DoublonProbable
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, delete_rencontre, update_rencontre
from q2030.rencontres.lecture import form_choices, get_rencontre, list_rencontres
from q2030.rencontres.saisie import BOOLEANS, CHOICES, COUNTS, LABELS
from q2030.ui import notices, params, restitution
from q2030.ui.formulaire_rencontre import NOUVELLE, EtatFormulaire
from q2030.ui.shell import data_version, engine, escape_markdown, show_error
from q2030.ui.synthese import render_lettre_participants
from q2030.ui.tables import show_table

NEW = NOUVELLE  # choice of the "new rencontre" entry in the selector
F = EtatFormulaire  # the form's widget keys: F.cle("lieu"), F.CHOIX, F.ENVOI…
LIST_FILTERS = ("rl_qpv", "rl_statut", "rl_mois")  # the list's filters (a link clears them)


def etat_formulaire() -> EtatFormulaire:
    """The form's state of this session (a new one at the first visit, or after a reload of
    this module changed the class)."""
    etat = st.session_state.get(F.CLE)
    if not isinstance(etat, EtatFormulaire):
        etat = st.session_state[F.CLE] = EtatFormulaire()
    return etat


# --- Cached read models (plain values only) ----------------------------------------------


@st.cache_data(show_spinner=False)
def _list(actor: Actor, dep: str, qpv: str | None, statut: str | None, month: str | None, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return list_rencontres(session, actor=actor, departement_code=dep, qpv_code=qpv, statut=statut, month=month)


@st.cache_data(show_spinner=False)
def _choices(dep: str, version: int) -> dict[str, list[tuple[str, str]]]:
    with session_scope(engine()) as session:
        return form_choices(session, departement_code=dep)


@st.cache_data(show_spinner=False)
def _values(actor: Actor, rencontre_id: int, version: int) -> dict[str, ValeurChamp]:
    with session_scope(engine()) as session:
        return get_rencontre(session, actor=actor, rencontre_id=rencontre_id)


@st.cache_data(show_spinner=False)
def _contributions(actor: Actor, rencontre_id: int, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return contributions.list_contributions(session, actor=actor, rencontre_id=rencontre_id)


@st.cache_data(show_spinner=False)
def _documents(actor: Actor, rencontre_id: int, version: int) -> pd.DataFrame:
    with session_scope(engine()) as session:
        return documents.list_documents(session, actor=actor, rencontre_id=rencontre_id)


def _document_bytes(actor: Actor, document_id: int) -> bytes:
    with session_scope(engine()) as session:
        return documents.read_document(session, actor=actor, document_id=document_id)[1]


# --- Page "Rencontres" -------------------------------------------------------------------


def render_rencontres(actor: Actor) -> None:
    st.title("Rencontres")
    scope = lecture(actor)
    # An organiser works in its département, on its organisation's meetings only.
    deps = [scope.departement_code] if scope.organisation and scope.departement_code else departements_lus(actor)
    if not deps:
        st.error("Aucun département n'est associé à votre compte.")
        return
    _apply_link(actor, deps)
    dep = st.selectbox(
        "Département",
        deps,
        format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
        key="rl_departement",
        placeholder="Choisir…",
    )
    writer = allowed(actor, Action.ECRIRE_RENCONTRE, RencontreCible(dep, actor.organisation))
    if scope.organisation:
        st.caption(
            f"Rencontres de {scope.organisation}. Chaque rencontre que vous déclarez ou modifiez est validée par le "
            "référent du département avant de compter dans le suivi de la concertation."
        )
    if not writer:
        st.info("Consultation seule : seul le référent du département saisit ses rencontres.")
    version = data_version()
    frame = _render_list(actor, dep, version)
    st.divider()
    rencontre_id = _selector(actor, frame, writer, version)
    link_notice = etat_formulaire().prendre_avis()
    with st.container(key=F.BLOC):  # what a link opened: brought into view, its notice first
        if link_notice:
            st.info(escape_markdown(link_notice))
            notices.faire_defiler(F.BLOC)
        if writer:
            _render_form_block(actor, dep, rencontre_id, version, unfold=bool(link_notice))
        elif rencontre_id:
            _render_readonly(actor, rencontre_id, version)
    if rencontre_id:
        _render_documents(actor, rencontre_id, writer, version)
        _render_contributions(actor, rencontre_id, writer, version)
        details = _values(actor, rencontre_id, version)
        render_lettre_participants(actor, rencontre_id, details.get("statut", ""), details.get("synthese_envoyee_le"))
        if writer:
            _render_cancel(actor, rencontre_id, version)
        if allowed(actor, Action.SUPPRIMER_RENCONTRE, RencontreCible(dep)):
            _render_delete(actor, rencontre_id)


def _apply_link(actor: Actor, deps: list[str]) -> None:
    """Open what a link from another page asked for, once, then clear the address.

    `?rencontre=12` selects that rencontre in the form; `?planifier=QN09301M` starts a new
    planned rencontre on that quartier; `?departement=93` picks the département (Mon
    département, Ma région and the home page link here)."""
    names = ("rencontre", "planifier", "departement")
    if not any(params.present(name) for name in names):
        return
    asked = params.entier("rencontre") if params.present("rencontre") else None
    bad_rencontre = params.present("rencontre") and asked is None
    planifier, dep = params.code("planifier"), params.code("departement")
    params.retirer(*names)
    state, etat = st.session_state, etat_formulaire()
    if dep in deps:
        state["rl_departement"] = dep
    dep = state.get("rl_departement") or deps[0]
    state.update(dict.fromkeys(LIST_FILTERS))  # a filter could hide the rencontre asked for
    version = data_version()
    if asked is not None or bad_rencontre:
        if asked is not None and asked in {int(i) for i in _list(actor, dep, None, None, None, version)["id"]}:
            state[F.CHOIX] = asked
            _open(actor, asked, version)
            etat.avis = f"Rencontre n° {asked} ouverte ci-dessous."
        else:  # unknown, out of scope or malformed: the same answer
            etat.avis = "La rencontre demandée est introuvable dans ce département."
    elif planifier and allowed(actor, Action.ECRIRE_RENCONTRE, RencontreCible(dep, actor.organisation)):
        quartiers = dict(_choices(dep, version)["qpv"])
        if planifier in quartiers:
            state[F.CHOIX] = NEW
            etat.ouvrir_creation(statut=StatutRencontre.PREVUE, perimetre=Perimetre.QUARTIER, qpv_codes=[planifier])
            etat.avis = (
                f"Nouvelle rencontre prévue pour {quartiers[planifier]} : complétez la date et le lieu, puis "
                "enregistrez."
            )


def _render_list(actor: Actor, dep: str, version: int) -> pd.DataFrame:
    everything = _list(actor, dep, None, None, None, version)
    names = dict(_choices(dep, version)["qpv"])
    columns = st.columns(3)
    qpv = columns[0].selectbox(
        "Quartier",
        list(names),
        format_func=lambda c: f"{c} – {names[c]}",
        index=None,
        placeholder="Tous les quartiers",
        key="rl_qpv",
    )
    statut = columns[1].selectbox(
        "Statut",
        list(STATUTS_RENCONTRE),
        format_func=STATUTS_RENCONTRE.__getitem__,
        index=None,
        placeholder="Tous les statuts",
        key="rl_statut",
    )
    months = sorted({f"{d:%Y-%m}" for d in everything["date"]}, reverse=True)
    month = columns[2].selectbox(
        "Mois",
        months,
        format_func=lambda m: f"{m[5:]}/{m[:4]}",
        index=None,
        placeholder="Tous les mois",
        key="rl_mois",
    )
    frame = _list(actor, dep, qpv, statut, month, version) if (qpv or statut or month) else everything
    complete = int(frame["chaine_complete"].sum())
    st.caption(
        f"{fr_count(len(frame), 'rencontre')} ; chaîne de compte rendu complète pour {fr_number(complete)} "
        "(tenue, compte rendu déposé, synthèse envoyée, contributions saisies)."
    )
    shown = listing_table(frame, for_csv=False)
    show_table(shown, key="rl_table", empty="Aucune rencontre pour ces critères.")
    st.download_button(
        "Télécharger la liste (CSV)",
        partial(listing_csv, frame),  # built on click
        file_name=f"rencontres-{dep}.csv",
        mime="text/csv",
        key="rl_csv",
        on_click="ignore",
    )
    return everything


def listing_table(frame: pd.DataFrame, *, for_csv: bool) -> pd.DataFrame:
    """The list of rencontres with French headers: formatted for the screen, raw for the CSV."""
    return pd.DataFrame(
        {
            "N°": frame["id"],
            "Date": frame["date"] if for_csv else frame["date"].map(fr_date),
            "Statut": frame["statut"].map(lambda s: label(STATUTS_RENCONTRE, s)),
            "Lieu": frame["lieu"],
            "Quartiers": frame["quartiers"],
            "Participants": frame["participants"].astype("Int64")
            if for_csv
            else frame["participants"].map(lambda n: "" if pd.isna(n) else fr_number(n)),
            "Compte rendu": frame["comptes_rendus"] > 0,
            "Synthèse envoyée le": frame["synthese_envoyee_le"]
            if for_csv
            else frame["synthese_envoyee_le"].map(lambda d: fr_date(d) if pd.notna(d) else ""),
            "Contributions": frame["contributions"],
            "Validation": frame["validation"].map(lambda v: label(VALIDATIONS_RENCONTRE, v)),
            "Organisation": frame["organisation"].fillna(""),
            "Chaîne complète": frame["chaine_complete"],
        }
    )


def listing_csv(frame: pd.DataFrame) -> bytes:
    """The Rencontres list as CSV (q2030.csv_export: user text neutralised, dates 31/07/2023)."""
    return to_csv(listing_table(frame, for_csv=True))


def _selector(actor: Actor, frame: pd.DataFrame, writer: bool, version: int) -> int:
    options = ([NEW] if writer else []) + [int(i) for i in frame["id"]]
    if not options:
        st.info("Aucune rencontre enregistrée pour ce département.")
        return NEW
    # Each label built once, column by column: a pandas row lookup per option cost 40 ms a run.
    labels = {NEW: "Nouvelle rencontre"} | {
        int(rid): f"n° {rid} – {fr_date(day)} – {label(STATUTS_RENCONTRE, statut)} – {lieu}"
        for rid, day, statut, lieu in zip(frame["id"], frame["date"], frame["statut"], frame["lieu"], strict=True)
    }

    state, etat = st.session_state, etat_formulaire()
    if state.get(F.CHOIX) not in options:
        # Back from another page (Streamlit forgot this page's widgets): the rencontre the form
        # was open on, with what was typed in it; otherwise the first choice.
        back = F.CHOIX not in state and etat.rencontre_id in options
        state[F.CHOIX] = etat.rencontre_id if back else options[0]
        if not (back and etat.modifie):
            _open(actor, int(state[F.CHOIX]), version)
    return int(
        st.selectbox(
            "Rencontre à consulter" if not writer else "Rencontre à saisir ou modifier",
            options,
            format_func=labels.__getitem__,
            key=F.CHOIX,
            on_change=_on_choice,
            args=(actor,),
            placeholder="Choisir…",
        )
    )


def _on_choice(actor: Actor) -> None:
    _open(actor, int(st.session_state[F.CHOIX]), data_version())
    st.session_state[F.DEPLIE] = True  # a rencontre chosen (or « Nouvelle rencontre »): to be typed in


def _on_reload(actor: Actor) -> None:
    """After a conflict: the stored version, read now (what was typed is replaced, as asked)."""
    _open(actor, etat_formulaire().rencontre_id, data_version())


def _open(actor: Actor, rencontre_id: int, version: int) -> None:
    """Open the form on a rencontre as the service reads it, with the version of that reading
    (the one its next save sends), or on a new rencontre."""
    etat = etat_formulaire()
    if rencontre_id == NEW:
        etat.ouvrir_creation()
        return
    stored = _values(actor, rencontre_id, version)
    etat.ouvrir(rencontre_id, stored, version=int(stored["version"]))


def _submit(actor: Actor, force: bool = False) -> None:
    etat = etat_formulaire()
    etat.retenir(st.session_state)
    if force and not etat.doublon_a_confirmer():  # a stale « Enregistrer quand même »
        return
    try:
        with session_scope(engine()) as session:
            if etat.version is None:  # opened for creation
                saved = create_rencontre(session, actor=actor, data=etat.saisie(), allow_duplicate=force)
            else:  # the version read when the form was opened, or returned by its last save
                saved = update_rencontre(
                    session,
                    actor=actor,
                    rencontre_id=etat.rencontre_id,
                    version=etat.version,
                    data=etat.saisie(),
                    allow_duplicate=force,
                )
            saved_id, saved_version = stored_id(saved), saved.version
            stored = get_rencontre(session, actor=actor, rencontre_id=saved_id)  # as written
            warnings = avertissements(saved)
    except DoublonProbable as error:
        etat.doublon_probable(error.errors)
        return
    except ValidationError as error:
        etat.refusee(error.errors)
        return
    except ConflitDeVersion as error:
        etat.conflit(str(error))
        return
    except (PermissionRefusee, Q2030Error) as error:
        etat.refusee({"": [str(error)]})
        return
    st.session_state[F.CHOIX] = saved_id
    etat.enregistree(saved_id, stored, version=saved_version)
    notices.annoncer(F.ENVOI, f"Rencontre n° {saved_id} enregistrée.")
    for warning in warnings:  # saved, but something is still asked (a past « prévue »)
        notices.annoncer(F.ENVOI, warning, "warning")


def _field_errors(name: str) -> None:
    # Messages quote what was typed (a duplicate's place, a QPV code): literal, not Markdown.
    for message in etat_formulaire().erreurs.get(name, []):
        st.error(escape_markdown(message))


def _render_form_block(actor: Actor, dep: str, rencontre_id: int, version: int, *, unfold: bool) -> None:
    """The form in an expander, drawn only once unfolded. Folded when one arrives on the page for
    a new rencontre; unfolded when a link opened it, when one comes back to a form being edited
    or typed in, and when a rencontre is chosen in the selector (`_on_choice`)."""
    state, etat = st.session_state, etat_formulaire()
    if F.DEPLIE not in state:  # first run of this visit: Streamlit forgot the page's widgets
        etat.dessine = False
        unfold = unfold or rencontre_id != NEW or etat.modifie or bool(etat.erreurs)
    # Said again at every run: the expander's label is part of its identity for Streamlit, so a new
    # title (« Nouvelle rencontre » saved, now « Modifier la rencontre n° 12 ») would fold it.
    state[F.DEPLIE] = unfold or bool(state.get(F.DEPLIE))
    title = "Nouvelle rencontre" if rencontre_id == NEW else f"Modifier la rencontre n° {rencontre_id}"
    block = st.expander(title, key=F.DEPLIE, on_change="rerun")
    with block:
        if block.open or etat.dessine:
            etat.dessine = True
            _render_form(actor, dep, rencontre_id, version)


def _render_form(actor: Actor, dep: str, rencontre_id: int, version: int) -> None:
    etat = etat_formulaire()
    if etat.rencontre_id != rencontre_id:
        _open(actor, rencontre_id, version)
    etat.synchroniser(st.session_state)  # before any widget of the form is drawn
    errors = etat.erreurs
    if errors:
        st.error("La rencontre n'a pas été enregistrée : corrigez les champs signalés ci-dessous.")
        _field_errors("")
        _field_errors("conflit")
        if etat.en_conflit():
            st.button("Recharger la version enregistrée", key=F.RECHARGER, on_click=_on_reload, args=(actor,))
        _field_errors("doublons")
        if etat.doublon_a_confirmer():
            st.button("Enregistrer quand même", key=F.FORCER, on_click=_submit, args=(actor, True))
    choices = _choices(dep, version)
    perimetre = st.radio(
        LABELS["perimetre"],
        list(PERIMETRES),
        format_func=PERIMETRES.__getitem__,
        horizontal=True,
        key=F.cle("perimetre"),
        help="Une rencontre à l'échelle d'une commune ou d'une intercommunalité couvre tous ses quartiers.",
    )
    _field_errors("perimetre")
    with st.form(F.FORMULAIRE, border=True):
        if perimetre == Perimetre.QUARTIER:
            names = dict(choices["qpv"])
            st.multiselect(
                LABELS["qpv_codes"],
                list(names),
                format_func=lambda c: f"{c} – {names.get(c, c)}",
                key=F.cle("qpv_codes"),
                placeholder="Choisissez un ou plusieurs quartiers",
                filter_mode="contains",  # « QN0930 » or a name: a substring, never a scattered subsequence
                select_all=False,  # Enter adds the first match, never every match
            )
            _field_errors("qpv_codes")
        elif perimetre == Perimetre.COMMUNE:
            communes = dict(choices["communes"])
            st.selectbox(
                LABELS["commune_insee"],
                list(communes),
                format_func=lambda c: f"{communes.get(c, c)} ({c})",
                index=None,
                key=F.cle("commune_insee"),
                placeholder="Choisissez la commune",
            )
            _field_errors("commune_insee")
        else:
            epci = dict(choices["epci"])
            st.selectbox(
                LABELS["epci_siren"],
                list(epci),
                format_func=lambda c: f"{epci.get(c, c)} ({c})",
                index=None,
                key=F.cle("epci_siren"),
                placeholder="Choisissez l'intercommunalité",
            )
            _field_errors("epci_siren")
        st.text_input(LABELS["quartier_hors_qpv"], key=F.cle("quartier_hors_qpv"), help="Facultatif.")
        _field_errors("quartier_hors_qpv")

        columns: Sequence[DeltaGenerator] = st.columns(4)
        with columns[0]:
            _select("statut", STATUTS_RENCONTRE)
        with columns[1]:
            st.date_input(
                LABELS["date"],
                value=None,
                min_value=dt.date(2020, 1, 1),
                max_value=clock.today() + dt.timedelta(days=3 * 365),
                format="DD/MM/YYYY",
                key=F.cle("date"),
            )
            _field_errors("date")
        with columns[2]:
            st.time_input(LABELS["heure_debut"], value=None, step=900, key=F.cle("heure_debut"))
            _field_errors("heure_debut")
        with columns[3]:
            st.time_input(LABELS["heure_fin"], value=None, step=900, key=F.cle("heure_fin"))
            _field_errors("heure_fin")
        columns = st.columns(3)
        with columns[0]:
            st.text_input(LABELS["lieu"], key=F.cle("lieu"))
            _field_errors("lieu")
        with columns[1]:
            st.text_input(LABELS["adresse"], key=F.cle("adresse"))
            _field_errors("adresse")
        with columns[2]:
            _select("type_lieu", TYPES_LIEU)
        columns = st.columns(2)
        with columns[0]:
            _multi("organisateurs", ORGANISATEURS)
        with columns[1]:
            _select("format", FORMATS)

        st.markdown("**Participation**")
        columns = st.columns(3)
        for index, name in enumerate(COUNTS[:-1]):
            with columns[index % 3]:
                st.number_input(LABELS[name], value=None, min_value=0, step=1, key=F.cle(name))
                _field_errors(name)
        st.text_area(LABELS["publics_precaires"], key=F.cle("publics_precaires"), height=68)
        _field_errors("publics_precaires")
        columns = st.columns(4)
        for index, name in enumerate(BOOLEANS):
            with columns[index]:
                st.checkbox(LABELS[name], key=F.cle(name))
        _multi("accessibilite", ACCESSIBILITE)

        st.markdown("**Après la rencontre**")
        columns = st.columns(2)
        with columns[0]:
            st.number_input(
                LABELS["participants_accord_synthese"],
                value=None,
                min_value=0,
                step=1,
                key=F.cle("participants_accord_synthese"),
            )
            _field_errors("participants_accord_synthese")
        with columns[1]:
            st.date_input(
                LABELS["synthese_envoyee_le"],
                value=None,
                min_value=dt.date(2020, 1, 1),
                format="DD/MM/YYYY",
                key=F.cle("synthese_envoyee_le"),
            )
            _field_errors("synthese_envoyee_le")
        st.text_area(LABELS["notes"], key=F.cle("notes"), height=68)
        _field_errors("notes")
        _field_errors("motif_annulation")
        warning = avertissement_prevue(etat.brouillon["statut"], etat.brouillon["date"])
        if warning and not notices.en_attente(F.ENVOI):  # before saving (after one, the save notice says it)
            st.warning(warning)
        st.form_submit_button("Enregistrer la rencontre", type="primary", on_click=_submit, args=(actor,), key=F.ENVOI)
        if not notices.a_cote(F.ENVOI) and errors:  # the outcome where the user clicked
            st.error("La rencontre n'a pas été enregistrée : voir les champs signalés.")


def _select(name: str, nomenclature: dict[str, str]) -> None:
    st.selectbox(
        LABELS[name],
        list(nomenclature),
        format_func=nomenclature.__getitem__,
        key=F.cle(name),
        placeholder="Choisir…",
    )
    _field_errors(name)


def _multi(name: str, nomenclature: dict[str, str]) -> None:
    st.multiselect(
        LABELS[name],
        list(nomenclature),
        format_func=nomenclature.__getitem__,
        key=F.cle(name),
        placeholder="Choisir…",
        select_all=False,
    )
    _field_errors(name)


def _render_readonly(actor: Actor, rencontre_id: int, version: int) -> None:
    values = _values(actor, rencontre_id, version)
    shown = []
    for key, title in LABELS.items():
        value = values.get("qpv_couverts") if key == "qpv_codes" else values.get(key)
        if key in ("organisateurs", "accessibilite"):
            nomenclature = ORGANISATEURS if key == "organisateurs" else ACCESSIBILITE
            value = ", ".join(label(nomenclature, c) for c in value or [])
        elif key == "qpv_codes":
            value = ", ".join(value or [])
        elif key in CHOICES:
            value = label(CHOICES[key], value)
        elif isinstance(value, bool):
            value = "oui" if value else "non"
        elif isinstance(value, dt.date):
            value = fr_date(value)
        elif isinstance(value, dt.time):
            value = f"{value:%H:%M}"
        elif isinstance(value, int):
            value = fr_number(value)
        shown.append({"Champ": title, "Valeur": "" if value is None else str(value)})
    st.subheader(f"Rencontre n° {rencontre_id}")
    st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch", key="rr_detail")


def _render_documents(actor: Actor, rencontre_id: int, writer: bool, version: int) -> None:
    st.subheader("Comptes rendus")
    frame = _documents(actor, rencontre_id, version)
    if frame.empty:
        st.caption("Aucun compte rendu déposé.")
    for row in frame.itertuples():
        try:
            content = _document_bytes(actor, int(row.id))
        except Q2030Error as error:
            show_error(error)
            continue
        st.download_button(
            # A button label is Markdown: the file name chosen by the uploader is escaped.
            f"Télécharger « {escape_markdown(row.nom_fichier)} » ({fr_number(row.taille / 1024, 0)} Ko)",
            content,
            file_name=row.nom_fichier,
            mime=row.type_mime,
            key=f"rd_download_{row.id}",
            on_click="ignore",
        )
        restitution.publication_controls(actor, int(row.id), row.publie_le, writer)
    if not writer:
        return
    counter = st.session_state.setdefault("rd_counter", 0)
    uploaded = st.file_uploader(
        "Déposer un compte rendu (PDF, DOCX ou ODT, 10 Mo au plus)",
        type=["pdf", "docx", "odt"],
        key=f"rd_upload_{rencontre_id}_{counter}",
    )
    if st.button("Déposer", key="rd_save", disabled=uploaded is None) and uploaded is not None:
        try:
            with session_scope(engine()) as session:
                stored_name = documents.add_document(
                    session,
                    actor=actor,
                    rencontre_id=rencontre_id,
                    filename=uploaded.name,
                    content=uploaded.getvalue(),
                ).nom_fichier
        except Q2030Error as error:
            show_error(error)
            return
        st.session_state["rd_counter"] = counter + 1
        notices.annoncer("rd_save", f"Compte rendu « {stored_name} » déposé.")
        st.rerun()
    notices.a_cote("rd_save")


def _render_contributions(actor: Actor, rencontre_id: int, writer: bool, version: int) -> None:
    st.subheader("Contributions des habitants")
    frame = _contributions(actor, rencontre_id, version)
    if not writer:
        show_table(frame.rename(columns=contributions.COLUMNS), key="rc_table", empty="Aucune contribution saisie.")
        return
    st.caption(
        "Une ligne par contribution : Tab passe à la cellule suivante, Entrée valide la cellule. Vous pouvez "
        "coller des lignes copiées d'un tableur (cliquez la première cellule, puis Ctrl+V). "
        "Rang : 1 = la priorité la plus importante de la rencontre."
    )
    # The grid and its button are one form: the click that submits also commits the cell still
    # being edited, and the grid sends its rows with the click. Outside a form, the button's rerun
    # could leave before the open cell was committed (the row vanished, « 4 contributions
    # enregistrées »), and every committed cell cost a rerun while typing.
    editor_key, read_key, conflict_key = (f"rc_{part}_{rencontre_id}" for part in ("editor", "lues", "conflit"))
    if editor_key not in st.session_state or read_key not in st.session_state:
        # The rows the grid showed when drawn for this visit: the save sends them back, so that
        # another save in between (a colleague, an Excel import) is refused, not overwritten. Not
        # refreshed while the grid is on screen: the grid is in a form, the server never sees the
        # typing before the save, and the typing was done over the rows first shown.
        st.session_state[read_key] = frame.to_dict("records")
    form = st.form(f"rc_form_{rencontre_id}", border=False, enter_to_submit=False)
    if frame.empty:
        # One empty row to click: a click on the grid's « add a row » line opens a cell editor that
        # swallows Ctrl+V, whereas a click on a row selects its cell and Ctrl+V pastes the copied
        # lines, adding rows. An untouched row is blank and the service ignores it.
        frame = pd.DataFrame([{"axe": None, "theme": None, "texte": None, "rang": None, "public": PUBLICS["tous"]}])
        frame["rang"] = frame["rang"].astype("Int64")
    edited = form.data_editor(
        frame,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=editor_key,
        # Room for ten contributions typed in a row and the « add a row » line without scrolling
        # inside the grid (35 px a row, the header and that line included).
        height=35 * (min(max(len(frame), 10), 30) + 2) + 3,
        # Short pickers first so « Public concerné » is on screen; the long text last.
        column_order=("axe", "theme", "public", "rang", "texte"),
        placeholder="",  # an empty cell stays empty (Streamlit writes "None")
        # No `required=True`: the grid would answer in English (« Please fill out this cell. »); the
        # service checks every row and names it in French (« Ligne 5, colonne « Axe » : à remplir. »).
        column_config={
            # Widths in pixels: the five columns fit a 1440 px screen, so that a line is typed from
            # « Axe » to « Contribution » without the grid scrolling sideways.
            "axe": st.column_config.SelectboxColumn("Axe", options=list(AXES.values()), width=170),
            "theme": st.column_config.SelectboxColumn(
                "Thème", options=[value[0] for value in THEMES.values()], width=165
            ),
            "texte": st.column_config.TextColumn("Contribution", max_chars=5000, width=320),
            "rang": st.column_config.NumberColumn("Rang de priorité", min_value=1, step=1, format="%d", width=140),
            "public": st.column_config.SelectboxColumn(
                "Public concerné", options=list(PUBLICS.values()), default=PUBLICS["tous"], width=145
            ),
        },
    )
    if form.form_submit_button("Enregistrer les contributions", key="rc_save"):
        try:
            with session_scope(engine()) as session:
                saved = contributions.replace_contributions(
                    session,
                    actor=actor,
                    rencontre_id=rencontre_id,
                    rows=contributions.lignes_lues(edited.to_dict("records")),
                    lues=contributions.lignes_lues(st.session_state[read_key]),
                )
                count = len(saved.contributions)
        except ValidationError as error:
            st.error("Les contributions n'ont pas été enregistrées :")
            for messages in error.errors.values():
                for message in messages:
                    st.error(escape_markdown(message))  # quotes the cell as typed
            return
        except ConflitDeVersion as error:  # said until the user reloads; what was typed stays in the grid
            st.session_state[conflict_key] = str(error)
        except Q2030Error as error:
            show_error(error)
            return
        else:
            _forget_grid(rencontre_id)
            # The form open on the rencontre follows the version this save wrote (a colleague's
            # save in between still makes the form's next save a conflict).
            etat_formulaire().suivre(rencontre_id, avant=saved.version_avant, apres=saved.version)
            notices.annoncer("rc_save", f"{fr_count(count, 'contribution enregistrée', 'contributions enregistrées')}.")
            st.rerun()
    if conflict_key in st.session_state:
        st.error(escape_markdown(st.session_state[conflict_key]))
        st.button(
            "Recharger les contributions enregistrées (vos changements seront perdus)",
            key="rc_reload",
            on_click=_forget_grid,
            args=(rencontre_id,),
        )
    notices.a_cote("rc_save")


def _forget_grid(rencontre_id: int) -> None:
    """The contributions grid drawn afresh from the saved rows at the next run."""
    st.session_state.pop(f"rc_editor_{rencontre_id}", None)
    st.session_state.pop(f"rc_lues_{rencontre_id}", None)
    st.session_state.pop(f"rc_conflit_{rencontre_id}", None)


def _render_cancel(actor: Actor, rencontre_id: int, version: int) -> None:
    values = _values(actor, rencontre_id, version)
    notices.a_cote("rc_cancel")  # where the cancel button was (the meeting is no longer « prévue »)
    if values["statut"] != StatutRencontre.PREVUE:
        return
    with st.expander("Annuler la rencontre"):
        motif = st.text_input(LABELS["motif_annulation"], key="rc_motif")
        if st.button("Annuler la rencontre", key="rc_cancel"):
            etat = etat_formulaire()
            version_ouverte = etat.version_de(rencontre_id)  # the form's, never read at the click
            if version_ouverte is None:
                st.error("Rechargez la rencontre avant de l'annuler.")
                return
            try:
                with session_scope(engine()) as session:
                    cancelled = cancel_rencontre(
                        session, actor=actor, rencontre_id=rencontre_id, version=version_ouverte, motif=motif
                    )
                    cancelled_version = cancelled.version
                    stored = get_rencontre(session, actor=actor, rencontre_id=rencontre_id)
            except Q2030Error as error:
                show_error(error)
                return
            etat.enregistree(rencontre_id, stored, version=cancelled_version)  # the widgets follow next run
            notices.annoncer("rc_cancel", f"Rencontre n° {rencontre_id} annulée.")
            st.rerun()


def _render_delete(actor: Actor, rencontre_id: int) -> None:
    with st.expander("Supprimer la rencontre (administrateur)"):
        st.warning("La suppression est définitive (le journal d'audit en garde la trace).")
        confirm = st.checkbox("Je confirme la suppression", key="ra_confirm")
        if st.button("Supprimer définitivement", key="ra_delete", disabled=not confirm):
            try:
                with session_scope(engine()) as session:
                    delete_rencontre(session, actor=actor, rencontre_id=rencontre_id)
            except Q2030Error as error:
                show_error(error)
                return
            st.session_state.pop(F.CHOIX, None)
            etat_formulaire().ouvrir_creation()
            st.rerun()
