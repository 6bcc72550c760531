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
from typing import TypedDict

import altair as alt
import pandas as pd
import streamlit as st

from q2030 import agenda, clock, documents, engagements, public, settings
from q2030.access import ANONYME
from q2030.db import session_scope
from q2030.errors import IntrouvableError, Q2030Error
from q2030.formatting import fr_date, fr_number
from q2030.nomenclature import STATUTS_ENGAGEMENT, label, theme_label
from q2030.referentiel import DEPARTEMENTS
from q2030.ui import maps, params
from q2030.ui.charts import bar_height, cached_chart, show_chart
from q2030.ui.etat import BADGE_LEVELS, badge_html
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


class Territoire(TypedDict):
    upcoming: pd.DataFrame
    held: pd.DataFrame
    priorities: pd.DataFrame
    total: int | None
    restitution: dt.date | None
    syntheses: list[tuple[int, int, str, str, int]]
    window: tuple[dt.date, dt.date]
    engagements: pd.DataFrame


@st.cache_data(show_spinner=False, max_entries=256)
def _territory(dep: str, qpv: str | None, today: dt.date, version: int) -> Territoire:
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
def _carte(dep: str, today: dt.date, version: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    with session_scope(engine()) as session:
        return public.carte_quartiers(session, departement_code=dep, au=today)


@st.cache_data(show_spinner=False, max_entries=256)
def _meeting_ics(dep: str, rencontre_id: int, today: dt.date, version: int) -> bytes:
    with session_scope(engine()) as session:
        rows = agenda.upcoming_rencontres(session, actor=ANONYME, departement_code=dep, today=today)
    rows = rows[rows["id"] == rencontre_id]
    return agenda.calendar(rows.to_dict("records"), name="Rencontre Quartiers 2030")


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
    for name, synthese in (("document", False), ("synthese", True)):
        if params.present(name):  # a bad or huge number is answered like an unknown one
            _document(params.entier(name), synthese=synthese)
            return
    version = data_version()
    qpv_code, dep = params.code("qpv"), params.code("dep")
    qpv_name = None
    found = _qpv(qpv_code, version) if qpv_code else None
    if found is not None:
        qpv_name, dep = found
    else:
        qpv_code = None
        if params.present("qpv"):  # unknown, malformed or empty: the same answer
            st.error("Quartier introuvable. Choisissez votre département ci-dessous.")
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
    st.header("Les quartiers du département et leurs rencontres")
    _carte_section(dep, today, version)
    st.header("Rencontres tenues et leurs conclusions")
    _held(data["held"], today)
    st.header("Priorités exprimées par les habitants")
    _priorities(data["priorities"], data["total"])
    st.header("Restitution publique dans le département")
    _restitution(data["restitution"], data["window"], data["syntheses"], today)
    st.header("Ce que nous avons fait de votre parole")
    _engagements(data["engagements"], qpv_code, _quartiers(dep, version))
    st.header("Partager cette page")
    share = {"qpv": qpv_code} if qpv_code else {"dep": dep}
    address = public.share_address(_base_url(), **share)
    st.markdown(f"Adresse à partager ({escape_markdown(where)}) :")
    st.code(address, language=None, wrap_lines=True)
    st.page_link(PAGES[PUBLIC_PAGE].path, label=f"Ouvrir cette page ({where})", query_params=share)


def _carte_section(dep: str, today: dt.date, version: int) -> None:
    points, meetings = _carte(dep, today, version)
    if points.empty:
        st.info("Aucun quartier prioritaire dans ce département.")
        return
    map_column, table_column = st.columns([3, 2])
    with map_column:
        show_chart(cached_chart(maps.quartiers_map, dep, points, meetings, f"Quartiers de {DEPARTEMENTS[dep][0]}"))
        st.caption(
            "Chaque point est un quartier, placé sur sa commune ; sa forme et sa couleur disent s'il a eu sa "
            "rencontre. Un losange noir est une rencontre organisée pour toute une commune ou une "
            "intercommunalité, reliée aux quartiers qu'elle concernait."
        )
    with table_column:
        html_table(
            pd.DataFrame(
                {
                    "Quartier": points["qpv_nom"],
                    "Communes": points["communes"],
                    "Statut": points["statut_libelle"],
                    "Rencontre": points["detail"],
                }
            ),
            "Les quartiers et leurs rencontres (données de la carte)",
            scroll=True,
            badges={"Statut": dict(zip(points["statut_libelle"], points["statut"], strict=False))},
        )
    if not meetings.empty:
        territoire = meetings.groupby(["rencontre", "libelle"], as_index=False)["qpv_code"].agg(
            lambda codes: ", ".join(codes)
        )
        names = dict(zip(points["qpv_code"], points["qpv_nom"], strict=True))
        html_table(
            pd.DataFrame(
                {
                    "Rencontre": territoire["libelle"],
                    "Quartiers concernés": [
                        ", ".join(names.get(c, c) for c in codes.split(", ")) for codes in territoire["qpv_code"]
                    ],
                }
            ),
            "Rencontres pour toute une commune ou une intercommunalité",
        )


def _base_url() -> str:
    """The configured public address (Q2030_BASE_URL); else the address the visitor used."""
    if settings.base_url_configured():
        return settings.base_url()
    try:
        url = str(st.context.url or "")
    except Exception:  # AppTest has no request
        url = ""
    if "://" not in url:
        return settings.base_url()
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _upcoming(frame: pd.DataFrame, dep: str, qpv_code: str | None, today: dt.date, version: int) -> None:
    if frame.empty:
        st.info("Aucune rencontre prévue pour le moment.")
    else:
        shown = pd.DataFrame(
            {
                "Date": [public.meeting_sentence(d, today).capitalize() for d in frame["date"]],
                "Horaires": [_hours(a, b) for a, b in zip(frame["heure_debut"], frame["heure_fin"], strict=True)],
                "Pour": frame["pour"],
                "Lieu": [
                    ", ".join(p for p in (a, b) if p) for a, b in zip(frame["lieu"], frame["adresse"], strict=True)
                ],
                "Format": frame["format"],
                "Accessibilité": frame["accessibilite"],
            }
        )
        if frame["organise_par"].astype(bool).any():  # meetings declared by local organisers
            shown.insert(3, "Organisée par", [name or "—" for name in frame["organise_par"]])
        html_table(shown, "Rencontres à venir")
        st.markdown("**Ajouter une rencontre à mon agenda**")
        for row in frame.itertuples():
            st.download_button(
                f"Ajouter à mon agenda : {fr_date(row.date)}, {escape_markdown(str(row.lieu or row.pour))}",
                _meeting_ics(dep, int(row.id), today, version),
                file_name=f"rencontre-quartiers-2030-{row.id}.ics",
                mime="text/calendar",
                key=f"pub_ics_{row.id}",
                on_click="ignore",
            )
        st.download_button(
            "Ajouter toutes ces rencontres à mon agenda (.ics)",
            _upcoming_ics(dep, qpv_code, today, version),
            file_name=f"rencontres-quartiers-2030-{qpv_code or dep}.ics",
            mime="text/calendar",
            key="pub_ics",
            on_click="ignore",
        )
    st.subheader("S'abonner à l'agenda du département")
    st.write(
        "Votre application d'agenda (téléphone, messagerie) s'abonne à l'agenda du département : les "
        "rencontres s'y ajoutent et s'y mettent à jour d'elles-mêmes."
    )
    webcal, https = public.agenda_addresses(_base_url(), dep)
    # A link button: st.html and Markdown drop the webcal: scheme (HTML sanitising), this does not.
    st.link_button(f"S'abonner à l'agenda de {DEPARTEMENTS[dep][0]}", webcal, icon=":material/event:")
    st.markdown("Ou copiez cette adresse dans votre application d'agenda (« Ajouter un agenda par adresse ») :")
    st.code(https, language=None, wrap_lines=True)


def table_html(
    frame: pd.DataFrame, caption: str, badges: dict[str, dict[str, str]] | None = None, *, scroll: bool = False
) -> str:
    """An accessible table: caption, column headers, every cell escaped (user text). On a phone
    (under 600 px) each row becomes a card, each cell preceded by its column's name (data-label);
    explicit roles keep the table's semantics once CSS changes its display. `scroll`: a long
    table scrolls inside its (keyboard-focusable) region instead of lengthening the page.

    `badges`: column -> {cell text -> status code}; those cells are drawn as DSFR badges."""
    badges = badges or {}
    head = "".join(f'<th scope="col" role="columnheader">{html.escape(str(c))}</th>' for c in frame.columns)

    def cell(column: str, value: object) -> str:
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        level = BADGE_LEVELS.get(badges.get(column, {}).get(text, ""), "")
        inner = badge_html(text, level) if level else html.escape(text)
        return f'<td role="cell" data-label="{html.escape(column)}">{inner}</td>'

    body = "".join(
        '<tr role="row">' + "".join(cell(column, v) for column, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<div class="q2030-table{" q2030-table-defile" if scroll else ""}" role="region" tabindex="0" '
        f'aria-label="{html.escape(caption)}">'
        f'<table role="table"><caption>{html.escape(caption)}</caption>'
        f'<thead><tr role="row">{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def html_table(
    frame: pd.DataFrame, caption: str, badges: dict[str, dict[str, str]] | None = None, *, scroll: bool = False
) -> None:
    st.html(table_html(frame, caption, badges, scroll=scroll) + _TABLE_STYLE)


_TABLE_STYLE = """<style>
.q2030-table{overflow-x:auto;max-width:100%;margin-bottom:1rem}
.q2030-table table{border-collapse:collapse;width:100%}
.q2030-table caption{text-align:left;font-weight:700;padding-bottom:.25rem}
.q2030-table th,.q2030-table td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.q2030-table th{background:#f6f6f6}
.q2030-table:focus{outline:2px solid #000091}
.q2030-table-defile{max-height:32rem;overflow-y:auto}
.q2030-lien{color:#000091;font-weight:700;text-decoration:underline}
@media (max-width:600px){
.q2030-table table,.q2030-table tbody,.q2030-table tr,.q2030-table td{display:block;width:100%}
.q2030-table caption{display:block;width:100%}
.q2030-table thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.q2030-table tr{border:1px solid #ddd;border-radius:.25rem;margin-bottom:.75rem;padding:.5rem .75rem}
.q2030-table td{border:none;padding:.1rem 0}
.q2030-table td::before{content:attr(data-label) " : ";font-weight:700}
}
</style>"""


def _hours(start: dt.time | None, end: dt.time | None) -> str:
    if start is None:
        return "Horaire à préciser"
    text = f"{start:%H:%M}".replace(":", " h ")
    return f"de {text} à {end:%H:%M}".replace(":", " h ") if end else f"à partir de {text}"


def _held(frame: pd.DataFrame, today: dt.date) -> None:
    if frame.empty:
        st.info("Aucune rencontre tenue pour le moment.")
        return
    shown = pd.DataFrame(
        {
            "Date": [public.meeting_sentence(d, today).capitalize() for d in frame["date"]],
            "Pour": frame["pour"],
            "Lieu": frame["lieu"],
            "Format": frame["format"],
            "Participants": frame["participants"].map(lambda n: "" if pd.isna(n) else fr_number(n)),
            "Comptes rendus publiés": frame["documents"].map(len),
        }
    )
    html_table(shown, "Rencontres qui ont eu lieu")
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


def _priorities(frame: pd.DataFrame, total: int | None) -> None:
    recueillies = (
        f"Contributions recueillies ici : {fr_number(total)}."
        if total is not None
        else "Le nombre de contributions recueillies ici n'est pas publié (trop peu nombreuses)."
    )
    st.caption(
        f"Nombre de contributions des rencontres tenues, par thème. Un chiffre n'est publié qu'à partir de "
        f"{public.SEUIL_CONTRIBUTIONS} contributions, et jamais s'il permettait d'en déduire un chiffre caché par "
        f"soustraction (par exemple du total du département), pour que personne ne puisse être reconnu. {recueillies}"
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
    day: dt.date | None,
    window: tuple[dt.date, dt.date],
    syntheses: list[tuple[int, int, str, str, int]],
    today: dt.date,
) -> None:
    st.write(public.restitution_sentence(day, window, today))
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


def _document(document_id: int | None, *, synthese: bool = False) -> None:
    """The direct download path: published documents only, the same refusal otherwise
    (an identifier rejected by q2030.parametres included)."""
    st.header("Synthèse départementale" if synthese else "Compte rendu")
    read = documents.read_published_synthese if synthese else documents.read_published_document
    try:
        if document_id is None:
            raise IntrouvableError(documents.NON_PUBLIE)
        with session_scope(engine()) as session:
            document, content = read(session, document_id=document_id)
    except Q2030Error as error:
        st.error(documents.INDISPONIBLE if str(error) == documents.INDISPONIBLE else documents.NON_PUBLIE)
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
