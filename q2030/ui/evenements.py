"""« Échanges Excel », section « Rencontres d'une plateforme »: a platform's event list in.

Upload (CSV or XLSX exported by Decidim, Cap Collectif, OpenAgenda…), the guessed columns
(each can be corrected), a preview of what the import will do (nothing written), then an
explicit import: all or nothing, one transaction, every meeting awaiting the référent's
validation (q2030.evenements).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import ValidationError
from q2030.evenements import LIBELLES, OBLIGATOIRES, ROLES, RapportEvenements, colonnes, importer_evenements
from q2030.formatting import fr_count, fr_date
from q2030.ui import notices
from q2030.ui.shell import data_version, engine, escape_markdown
from q2030.ui.tables import show_table

ACTIONS = {"creee": "À créer", "mise_a_jour": "À mettre à jour", "inchangee": "Inchangée"}
STATUTS = {"tenue": "Tenue", "prevue": "Prévue"}
AUCUNE = ""


def _messages(error: ValidationError) -> str:
    return "\n".join(f"- {escape_markdown(m)}" for messages in error.errors.values() for m in messages)


def _run(
    actor: Actor, dep: str, content: bytes, filename: str, source: str, mapping: dict[str, str], *, apercu: bool
) -> RapportEvenements:
    bar = None if apercu else st.progress(0.0, text="Lecture du fichier…")

    def progress(fraction: float, message: str) -> None:
        if bar is not None:
            bar.progress(min(1.0, fraction), text=message)

    with session_scope(engine()) as session:
        report = importer_evenements(
            session,
            actor=actor,
            content=content,
            source=source,
            departement_code=dep,
            correspondance=mapping,
            apercu=apercu,
            filename=filename,
            progress=progress,
        )
        if apercu:
            session.rollback()
    return report


@st.cache_data(show_spinner="Aperçu de l'import…", max_entries=8)
def _apercu(
    actor: Actor, dep: str, content: bytes, filename: str, source: str, pairs: tuple[tuple[str, str], ...], version: int
) -> RapportEvenements | str:
    """What the import would do (nothing written), or the French reasons the file is refused."""
    try:
        return _run(actor, dep, content, filename, source, dict(pairs), apercu=True)
    except ValidationError as error:
        return _messages(error)


def apercu_frame(report: RapportEvenements) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Ligne": [e.ligne for e in report.evenements],
            "Identifiant": [e.identifiant for e in report.evenements],
            "Titre": [e.titre for e in report.evenements],
            "Date": [fr_date(e.date) for e in report.evenements],
            "Statut": [STATUTS.get(e.statut, e.statut) for e in report.evenements],
            "Import": [ACTIONS.get(e.action, e.action) for e in report.evenements],
            "Localisation": [e.localisation for e in report.evenements],
        }
    )


def _resume(report: RapportEvenements) -> str:
    return (
        f"{fr_count(report.crees, 'rencontre à créer', 'rencontres à créer')}, "
        f"{fr_count(report.mis_a_jour, 'à mettre à jour', 'à mettre à jour')}, "
        f"{fr_count(report.inchanges, 'inchangée')} ; "
        f"{fr_count(report.a_preciser, 'à localiser', 'à localiser')} (quartier « à préciser », à choisir ensuite "
        "dans la page Rencontres)."
    )


def _mapping(titres: list[str], guess: dict[str, str], digest: str) -> dict[str, str]:
    """One select per role, preset to the guess; « (aucune) » when the file has no such column."""
    st.markdown("**Correspondance des colonnes**")
    st.caption(
        "Colonnes reconnues d'après les noms usuels des plateformes. Corrigez une colonne mal reconnue ; "
        "« (aucune) » si le fichier ne l'a pas. Identifiant, titre et début sont obligatoires."
    )
    options = [AUCUNE, *titres]
    mapping: dict[str, str] = {}
    roles = list(ROLES)
    for index, role in enumerate(roles):
        if index % 3 == 0:  # one row of three at a time: stacked on a phone, they keep their order
            columns = st.columns(3)
        with columns[index % 3]:
            mapping[role] = st.selectbox(
                LIBELLES[role].capitalize() + (" (obligatoire)" if role in OBLIGATOIRES else ""),
                options,
                index=options.index(guess.get(role, AUCUNE)),
                format_func=lambda t: t or "(aucune)",
                key=f"ev_col_{digest}_{role}",
            )
    return mapping


def section(actor: Actor, dep: str) -> None:
    """The page's section: upload, correspondance, preview, import."""
    st.subheader("4. Importer les rencontres d'une plateforme")
    st.write(
        "Liste d'événements exportée de Decidim, Cap Collectif ou OpenAgenda (CSV ou Excel). Chaque événement "
        "devient une rencontre du département, localisée par sa commune et son code postal, tenue ou prévue selon "
        "sa date ; elle compte dans le suivi une fois validée dans Mon département (« À valider »). Réimporter la "
        "même source met ses rencontres à jour sans doublon."
    )
    uploaded = st.file_uploader("Liste des événements (.csv ou .xlsx)", type=["csv", "xlsx"], key="ev_upload")
    source = st.text_input(
        "Source (nom de la plateforme)",
        key="ev_source",
        max_chars=50,
        placeholder="par exemple decidim-93",
        help="Un nom par plateforme : les identifiants d'événements de deux sources ne se mélangent pas.",
    ).strip()
    if uploaded is None:
        return
    content, filename = uploaded.getvalue(), uploaded.name
    digest = hashlib.sha256(content).hexdigest()[:12]
    try:
        titres, guess = colonnes(content, filename)
    except ValidationError as error:
        st.error("Fichier illisible : rien ne sera importé.\n" + _messages(error))
        return
    mapping = _mapping(titres, guess, digest)
    if not source:
        st.info("Nommez la source pour voir l'aperçu de l'import.")
        return
    report = _apercu(actor, dep, content, filename, source, tuple(sorted(mapping.items())), data_version())
    st.markdown("**Aperçu** (rien n'est encore écrit)")
    if isinstance(report, str):
        st.error("Le fichier est refusé : rien ne sera importé. Corrigez-le ou la correspondance.\n" + report)
        return
    st.write(_resume(report))
    show_table(apercu_frame(report), key="ev_apercu", empty="Aucun événement dans ce fichier.", hide_index=True)
    changes = report.crees + report.mis_a_jour
    clicked = st.button(
        f"Importer {fr_count(changes, 'rencontre')}" if changes else "Rien à importer",
        key="ev_import",
        type="primary",
        disabled=not changes,
    )
    if clicked:
        try:
            done = _run(actor, dep, content, filename, source, mapping, apercu=False)
        except ValidationError as error:  # the base changed since the preview: nothing written
            notices.ici("ev_import", "Import refusé, rien n'a été écrit.\n" + _messages(error), "error")
            return
        notices.annoncer(
            "ev_import",
            f"Import de « {source} » terminé : {fr_count(done.crees, 'rencontre créée')}, "
            f"{fr_count(done.mis_a_jour, 'mise à jour', 'mises à jour')}, {fr_count(done.inchanges, 'inchangée')}. "
            "Elles attendent votre validation dans Mon département (« À valider »).",
        )
        st.rerun()
    notices.a_cote("ev_import")
