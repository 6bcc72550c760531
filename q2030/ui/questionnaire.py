"""Pages "Questionnaire en ligne" (import, column mapping) and "Codage des textes libres" (queue).

The coding queue is driven by the keyboard: 1-4 choose the axis, a letter the theme, h sets
the text aside as off-topic, s accepts the suggestion, v validates, p passes. Each decision
calls `codage.coder` and the next text is claimed at once.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import func
from sqlmodel import select

from q2030 import codage, codage_revision
from q2030 import questionnaire as q
from q2030.access import NATIONAL, Action, Actor, allowed
from q2030.campaigns import active_campaign
from q2030.db import session_scope
from q2030.errors import Q2030Error, ValidationError
from q2030.formatting import fr_count, fr_date, fr_number, fr_percent
from q2030.frontieres import EtatWidget, JsonValeur
from q2030.models import QuestionnaireReponse
from q2030.nomenclature import AXES, PUBLICS, THEMES, theme_label
from q2030.textnorm import fold_header as _fold
from q2030.ui.charts import bar_height, show_chart
from q2030.ui.shell import BLEU_FRANCE, data_version, engine, escape_markdown, show_error
from q2030.ui.tables import show_table

IGNORER = "(ignorer)"
PARIS = ZoneInfo("Europe/Paris")
THEME_LABELS = {label: code for code, (label, _pilier) in THEMES.items()}
AXE_KEYS = {code: str(position) for position, code in enumerate(AXES, start=1)}
THEME_KEYS = dict(zip(THEMES, "abdefgijklmnoqtuwxy56", strict=False))  # c, r: Streamlit's; h, p, s, v: ours


# --- Page "Questionnaire en ligne" ---------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _etat(version: int) -> tuple[int, pd.DataFrame, list[q.SourceQuestionnaire], int, int]:
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
        rows = session.exec(
            select(QuestionnaireReponse.localisation, func.count())
            .where(QuestionnaireReponse.campaign_id == campaign.id)
            .group_by(QuestionnaireReponse.localisation)
        ).all()
        sources = q.sources(session, campaign_id=campaign.id)
        faits, total = codage.progression(session)
    frame = pd.DataFrame(rows, columns=["localisation", "reponses"])
    frame["Localisation"] = frame["localisation"].map(q.LOCALISATIONS)
    return int(frame["reponses"].sum()), frame, sources, faits, total


@st.cache_data(show_spinner=False)
def _mapping(version: int, source: str) -> dict[str, JsonValeur] | None:
    with session_scope(engine()) as session:
        mapping = q.correspondance(session, source=source)
    return mapping.model_dump() if mapping else None


def _guess(colonnes: list[str], key: str, personnelles: dict[str, str]) -> str | None:
    words = {
        "identifiant": ("id", "identifiant", "reponse_id", "numero"),
        "date": ("date", "created"),
        "qpv": ("quartier", "qpv"),
        "commune": ("commune", "ville", "city"),
        "departement": ("departement", "dep"),
        "code_postal": ("code_postal", "cp", "postal", "zipcode", "zip"),
        "habite_qpv": ("habitez", "habite"),
        "tranche_age": ("age",),
        "genre": ("genre", "sexe", "gender"),
    }[key]
    for colonne in colonnes:
        parts = set(colonne.split("_"))
        if any(w in parts or colonne.startswith(w) for w in words) and colonne not in personnelles:
            return colonne
    return None


def _theme_guess(answer: str) -> str | None:
    """A theme whose label starts like the answer ("Logement" -> Logement et habitat), or None."""
    folded = _fold(answer)
    if not folded:
        return None
    for code, (label, _pilier) in THEMES.items():
        theme = _fold(label)
        if theme.startswith(folded) or folded.startswith(theme) or folded == code:
            return code
    return None


def _date_heure(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return f"{fr_date(aware.astimezone(PARIS).date())} {aware.astimezone(PARIS):%H:%M}"


def _sources(actor: Actor, sources: list[q.SourceQuestionnaire]) -> None:
    st.subheader("Sources des réponses")
    if not sources:
        st.info("Aucune source encore : nommez la source du premier fichier ci-dessous.")
        return
    table = pd.DataFrame(
        [
            {"Source": s.source, "Réponses": s.reponses, "Textes libres": s.textes, "Textes codés": s.codes,
             "Dernier import": _date_heure(s.importe_le), "Par": s.importe_par or "—", "Fichier": s.fichier or "—",
             "Format": "une ligne par réponse" if s.format == "long" else "une ligne par répondant",
             "Correspondance": " ; ".join(f"{role} : {col}" for role, col in s.colonnes) or "—"}
            for s in sources
        ]
    )  # fmt: skip
    show_table(table, key="questionnaire_sources", empty="Aucune source.")
    for s in sources:
        with st.expander(f"Retirer la source « {s.source} »"):
            st.write(
                f"Retirer « {s.source} » supprime {fr_count(s.reponses, 'réponse')}, "
                f"{fr_count(s.textes, 'texte libre', 'textes libres')} dont {fr_count(s.codes, 'codé', 'codés')}, "
                "et sa correspondance. L'opération est journalisée."
            )
            ok = st.checkbox(
                f"Je confirme le retrait de {fr_count(s.reponses, 'réponse')}",
                key=f"questionnaire_retrait_ok_{s.source}",
            )
            if st.button("Retirer la source", key=f"questionnaire_retirer_{s.source}", disabled=not ok):
                try:
                    with session_scope(engine()) as session:
                        q.retirer_source(session, actor=actor, source=s.source, reponses_attendues=s.reponses)
                    st.success(f"Source « {s.source} » retirée ({fr_count(s.reponses, 'réponse')}).")
                except Q2030Error as error:
                    show_error(error)


def render_import(actor: Actor) -> None:
    st.title("Questionnaire en ligne")
    st.caption(
        "Deuxième canal de la concertation : les réponses au questionnaire en ligne, importées depuis les exports "
        "de chaque source (plateforme nationale, plateforme d'une ville, questionnaires papier saisis). Aucune "
        "donnée personnelle : les colonnes de nom, courriel, téléphone ou adresse sont refusées, et les courriels, "
        "téléphones et adresses écrits dans les textes libres sont masqués."
    )
    total, par_localisation, sources, faits, textes = _etat(data_version())
    left, middle, right = st.columns(3)
    left.metric("Réponses importées", fr_number(total))
    middle.metric("Textes libres", fr_number(textes))
    right.metric("Textes codés", f"{fr_number(faits)} / {fr_number(textes)}")
    if total:
        show_table(
            par_localisation[["Localisation", "reponses"]].rename(columns={"reponses": "Réponses"}),
            key="questionnaire_localisation",
            empty="Aucune réponse.",
        )
    _sources(actor, sources)
    st.subheader("Importer un fichier")
    noms = [s.source for s in sources]
    source = st.text_input(
        "Source des réponses (son nom)",
        value=noms[0] if len(noms) == 1 else "",
        key="questionnaire_source",
        help="Une réponse est identifiée par sa source et son identifiant : deux plateformes qui numérotent toutes "
        "deux 1, 2, 3… ne se mélangent pas. Sources existantes : " + (", ".join(noms) or "aucune") + ".",
    ).strip()
    upload = st.file_uploader(
        "Export du questionnaire (CSV ou XLSX)", type=["csv", "xlsx"], key="questionnaire_fichier"
    )
    if not source or upload is None:
        st.info("Nommez la source et déposez un export pour voir ses colonnes, définir la correspondance et importer.")
        return
    _fichier(actor, source, sources, upload.getvalue(), upload.name)


def _format(brut: q.Apercu, saved: dict[str, JsonValeur]) -> q.Format:
    """The layout of the file: one row per respondent, or one per answer (pivoted)."""
    options = {"large": "Une ligne par répondant", "long": "Une ligne par réponse (répondant, question, réponse)"}
    choix = st.radio(
        "Format du fichier", list(options), format_func=options.__getitem__, horizontal=True,
        index=1 if saved.get("format") == "long" else 0, key="questionnaire_format",
    )  # fmt: skip
    if choix == "large":
        return q.Format()
    cols = st.columns(3)
    choisies: list[str] = []
    for column, (role, label) in zip(
        cols,
        (("identifiant", "Répondant"), ("colonne_question", "Question"), ("colonne_reponse", "Réponse")),
        strict=True,
    ):
        before = _fold(saved.get(role) or "")
        choisies.append(
            column.selectbox(
                f"Colonne « {label} »", brut.colonnes,
                index=brut.colonnes.index(before) if before in brut.colonnes else 0,
                format_func=lambda c: brut.titres.get(c, c), key=f"questionnaire_long_{role}",
            )
        )  # fmt: skip
    ident, question, reponse = (brut.titres[c] for c in choisies)
    return q.Format("long", ident, question, reponse)


def _fichier(actor: Actor, source: str, sources: list[q.SourceQuestionnaire], content: bytes, name: str) -> None:
    saved = _mapping(data_version(), source) or {}
    version = next((s.version for s in sources if s.source == source), 0)
    try:
        brut = q.apercu(content, name)
        forme = _format(brut, saved)
        vue = brut if forme.format == "large" else q.apercu(content, name, forme)
    except Q2030Error as error:
        show_error(error)
        return
    st.subheader("Aperçu des premières lignes" + (" (tableau pivoté)" if forme.format == "long" else ""))
    st.caption(f"{fr_count(vue.lignes, 'réponse')} dans le fichier.")
    for doublon in vue.doublons:
        st.info(escape_markdown(doublon))
    apercu = pd.DataFrame(vue.premieres, columns=vue.colonnes).rename(columns=vue.titres)
    st.dataframe(apercu, hide_index=True, key="questionnaire_apercu")
    if vue.personnelles:
        raisons = {"titre": "titre", "courriel": "courriels", "telephone": "téléphones", "nom": "noms",
                   "adresse": "adresses"}  # fmt: skip
        st.warning(
            "Colonnes écartées (données personnelles probables) : "
            + ", ".join(f"{escape_markdown(vue.titres[c])} ({raisons[r]})" for c, r in vue.personnelles.items())
            + ". Elles ne peuvent pas être associées."
        )
    mappable = [c for c in vue.colonnes if c not in vue.personnelles]
    contenu = _editeur(mappable, vue, saved) | {
        "format": forme.format, "colonne_question": forme.question, "colonne_reponse": forme.reponse,
    }  # fmt: skip
    if forme.format == "long":
        contenu["identifiant"] = forme.identifiant
    if st.button("Enregistrer la correspondance", type="primary", key="questionnaire_enregistrer"):
        try:
            with session_scope(engine()) as session:
                q.enregistrer_correspondance(
                    session, actor=actor, source=source, contenu=contenu, colonnes_fichier=vue.colonnes,
                    version=version,
                )  # fmt: skip
            st.success(f"Correspondance enregistrée pour la source « {source} ».")
            saved = contenu
        except Q2030Error as error:
            show_error(error)
    st.subheader("Import")
    if not saved:
        st.info("Enregistrez d'abord la correspondance.")
        return
    existante = next((s for s in sources if s.source == source), None)
    remplacer = st.checkbox(
        "Ce fichier est toute la source : retirer ses réponses absentes du fichier"
        + (f" (la source compte {fr_count(existante.reponses, 'réponse')})" if existante else ""),
        key="questionnaire_remplacer",
    )
    if st.button("Importer les réponses", key="questionnaire_importer"):
        _importer(actor, source, content, name, remplacer)


def _editeur(colonnes: list[str], vue: q.Apercu, saved: dict[str, JsonValeur]) -> dict[str, JsonValeur]:
    st.subheader("Correspondance des colonnes")
    titre = vue.titres.get
    options = [None, *colonnes]
    contenu: dict[str, JsonValeur] = {}
    grid = st.columns(2)
    roles = [k for k in q.IDENTITE if not (k == "identifiant" and saved.get("format") == "long")]
    for position, key in enumerate(roles):
        previous = saved.get(key)
        default = (
            _fold(previous) if previous and _fold(previous) in colonnes else _guess(colonnes, key, vue.personnelles)
        )
        choisie = grid[position % 2].selectbox(
            q.IDENTITE[key],
            options,
            index=options.index(default) if default in options else 0,
            format_func=lambda c: "—" if c is None else titre(c, c),
            key=f"questionnaire_col_{key}",
        )
        contenu[key] = titre(choisie, choisie) if choisie else None
    used = {_fold(v) for v in contenu.values() if v}
    rest = [c for c in colonnes if c not in used]
    saved_fermees = {_fold(x["colonne"]): x for x in saved.get("fermees", [])}
    saved_libres = {_fold(x["colonne"]): x for x in saved.get("libres", [])}
    fermees = st.multiselect(
        "Questions fermées (réponses associées à des thèmes)", rest, default=[c for c in rest if c in saved_fermees],
        format_func=lambda c: titre(c, c), key="questionnaire_fermees", placeholder="Choisir…", select_all=False,
    )  # fmt: skip
    contenu["fermees"] = [_question_fermee(c, titre(c, c), vue.valeurs, saved_fermees) for c in fermees]
    libres = st.multiselect(
        "Questions à réponse libre (textes à coder)", [c for c in rest if c not in fermees],
        default=[c for c in rest if c in saved_libres and c not in fermees],
        format_func=lambda c: titre(c, c), key="questionnaire_libres", placeholder="Choisir…", select_all=False,
    )  # fmt: skip
    contenu["libres"] = []
    axes_libres: dict[str | None, str] = {None: "Non précisé (l'analyste le choisit)"}
    axes_libres.update(AXES)
    for colonne in libres:
        before = saved_libres.get(colonne, {})
        axe_libre = st.selectbox(
            f"Axe des réponses à « {titre(colonne, colonne)} »", list(axes_libres),
            index=list(axes_libres).index(before.get("axe")),
            format_func=axes_libres.__getitem__, key=f"questionnaire_axe_libre_{colonne}",
        )  # fmt: skip
        contenu["libres"].append({"colonne": titre(colonne, colonne), "axe": axe_libre})
    marqueurs = st.text_input(
        "Autres valeurs signifiant « sans réponse » (séparées par « ; »)",
        value=" ; ".join(saved.get("marqueurs", [])),
        help="Toujours lues comme vides : " + ", ".join(sorted(q.MARQUEURS_ABSENCE)) + ".",
        key="questionnaire_marqueurs",
    )
    contenu["marqueurs"] = [m.strip() for m in marqueurs.split(";") if m.strip()]
    return contenu


def _question_fermee(
    colonne: str, titre: str, valeurs: dict[str, list[str]], saved_fermees: dict[str, dict[str, JsonValeur]]
) -> dict[str, JsonValeur]:
    with st.expander(f"Question « {titre} »", expanded=colonne not in saved_fermees):
        before = saved_fermees.get(colonne, {})
        axe = st.selectbox(
            "Axe", list(AXES), index=list(AXES).index(before.get("axe", "changements")),
            format_func=AXES.__getitem__, key=f"questionnaire_axe_{colonne}",
        )  # fmt: skip
        known = before.get("valeurs", {})
        rows = []
        for answer in valeurs.get(colonne, []):
            code = known.get(answer)
            if code is None:
                code = _theme_guess(answer)
            rows.append({"Réponse": answer, "Thème": IGNORER if code == "" else theme_label(code) if code else None})
        edited = st.data_editor(
            pd.DataFrame(rows, columns=["Réponse", "Thème"]),
            column_config={
                "Réponse": st.column_config.TextColumn("Réponse", disabled=True),
                "Thème": st.column_config.SelectboxColumn("Thème", options=[IGNORER, *THEME_LABELS]),
            },
            hide_index=True,
            key=f"questionnaire_valeurs_{colonne}",
        )
        mapping = {
            str(r["Réponse"]): "" if r["Thème"] == IGNORER else THEME_LABELS.get(str(r["Thème"]), "")
            for r in edited.to_dict("records")
            if r["Thème"]
        }
    return {"colonne": titre, "axe": axe, "valeurs": mapping}


def _importer(actor: Actor, source: str, content: bytes, name: str, remplacer: bool) -> None:
    bar = st.progress(0.0, text="Lecture du fichier…")

    def avancer(fraction: float, message: str) -> None:
        bar.progress(min(1.0, fraction), text=message)

    try:
        with session_scope(engine()) as session:
            rapport = q.importer(
                session, actor=actor, source=source, content=content, filename=name, remplacer=remplacer,
                progress=avancer,
            )  # fmt: skip
    except q.ImportRefuse as refused:
        bar.empty()
        st.error(f"{fr_count(len(refused.rapport.problemes), 'erreur')} : rien n'a été importé.")
        show_table(pd.DataFrame(refused.rapport.tableau()), key="questionnaire_erreurs", empty="Aucune erreur.")
        return
    except Q2030Error as error:
        bar.empty()
        show_error(error)
        return
    bar.progress(1.0, text="Import terminé.")
    for line in rapport.lignes():
        (st.warning if line.startswith("Attention") else st.success)(escape_markdown(line))


# --- Page "Codage des textes libres" -------------------------------------------------------------


def _state() -> dict[str, EtatWidget]:
    state: dict[str, EtatWidget] = st.session_state.setdefault(
        "codage", {"texte": None, "exclus": [], "axe": None, "theme": None, "public": "tous", "message": None}
    )
    return state


def _suivant(actor: Actor) -> None:
    state = _state()
    with session_scope(engine()) as session:
        texte = codage.prochain(session, actor=actor, exclure=tuple(state["exclus"]))
        suggestion = codage.suggerer(session, texte=texte) if texte else None
    state.update(
        texte=texte, suggestion=suggestion, axe=texte.axe_question if texte else None, theme=None, public="tous"
    )


class Decision(TypedDict, total=False):
    """The analyst's decision on a text (`codage.coder`'s keywords)."""

    axe: str | None
    theme: str | None
    public: str
    hors_sujet: bool


def _decider(actor: Actor, **decision: Unpack[Decision]) -> None:
    state = _state()
    texte = state["texte"]
    if texte is None:
        return
    try:
        with session_scope(engine()) as session:
            codage.coder(session, actor=actor, texte_id=texte.id, suggestion=state.get("suggestion"), **decision)
        state["message"] = ("success", "Hors sujet : enregistré." if decision.get("hors_sujet") else "Codé.")
    except Q2030Error as error:
        state["message"] = ("error", str(error))
        if not isinstance(error, ValidationError):
            _suivant(actor)
        return
    _suivant(actor)


def _valider(actor: Actor) -> None:
    state = _state()
    _decider(actor, axe=state["axe"], theme=state["theme"], public=state["public"])


def _accepter(actor: Actor) -> None:
    state = _state()
    suggestion = state.get("suggestion")
    if suggestion is not None:
        _decider(actor, axe=suggestion.axe, theme=suggestion.theme, public=state["public"])


def _passer(actor: Actor) -> None:
    state = _state()
    if state["texte"] is not None:
        with session_scope(engine()) as session:
            codage.passer(session, actor=actor, texte_id=state["texte"].id)
        state["exclus"].append(state["texte"].id)
    _suivant(actor)


def _set(name: str, value: str) -> None:
    _state()[name] = value


def _set_public() -> None:
    _state()["public"] = st.session_state["codage_public"]


def render_codage(actor: Actor) -> None:
    st.title("Codage des textes libres")
    state = _state()
    with session_scope(engine()) as session:
        faits, total = codage.progression(session)
        etat = codage.etat_modele(session)
    st.progress(faits / total if total else 0.0, text=f"{fr_number(faits)} / {fr_number(total)} codés")
    if allowed(actor, Action.ADMINISTRER, NATIONAL):
        _admin_modele(actor, etat, faits)
    if state["texte"] is None or state["texte"].id in state["exclus"]:
        _suivant(actor)
    if state.get("message"):
        kind, text = state["message"]
        (st.success if kind == "success" else st.error)(escape_markdown(text))
        state["message"] = None
    texte = state["texte"]
    if texte is None:
        st.info(
            "Aucun texte à coder pour le moment : tout est codé, "
            "ou les textes restants sont pris par d'autres analystes."
        )
        if state["exclus"]:
            st.button("Revoir les textes passés", key="codage_revoir", on_click=lambda: state.update(exclus=[]))
        _revision(actor)
        return
    st.caption(
        f"Question : {texte.question} · réponse {texte.reponse} · réservé pour vous jusqu'à "
        f"{texte.reserve_jusqu_a.astimezone(PARIS).strftime('%H:%M')} (heure de Paris)"
    )
    with st.container(border=True):
        st.text(texte.texte)  # user text: never Markdown
    suggestion = state.get("suggestion")
    if suggestion is not None:
        st.write(
            f"Suggestion : **{AXES[suggestion.axe]}** — **{theme_label(suggestion.theme)}** "
            f"(confiance {fr_percent(suggestion.confiance_theme)})"
        )
        st.button("Accepter la suggestion", key="codage_accepter", shortcut="s", type="primary",
                  on_click=_accepter, args=(actor,))  # fmt: skip
    elif etat is None:
        st.caption(f"Suggestions proposées après {codage.SEUIL_SUGGESTIONS} textes codés et l'entraînement du modèle.")
    st.markdown("**Axe** (touches 1 à 4)")
    axis_columns = st.columns(4)
    for column, (code, label) in zip(axis_columns, AXES.items(), strict=True):
        column.button(
            label, key=f"codage_axe_{code}", shortcut=AXE_KEYS[code], width="stretch",
            type="primary" if state["axe"] == code else "secondary", on_click=_set, args=("axe", code),
        )  # fmt: skip
    st.markdown("**Thème** (touche indiquée sur chaque bouton)")
    theme_columns = st.columns(4)
    for position, (code, (label, _pilier)) in enumerate(THEMES.items()):
        theme_columns[position % 4].button(
            label, key=f"codage_theme_{code}", shortcut=THEME_KEYS[code], width="stretch",
            type="primary" if state["theme"] == code else "secondary", on_click=_set, args=("theme", code),
        )  # fmt: skip
    st.session_state["codage_public"] = state["public"]
    st.selectbox("Public concerné", list(PUBLICS), format_func=PUBLICS.__getitem__, key="codage_public",
                 on_change=_set_public)  # fmt: skip
    chosen = f"{AXES.get(state['axe'] or '', '—')} · {theme_label(state['theme']) if state['theme'] else '—'}"
    st.caption(f"Choix : {chosen}")
    left, middle, right = st.columns(3)
    left.button("Valider et suivant", key="codage_valider", shortcut="v", type="primary", width="stretch",
                on_click=_valider, args=(actor,), disabled=not (state["axe"] and state["theme"]))  # fmt: skip
    middle.button("Hors sujet", key="codage_hors_sujet", shortcut="h", width="stretch",
                  on_click=_decider, args=(actor,), kwargs={"hors_sujet": True})  # fmt: skip
    right.button("Passer", key="codage_passer", shortcut="p", width="stretch", on_click=_passer, args=(actor,))
    _revision(actor)


def _revision(actor: Actor) -> None:
    """The coded texts, filtered, and the correction of one decision (with its history)."""
    st.subheader("Textes codés : revoir et corriger")
    cols = st.columns(4)
    statut = cols[0].selectbox("Statut", [None, "code", "hors_sujet"], key="revision_statut",
                               format_func=lambda v: "Tous" if v is None else codage.STATUTS[v])  # fmt: skip
    axe = cols[1].selectbox("Axe", [None, *AXES], key="revision_axe",
                            format_func=lambda v: "Tous" if v is None else AXES[v])  # fmt: skip
    theme = cols[2].selectbox("Thème", [None, *THEMES], key="revision_theme",
                              format_func=lambda v: "Tous" if v is None else theme_label(v))  # fmt: skip
    recherche = cols[3].text_input("Contient", key="revision_recherche")
    with session_scope(engine()) as session:
        textes, total = codage_revision.textes_codes(
            session, actor=actor, statut=statut, axe=axe, theme=theme, recherche=recherche
        )
    if not textes:
        st.info("Aucun texte codé ne correspond à ces filtres.")
        return
    shown = f"{fr_number(len(textes))} plus récents sur {fr_number(total)}" if total > len(textes) else fr_number(total)
    st.caption(f"Textes codés : {shown}.")
    table = pd.DataFrame(
        [
            {"N°": t.id, "Texte": t.texte, "Question": t.question, "Source": t.source or "—",
             "Statut": codage.STATUTS[t.statut], "Axe": AXES.get(t.axe or "", "—"),
             "Thème": theme_label(t.theme) if t.theme else "—", "Public": PUBLICS.get(t.public or "", "—"),
             "Codé par": t.code_par or "—", "Le": fr_date(t.code_le) if t.code_le else "—"}
            for t in textes
        ]
    )  # fmt: skip
    show_table(table, key="revision_table", empty="Aucun texte.")
    par_id = {t.id: t for t in textes}
    choisi = st.selectbox(
        "Texte à corriger", list(par_id), key="revision_texte",
        format_func=lambda i: f"n° {i} · {par_id[i].texte[:80]}",
    )  # fmt: skip
    texte = par_id[choisi]
    with st.form(f"revision_form_{texte.id}_{texte.version}"):
        hors_sujet = st.checkbox("Hors sujet", value=texte.statut == "hors_sujet")
        left, middle, right = st.columns(3)
        axes = list(AXES)
        new_axe = left.selectbox("Axe", axes, index=axes.index(texte.axe) if texte.axe in AXES else 0,
                                 format_func=AXES.__getitem__)  # fmt: skip
        themes = list(THEMES)
        new_theme = middle.selectbox("Thème", themes, index=themes.index(texte.theme) if texte.theme in THEMES else 0,
                                     format_func=theme_label)  # fmt: skip
        publics = list(PUBLICS)
        new_public = right.selectbox("Public", publics, format_func=PUBLICS.__getitem__,
                                     index=publics.index(texte.public) if texte.public in PUBLICS else 0)  # fmt: skip
        if st.form_submit_button("Corriger la décision", type="primary"):
            try:
                with session_scope(engine()) as session:
                    codage_revision.corriger(
                        session, actor=actor, texte_id=texte.id, version=texte.version, axe=new_axe,
                        theme=new_theme, public=new_public, hors_sujet=hors_sujet,
                    )  # fmt: skip
                st.success("Décision corrigée (journalisée).")
            except Q2030Error as error:
                show_error(error)
    with session_scope(engine()) as session:
        decisions = codage_revision.historique(session, actor=actor, texte_id=texte.id)
    st.caption("Historique des décisions sur ce texte")
    show_table(
        pd.DataFrame(
            [
                {"Le": _date_heure(d.horodatage),
                 "Par": d.acteur, "Action": "Correction" if d.action == "correction" else "Codage",
                 "Statut": d.statut, "Axe": AXES.get(d.axe or "", "—"),
                 "Thème": theme_label(d.theme) if d.theme else "—", "Public": PUBLICS.get(d.public or "", "—")}
                for d in decisions
            ]
        ),
        key="revision_historique",
        empty="Aucune décision journalisée.",
    )  # fmt: skip


def _admin_modele(actor: Actor, etat: codage.EtatModele | None, faits: int) -> None:
    with st.expander("Modèle de suggestion (administrateur)", expanded=False):
        if etat is None:
            st.write(f"Aucun modèle entraîné. Il faut au moins {codage.SEUIL_SUGGESTIONS} textes codés.")
        else:
            rows = pd.DataFrame(
                [
                    {"Cible": "Axe", "Exactitude (validation croisée)": etat.exactitude_axe},
                    {"Cible": "Thème", "Exactitude (validation croisée)": etat.exactitude_theme},
                ]
            )
            st.write(
                f"Entraîné le {fr_date(etat.entraine_le)} sur {fr_number(etat.effectif)} textes codés ; exactitude "
                f"mesurée par validation croisée en {etat.plis} plis (part des textes dont la suggestion est la bonne)."
            )
            chart = (
                alt.Chart(rows.dropna())
                .mark_bar(color=BLEU_FRANCE)
                .encode(
                    x=alt.X(
                        "Exactitude (validation croisée):Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
                    ),
                    y=alt.Y("Cible:N"),
                )
                .properties(height=bar_height(2))
            )
            left, right = st.columns(2)
            with left:
                show_chart(chart)
            with right:
                shown = rows.copy()
                shown["Exactitude (validation croisée)"] = shown["Exactitude (validation croisée)"].map(
                    lambda v: "une seule classe" if v != v or v is None else fr_percent(v, 1)
                )
                show_table(shown, key="codage_exactitude", empty="Aucun modèle.")
        if st.button(
            "Entraîner le modèle maintenant", key="codage_entrainer", disabled=faits < codage.SEUIL_SUGGESTIONS
        ):
            try:
                with st.spinner("Entraînement et validation croisée…"), session_scope(engine()) as session:
                    modele = codage.entrainer(session, actor=actor)
                    effectif = modele.effectif
                st.success(f"Modèle entraîné sur {fr_number(effectif)} textes.")
                _state()["texte"] = None  # the next text gets a suggestion
            except Q2030Error as error:
                show_error(error)
