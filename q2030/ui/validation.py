"""Mon département: the référent's queue « À valider » (declared and imported meetings)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from q2030 import validation
from q2030.access import Action, Actor, RencontreCible, Scope, allowed, resolve_scope
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_date
from q2030.nomenclature import STATUTS_RENCONTRE
from q2030.rencontres.lecture import list_rencontres
from q2030.ui.shell import data_version, engine, show_error
from q2030.ui.tables import show_table

NOTICE = "validation_notice"
FILE_PAGE = 3  # declarations shown at first, and added by each « Afficher … suivantes »
FILE_AFFICHEES = "va_affichees"


def _queue(actor: Actor, dep: str, version: int) -> list[validation.Declaration]:
    del version  # the queue is read fresh at every data version (not cached: it is short)
    with session_scope(engine()) as session:
        return validation.file_a_valider(session, actor=actor, departement_code=dep)


@st.cache_data(show_spinner=False, max_entries=256)
def _doublons_possibles(scope: Scope, version: int) -> dict[int, str]:
    """Read model of the « Doublon de » lists: the département's counted meetings, id -> label.
    Keyed on the reading scope (resolve_scope checked the reader's right outside the cache, so one
    entry serves every reader of the département) and on the data version (every write bumps it)."""
    with session_scope(engine()) as session:
        others = list_rencontres(session, actor=scope, departement_code=scope.departement_code or "", comptees=True)
    return {int(r.id): f"n° {r.id} — {fr_date(r.date)} — {r.lieu}" for r in others.itertuples()}


def doublons_possibles(actor: Actor, dep: str, version: int) -> dict[int, str]:
    """The meetings a declaration of `dep` can be refused as a duplicate of (`version`: data_version())."""
    return _doublons_possibles(resolve_scope(actor, departement_code=dep), version)


def _decide(action: str, actor: Actor, declaration: validation.Declaration) -> None:
    """A button's callback: the comment and the chosen original are read from the widgets now
    (the values drawn with the button would miss what was typed just before the click)."""
    commentaire = str(st.session_state.get(f"va_comment_{declaration.id}") or "")
    original = st.session_state.get(f"va_dup_{declaration.id}")
    try:
        with session_scope(engine()) as session:
            if action == "valider":
                validation.valider(session, actor=actor, rencontre_id=declaration.id, version=declaration.version)
                message = f"Rencontre n° {declaration.id} validée : elle compte désormais."
            elif action == "renvoyer":
                validation.renvoyer(
                    session,
                    actor=actor,
                    rencontre_id=declaration.id,
                    version=declaration.version,
                    commentaire=commentaire,
                )
                message = f"Rencontre n° {declaration.id} renvoyée à l'organisateur avec votre commentaire."
            else:
                validation.refuser_doublon(
                    session,
                    actor=actor,
                    rencontre_id=declaration.id,
                    version=declaration.version,
                    doublon_de=int(original or 0),
                )
                message = f"Rencontre n° {declaration.id} refusée comme doublon (rien n'est fusionné)."
    except Q2030Error as error:
        st.session_state[NOTICE] = ("error", error)
        return
    st.session_state[NOTICE] = ("success", message)


def _validate_all(actor: Actor, items: list[validation.Declaration]) -> None:
    try:
        with session_scope(engine()) as session:
            count = validation.valider_plusieurs(session, actor=actor, versions={d.id: d.version for d in items})
    except Q2030Error as error:
        st.session_state[NOTICE] = ("error", error)
        return
    st.session_state[NOTICE] = (
        "success",
        f"{fr_count(count, 'rencontre validée')} : {'elle compte' if count < 2 else 'elles comptent'} désormais.",
    )


def _title(d: validation.Declaration) -> str:
    statut = STATUTS_RENCONTRE.get(d.statut, d.statut).lower()
    quand = f", soumise le {fr_date(d.soumise_le)}" if d.soumise_le else ""
    return f"N° {d.id} — {fr_date(d.date)} — {d.lieu or 'lieu à préciser'} ({statut}) — {d.organisation}{quand}"


def render_file(actor: Actor, dep: str) -> None:
    """The queue at the top of Mon département; nothing when it is empty."""
    if not allowed(actor, Action.VALIDER_RENCONTRE, RencontreCible(dep)):
        return
    notice = st.session_state.pop(NOTICE, None)
    if notice is not None:
        kind, payload = notice
        if kind == "error":
            show_error(payload)
        else:
            st.success(payload)
    version = data_version()
    items = _queue(actor, dep, version)
    st.subheader(f"À valider ({len(items)})")
    if not items:
        st.caption("Aucune rencontre déclarée n'attend votre validation.")
        return
    st.caption(
        "Rencontres déclarées par des organisateurs locaux ou importées d'une plateforme, les plus anciennes "
        "d'abord. Tant que vous ne les validez pas, elles ne comptent nulle part (couverture, priorités, "
        "exports, pages publiques)."
    )
    st.button(
        f"Tout valider ({len(items)})", key="va_tout", on_click=_validate_all, args=(actor, items), type="primary"
    )
    choices = doublons_possibles(actor, dep, version)
    # A few at a time, the oldest first: each carries its own form (five widgets); more are added
    # on demand, none taken away (what was typed in a shown one stays).
    shown = min(len(items), int(st.session_state.get(FILE_AFFICHEES, FILE_PAGE)))
    for d in items[:shown]:
        with st.container(border=True):
            st.text(_title(d))  # typed by an organiser: shown as text
            if d.nouvelle:
                st.caption("Nouvelle déclaration.")
            else:
                changes = pd.DataFrame(
                    [(c.champ, c.avant, c.apres) for c in d.changements], columns=["Champ", "Avant", "Après"]
                )
                show_table(changes, key=f"va_changes_{d.id}", empty="Modifiée depuis sa validation.", hide_index=True)
            left, middle, right = st.columns(3)
            left.button("Valider", key=f"va_ok_{d.id}", on_click=_decide, args=("valider", actor, d))
            with middle:
                st.text_input("Commentaire pour l'organisateur", key=f"va_comment_{d.id}")
                st.button(
                    "Renvoyer avec ce commentaire", key=f"va_back_{d.id}", on_click=_decide, args=("renvoyer", actor, d)
                )
            with right:
                candidates = [rid for rid in choices if rid != d.id]
                original = st.selectbox(
                    "Doublon de la rencontre",
                    candidates,
                    format_func=choices.__getitem__,
                    key=f"va_dup_{d.id}",
                    index=None,
                    placeholder="Choisir…",
                )
                st.button(
                    "Refuser comme doublon",
                    key=f"va_refuse_{d.id}",
                    disabled=original is None,
                    on_click=_decide,
                    args=("doublon", actor, d),
                )
    rest = len(items) - shown
    if rest > 0:
        st.button(
            f"Afficher {fr_count(min(FILE_PAGE, rest), 'déclaration suivante', 'déclarations suivantes')} "
            f"({fr_count(rest, 'restante', 'restantes')})",
            key="va_plus",
            on_click=_more,
        )


def _more() -> None:
    st.session_state[FILE_AFFICHEES] = int(st.session_state.get(FILE_AFFICHEES, FILE_PAGE)) + FILE_PAGE
