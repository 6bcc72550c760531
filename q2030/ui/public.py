"""The residents' page « Restitution publique »: no sign-in, public content only.

Address: `/Restitution?dep=93` (a département) or `/Restitution?qpv=QN09308M` (a quartier,
shareable); `/Restitution?document=12` serves a published compte rendu and refuses any
other. Everything shown comes from `q2030.public` / `q2030.engagements` reads, which return
only public fields. Tables are real HTML tables with a caption, inside a keyboard-focusable
scrolling region (narrow screens scroll them sideways: axe's "scrollable-region-focusable"),
read by screen readers, beside every chart. Headings: one h1, then h2 per section, h3 inside.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from q2030 import agenda, clock, documents, engagements, feeds, public
from q2030.access import ANONYME
from q2030.db import session_scope
from q2030.errors import Q2030Error
from q2030.formatting import fr_date, fr_date_long, fr_number
from q2030.nomenclature import STATUTS_ENGAGEMENT, label, theme_label
from q2030.referentiel import DEPARTEMENTS
from q2030.ui.charts import bar_height, show_chart
from q2030.ui.shell import BLEU_FRANCE, PAGES, PUBLIC_PAGE, data_version, engine, escape_markdown

# --- Cached public reads (plain values, keyed by the data version) -----------------------


@st.cache_data(show_spinner=False, max_entries=256)
def _qpv(code: str, version: int) -> tuple[str, str] | None:
    try:
        with session_scope(engine()) as session:
            return public.qpv(session, code)
    except Q2030Error:
        return None


@st.cache_data(show_spinner=False, max_entries=128)
def _quartiers(dep: str, version: int) -> dict[str, str]:
    with session_scope(engine()) as session:
        return public.quartiers(session, departement_code=dep)


@st.cache_data(show_spinner=False, max_entries=256)
def _territory(dep: str, qpv: str | None, today: dt.date, version: int) -> dict[str, Any]:
    with session_scope(engine()) as session:
        ranking, total = public.priorites(session, departement_code=dep, qpv_code=qpv)
        return {
            "upcoming": public.rencontres_a_venir(session, departement_code=dep, qpv_code=qpv, today=today),
            "held": public.rencontres_tenues(session, departement_code=dep, qpv_code=qpv),
            "priorities": ranking,
            "total": total,
            "restitution": public.restitution(session, departement_code=dep),
            "syntheses": public.syntheses_publiees(session, departement_code=dep),
            "window": public.restitution_window(session),
            "engagements": engagements.list_engagements(session, departement_code=dep, qpv_code=qpv),
        }


@st.cache_data(show_spinner=False, max_entries=128)
def _upcoming_ics(dep: str, qpv: str | None, today: dt.date, version: int) -> bytes:
    with session_scope(engine()) as session:
        ids = public.rencontres_a_venir(session, departement_code=dep, qpv_code=qpv, today=today)["id"].tolist()
        rows = agenda.upcoming_rencontres(session, actor=ANONYME, departement_code=dep, today=today)
    rows = rows[rows["id"].isin(ids)]
    return agenda.calendar(rows.to_dict("records"), name="Rencontres Quartiers 2030")


def _published_synthese(document_id: int) -> Callable[[], bytes]:
    def load() -> bytes:
        with session_scope(engine()) as session:
            return documents.read_published_synthese(session, document_id=document_id)[1]

    return load


def _published(document_id: int) -> Callable[[], bytes]:
    """Deferred download: the bytes are read (and the publication re-checked) on click."""

    def load() -> bytes:
        with session_scope(engine()) as session:
            return documents.read_published_document(session, document_id=document_id)[1]

    return load


# --- Page ----------------------------------------------------------------------------------


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _on_dep() -> None:
    st.query_params.clear()
    if st.session_state.get("pub_dep"):
        st.query_params["dep"] = st.session_state["pub_dep"]


def _on_qpv() -> None:
    dep = st.session_state.get("pub_dep")
    code = st.session_state.get("pub_qpv")
    st.query_params.clear()
    if code:
        st.query_params["qpv"] = code
    elif dep:
        st.query_params["dep"] = dep


def render() -> None:
    st.title("Restitution publique de la concertation Quartiers 2030")
    st.write(
        "Habitants des quartiers prioritaires : retrouvez les prochaines rencontres près de chez vous, les "
        "conclusions des rencontres tenues, les priorités exprimées et ce que l'État et ses partenaires en "
        "ont fait. Aucune connexion n'est nécessaire."
    )
    document_id = _param("document")
    if document_id is not None:
        _document(document_id)
        return
    synthese_id = _param("synthese")
    if synthese_id is not None:
        _document(synthese_id, synthese=True)
        return
    version = data_version()
    qpv_code = (_param("qpv") or "").upper() or None
    dep = _param("dep")
    qpv_name = None
    if qpv_code:
        found = _qpv(qpv_code, version)
        if found is None:
            st.error(f"Quartier inconnu : {escape_markdown(qpv_code)}. Choisissez votre département ci-dessous.")
            qpv_code = None
        else:
            qpv_name, dep = found
    if dep not in DEPARTEMENTS:
        dep = None
    _selectors(dep, qpv_code, version)
    if dep is None:
        st.info("Choisissez un département pour voir ses rencontres, ses priorités et ses engagements.")
        return
    _territory_sections(dep, qpv_code, qpv_name, version)


def _selectors(dep: str | None, qpv_code: str | None, version: int) -> None:
    codes = list(DEPARTEMENTS)
    left, right = st.columns(2)
    st.session_state["pub_dep"] = dep
    left.selectbox(
        "Département",
        codes,
        format_func=lambda c: f"{c} – {DEPARTEMENTS[c][0]}",
        key="pub_dep",
        on_change=_on_dep,
        placeholder="Choisir un département…",
    )
    if dep is None:
        return
    quartiers = _quartiers(dep, version)
    st.session_state["pub_qpv"] = qpv_code
    right.selectbox(
        "Quartier (facultatif)",
        list(quartiers),
        format_func=lambda c: f"{quartiers[c]} ({c})",
        key="pub_qpv",
        on_change=_on_qpv,
        placeholder="Tout le département",
    )


def _territory_sections(dep: str, qpv_code: str | None, qpv_name: str | None, version: int) -> None:
    today = clock.today()
    data = _territory(dep, qpv_code, today, version)
    where = f"quartier {qpv_name} ({qpv_code})" if qpv_code else f"département {DEPARTEMENTS[dep][0]} ({dep})"
    st.header(f"Rencontres à venir — {where}")
    _upcoming(data["upcoming"], dep, qpv_code, today, version)
    st.header("Rencontres tenues et leurs conclusions")
    _held(data["held"])
    st.header("Priorités exprimées par les habitants")
    _priorities(data["priorities"], data["total"])
    st.header("Restitution publique dans le département")
    _restitution(data["restitution"], data["window"], data["syntheses"])
    st.header("Ce que nous avons fait de votre parole")
    _engagements(data["engagements"], qpv_code, _quartiers(dep, version))
    st.header("Partager cette page")
    share = {"qpv": qpv_code} if qpv_code else {"dep": dep}
    st.page_link(PAGES[PUBLIC_PAGE].path, label=f"Lien vers cette page ({where})", query_params=share)
    key, value = next(iter(share.items()))
    st.caption(f"Adresse à partager : Restitution?{key}={value}")


def _upcoming(frame: pd.DataFrame, dep: str, qpv_code: str | None, today: dt.date, version: int) -> None:
    if frame.empty:
        st.info("Aucune rencontre prévue pour le moment.")
    else:
        shown = pd.DataFrame(
            {
                "Date": frame["date"].map(fr_date),
                "Horaires": [_hours(a, b) for a, b in zip(frame["heure_debut"], frame["heure_fin"], strict=True)],
                "Pour": frame["pour"],
                "Lieu": [
                    ", ".join(p for p in (a, b) if p) for a, b in zip(frame["lieu"], frame["adresse"], strict=True)
                ],
                "Format": frame["format"],
                "Accessibilité": frame["accessibilite"],
            }
        )
        html_table(shown, "Rencontres à venir")
        st.download_button(
            "Ajouter ces rencontres à mon agenda (.ics)",
            _upcoming_ics(dep, qpv_code, today, version),
            file_name=f"rencontres-quartiers-2030-{qpv_code or dep}.ics",
            mime="text/calendar",
            key="pub_ics",
        )
    st.subheader("S'abonner à l'agenda du département")
    st.write(
        "Votre application d'agenda peut s'abonner à cette adresse : les rencontres du département s'y "
        "ajoutent et s'y mettent à jour d'elles-mêmes."
    )
    url = html.escape(_absolute(feeds.url_path(dep)))
    # A link, wrapped on narrow screens (a <pre> would scroll without keyboard access).
    st.html(f'<p class="q2030-feed"><a href="{url}" style="word-break:break-all">{url}</a></p>')


def _absolute(path: str) -> str:
    """The feed's full address, from the address the visitor used to reach the app."""
    try:
        base = str(st.context.url or "")
    except Exception:  # AppTest has no request
        base = ""
    if "://" not in base:
        return "/" + path
    scheme, rest = base.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{path}"


def table_html(frame: pd.DataFrame, caption: str) -> str:
    """An accessible table: caption, column headers, every cell escaped (user text)."""
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="q2030-table" role="region" tabindex="0" aria-label="{html.escape(caption)}" '
        'style="overflow-x:auto;max-width:100%">'
        f'<table style="border-collapse:collapse;width:100%"><caption style="text-align:left;font-weight:600">'
        f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def html_table(frame: pd.DataFrame, caption: str) -> None:
    st.html(table_html(frame, caption) + _TABLE_STYLE)


_TABLE_STYLE = (
    "<style>.q2030-table th,.q2030-table td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;"
    "vertical-align:top}.q2030-table:focus{outline:2px solid #000091}</style>"
)


def _hours(start: dt.time | None, end: dt.time | None) -> str:
    if start is None:
        return "Horaire à préciser"
    text = f"{start:%H:%M}".replace(":", " h ")
    return f"de {text} à {end:%H:%M}".replace(":", " h ") if end else f"à partir de {text}"


def _held(frame: pd.DataFrame) -> None:
    if frame.empty:
        st.info("Aucune rencontre tenue pour le moment.")
        return
    shown = pd.DataFrame(
        {
            "Date": frame["date"].map(fr_date),
            "Pour": frame["pour"],
            "Lieu": frame["lieu"],
            "Format": frame["format"],
            "Participants": frame["participants"].map(lambda n: "" if pd.isna(n) else fr_number(n)),
            "Comptes rendus publiés": frame["documents"].map(len),
        }
    )
    html_table(shown, "Rencontres tenues")
    with_documents = frame[frame["documents"].map(len) > 0]
    st.subheader("Comptes rendus publiés")
    if with_documents.empty:
        st.info("Aucun compte rendu n'a encore été publié pour ces rencontres.")
        return
    for row in with_documents.itertuples():
        st.write(f"Rencontre du {fr_date(row.date)} — {escape_markdown(str(row.pour))}")
        for document_id, name, mime, size in row.documents:
            st.download_button(
                f"Télécharger « {escape_markdown(name)} » ({fr_number(size / 1024, 0)} Ko)",
                _published(int(document_id)),
                file_name=name,
                mime=mime,
                key=f"pub_doc_{document_id}",
                on_click="ignore",
            )


def _priorities(frame: pd.DataFrame, total: int) -> None:
    st.caption(
        f"Nombre de contributions des rencontres tenues, par thème. Un thème n'apparaît qu'à partir de "
        f"{public.SEUIL_CONTRIBUTIONS} contributions dans le territoire, pour que personne ne puisse être "
        f"reconnu. Contributions recueillies ici : {fr_number(total)}."
    )
    if frame.empty:
        st.info(f"Pas encore assez de contributions (au moins {public.SEUIL_CONTRIBUTIONS} par thème) pour publier.")
        return
    top = frame.head(10)
    chart_column, table_column = st.columns([3, 2])
    chart = (
        alt.Chart(top, title="Thèmes les plus cités")
        .mark_bar(color=BLEU_FRANCE)
        .encode(
            x=alt.X("contributions:Q", title="Contributions"),
            y=alt.Y("libelle:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            tooltip=[alt.Tooltip("libelle:N", title="Thème"), alt.Tooltip("contributions:Q", title="Contributions")],
        )
        .properties(height=bar_height(len(top)))
    )
    with chart_column:
        show_chart(chart)
    with table_column:
        html_table(
            pd.DataFrame(
                {
                    "Thème": top["libelle"],
                    "Contributions": top["contributions"].map(fr_number),
                    "Rencontres": top["rencontres"].map(fr_number),
                }
            ),
            "Thèmes les plus cités (données du graphique)",
        )


def _restitution(
    day: dt.date | None, window: tuple[dt.date, dt.date], syntheses: list[tuple[int, int, str, str, int]]
) -> None:
    if day is not None:
        st.write(f"La restitution publique des propositions s'est tenue le {fr_date_long(day)}.")
    else:
        st.write(
            f"La restitution publique est prévue entre le {fr_date_long(window[0])} et le "
            f"{fr_date_long(window[1])} ; sa date et son lieu seront annoncés ici."
        )
    if not syntheses:
        return
    st.subheader("Synthèse départementale publiée")
    for document_id, numero, name, mime, size in syntheses:
        st.download_button(
            f"Télécharger la synthèse (version {numero}) « {escape_markdown(name)} » ({fr_number(size / 1024, 0)} Ko)",
            _published_synthese(document_id),
            file_name=name,
            mime=mime,
            key=f"pub_synthese_{document_id}",
            on_click="ignore",
        )


def _engagements(frame: pd.DataFrame, qpv_code: str | None, names: dict[str, str]) -> None:
    if frame.empty:
        st.info("Aucun engagement n'a encore été publié" + (" pour ce quartier." if qpv_code else "."))
        return
    summary = frame["statut"].map(lambda s: label(STATUTS_ENGAGEMENT, s)).value_counts()
    st.write(" · ".join(f"{name} : {fr_number(count)}" for name, count in summary.items()))
    for row in frame.itertuples():
        st.subheader(escape_markdown(row.titre))  # h3; typed by an agent: Markdown characters escaped
        dates = " – ".join(fr_date(d) for d in (row.date_debut, row.date_fin) if d is not None and not pd.isna(d))
        st.text(f"Statut : {label(STATUTS_ENGAGEMENT, row.statut)}" + (f" · {dates}" if dates else ""))
        st.text("Thèmes : " + ", ".join(theme_label(t) for t in row.themes))
        if row.quartiers:
            st.text("Quartiers : " + ", ".join(names.get(code, code) for code in row.quartiers))
        if row.texte_public:
            st.text(row.texte_public)
        if row.jalons:
            html_table(
                pd.DataFrame(
                    {
                        "Date": [fr_date(dt.date.fromisoformat(j["date"])) if j["date"] else "" for j in row.jalons],
                        "Étape": [j["texte"] for j in row.jalons],
                    }
                ),
                f"Jalons : {row.titre}",
            )


def _document(raw_id: str, *, synthese: bool = False) -> None:
    """The direct download path: published documents only, the same refusal otherwise."""
    st.header("Synthèse départementale" if synthese else "Compte rendu")
    read = documents.read_published_synthese if synthese else documents.read_published_document
    try:
        with session_scope(engine()) as session:
            document, content = read(session, document_id=int(raw_id))
    except (ValueError, Q2030Error):
        st.error(documents.NON_PUBLIE)
        st.page_link(PAGES[PUBLIC_PAGE].path, label="Retour à la restitution publique")
        return
    st.download_button(
        f"Télécharger « {escape_markdown(document.nom_fichier)} » ({fr_number(document.taille / 1024, 0)} Ko)",
        content,
        file_name=document.nom_fichier,
        mime=document.type_mime,
        key="pub_document",
        on_click="ignore",
    )
