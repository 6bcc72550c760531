"""Pages "Questionnaire en ligne" (import, column mapping) and "Codage des textes libres" (queue).

The coding queue is driven by the keyboard: 1-4 choose the axis, a letter the theme, h sets
the text aside as off-topic, s accepts the suggestion, v validates, p passes. Each decision
calls `codage.coder` and the next text is claimed at once.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import func
from sqlmodel import select

from q2030 import codage
from q2030 import questionnaire as q
from q2030.access import Actor
from q2030.bootstrap import active_campaign
from q2030.db import session_scope
from q2030.errors import Q2030Error, ValidationError
from q2030.formatting import fr_date, fr_number, fr_percent
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
def _etat(version: int) -> tuple[int, pd.DataFrame, dict | None, int, int]:
    with session_scope(engine()) as session:
        campaign = active_campaign(session)
        rows = session.exec(
            select(QuestionnaireReponse.localisation, func.count())
            .where(QuestionnaireReponse.campaign_id == campaign.id)
            .group_by(QuestionnaireReponse.localisation)
        ).all()
        mapping = q.correspondance(session, campaign_id=campaign.id)
        faits, total = codage.progression(session)
    frame = pd.DataFrame(rows, columns=["localisation", "reponses"])
    frame["Localisation"] = frame["localisation"].map(q.LOCALISATIONS)
    return int(frame["reponses"].sum()), frame, mapping.model_dump() if mapping else None, faits, total


def _guess(colonnes: list[str], key: str) -> str | None:
    words = {
        "identifiant": ("id", "identifiant", "reponse_id", "numero"),
        "date": ("date",),
        "qpv": ("quartier", "qpv"),
        "commune": ("commune", "ville"),
        "code_postal": ("code_postal", "cp", "postal"),
        "habite_qpv": ("habitez", "habite"),
        "tranche_age": ("age",),
        "genre": ("genre", "sexe"),
    }[key]
    for colonne in colonnes:
        parts = set(colonne.split("_"))
        if any(w in parts or colonne.startswith(w) for w in words) and not q.donnee_personnelle(colonne):
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


def render_import(actor: Actor) -> None:
    st.title("Questionnaire en ligne")
    st.caption(
        "Deuxième canal de la concertation : les réponses au questionnaire en ligne, importées depuis l'export de "
        "la plateforme. Aucune donnée personnelle : les colonnes de nom, courriel, téléphone ou adresse sont refusées."
    )
    total, par_localisation, saved, faits, textes = _etat(data_version())
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
    upload = st.file_uploader(
        "Export du questionnaire (CSV ou XLSX)", type=["csv", "xlsx"], key="questionnaire_fichier"
    )
    if upload is None:
        st.info("Déposez un export pour voir ses colonnes, définir la correspondance et importer les réponses.")
        return
    content = upload.getvalue()
    try:
        colonnes, premieres, valeurs, doublons = q.apercu(content, upload.name)
    except Q2030Error as error:
        show_error(error)
        return
    st.subheader("Aperçu des premières lignes")
    for doublon in doublons:
        st.info(escape_markdown(doublon))
    st.dataframe(pd.DataFrame(premieres, columns=colonnes), hide_index=True, key="questionnaire_apercu")
    personnelles = [c for c in colonnes if q.donnee_personnelle(c)]
    if personnelles:
        st.warning(
            "Colonnes écartées (données personnelles probables) : "
            + ", ".join(escape_markdown(c) for c in personnelles)
            + ". Elles ne peuvent pas être associées."
        )
    mappable = [c for c in colonnes if c not in personnelles]
    contenu = _editeur(mappable, valeurs, saved)
    if st.button("Enregistrer la correspondance", type="primary", key="questionnaire_enregistrer"):
        try:
            with session_scope(engine()) as session:
                q.enregistrer_correspondance(session, actor=actor, contenu=contenu, colonnes_fichier=colonnes)
            st.success("Correspondance enregistrée pour la campagne active.")
            saved = contenu
        except Q2030Error as error:
            show_error(error)
    st.subheader("Import")
    if saved is None:
        st.info("Enregistrez d'abord la correspondance.")
        return
    if st.button("Importer les réponses", key="questionnaire_importer"):
        _importer(actor, content, upload.name)


def _editeur(colonnes: list[str], valeurs: dict[str, list[str]], saved: dict | None) -> dict[str, Any]:
    st.subheader("Correspondance des colonnes")
    saved = saved or {}
    options = [None, *colonnes]
    contenu: dict[str, Any] = {}
    grid = st.columns(2)
    for position, (key, label) in enumerate(q.IDENTITE.items()):
        previous = saved.get(key)
        default = _fold(previous) if previous and _fold(previous) in colonnes else _guess(colonnes, key)
        contenu[key] = grid[position % 2].selectbox(
            label,
            options,
            index=options.index(default) if default in options else 0,
            format_func=lambda c: "—" if c is None else c,
            key=f"questionnaire_col_{key}",
        )
    used = {v for v in contenu.values() if v}
    rest = [c for c in colonnes if c not in used]
    saved_fermees = {_fold(x["colonne"]): x for x in saved.get("fermees", [])}
    saved_libres = {_fold(x["colonne"]): x for x in saved.get("libres", [])}
    fermees = st.multiselect(
        "Questions fermées (réponses associées à des thèmes)",
        rest,
        default=[c for c in rest if c in saved_fermees],
        key="questionnaire_fermees",
        placeholder="Choisir…",
    )
    contenu["fermees"] = []
    for colonne in fermees:
        with st.expander(f"Question « {colonne} »", expanded=colonne not in saved_fermees):
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
                rows.append(
                    {"Réponse": answer, "Thème": IGNORER if code == "" else theme_label(code) if code else None}
                )
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
            contenu["fermees"].append({"colonne": colonne, "axe": axe, "valeurs": mapping})
    libres = st.multiselect(
        "Questions à réponse libre (textes à coder)",
        [c for c in rest if c not in fermees],
        default=[c for c in rest if c in saved_libres and c not in fermees],
        key="questionnaire_libres",
        placeholder="Choisir…",
    )
    contenu["libres"] = []
    axes_libres: dict[str | None, str] = {None: "Non précisé (l'analyste le choisit)", **AXES}
    for colonne in libres:
        before = saved_libres.get(colonne, {})
        axe_libre = st.selectbox(
            f"Axe des réponses à « {colonne} »", list(axes_libres), index=list(axes_libres).index(before.get("axe")),
            format_func=axes_libres.__getitem__, key=f"questionnaire_axe_libre_{colonne}",
        )  # fmt: skip
        contenu["libres"].append({"colonne": colonne, "axe": axe_libre})
    return contenu


def _importer(actor: Actor, content: bytes, name: str) -> None:
    bar = st.progress(0.0, text="Lecture du fichier…")
    try:
        with session_scope(engine()) as session:
            rapport = q.importer(
                session, actor=actor, content=content, filename=name,
                progress=lambda f, m: bar.progress(min(1.0, f), text=m),
            )  # fmt: skip
    except q.ImportRefuse as refused:
        bar.empty()
        st.error(f"{len(refused.rapport.problemes)} erreur(s) : rien n'a été importé.")
        show_table(pd.DataFrame(refused.rapport.tableau()), key="questionnaire_erreurs", empty="Aucune erreur.")
        return
    except Q2030Error as error:
        bar.empty()
        show_error(error)
        return
    bar.progress(1.0, text="Import terminé.")
    for line in rapport.lignes():
        st.success(escape_markdown(line))


# --- Page "Codage des textes libres" -------------------------------------------------------------


def _state() -> dict[str, Any]:
    return st.session_state.setdefault("codage", {"texte": None, "exclus": [], "axe": None, "theme": None,
                                                  "public": "tous", "message": None})  # fmt: skip


def _suivant(actor: Actor) -> None:
    state = _state()
    with session_scope(engine()) as session:
        texte = codage.prochain(session, actor=actor, exclure=tuple(state["exclus"]))
        suggestion = codage.suggerer(session, texte=texte) if texte else None
    state.update(
        texte=texte, suggestion=suggestion, axe=texte.axe_question if texte else None, theme=None, public="tous"
    )


def _decider(actor: Actor, **decision: Any) -> None:
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
    if actor.is_admin:
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
