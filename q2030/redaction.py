"""Drafting the documents the consultation owes: the synthèse départementale and, per
rencontre, the synthesis to its participants. Both are editable DOCX or ODT files.

Every figure comes from the services the pages and the Excel synthèse use:
- quartiers: `coverage.coverage_counts` and `coverage.qpv_status` (same date `au`);
- participants: `participation.participant_sums` (the Excel cover's sums too), for the
  département and for France;
- themes: `priorities.classement` (groupe "axe", raw counts: the Excel "Priorités" sheet)
  and `priorities.comparaison` per axis (the index against France of the Priorités page);
- quotes: `priorities.contributions` (the contributions the actor may read).

Quotes (deterministic rule, also printed in the document): for each of the three first
themes of an axis, the contributions of that axis and theme ordered by the rank their
rencontre gave them (1 first, unranked last), then by the rencontre's date (oldest
first), then by rencontre and contribution number; at most one per rencontre, three at
most. Texts are reproduced exactly as recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030 import clock
from q2030.access import Action, Actor, DepartementCible, exiger
from q2030.adresses import page_publique
from q2030.bureautique import (
    BlocMarque,
    Graphique,
    Intertitre,
    Liste,
    Paragraphe,
    Plan,
    SautDePage,
    Signature,
    Tableau,
    Titre,
)
from q2030.campaigns import active_campaign, situation_par_defaut
from q2030.comptage import compte
from q2030.errors import IntrouvableError, ValidationError
from q2030.formatting import fr_count, fr_date, fr_date_long, fr_number, fr_percent
from q2030.graphiques import PUBLICS
from q2030.models import Contribution, Departement, Qpv, Rencontre, RencontreQpv, stored_id
from q2030.nomenclature import ACCESSIBILITE, AXES, FORMATS, TYPES_LIEU, StatutRencontre, theme_label
from q2030.referentiel import nom_avec_de
from q2030.rendu import rendre
from q2030.signataires import SignataireView, lire_signataire

THEMES_PAR_AXE = 3  # themes quoted per axis
CITATIONS_PAR_THEME = 3
THEMES_AFFICHES = 5  # rows of each axis' table
INDICE_SAILLANT = 1.25  # "stands out against France" from this index on...
MIN_SAILLANT = 3  # ...with at least this many contributions
REGLE_CITATIONS = (
    "Choix des citations : pour chacun des trois premiers thèmes de l'axe, les contributions "
    "classées en tête par leur rencontre (rang 1 d'abord, non classées en dernier), puis les plus "
    "anciennes, une seule par rencontre, trois au plus. Les textes sont reproduits tels qu'ils ont "
    "été saisis."
)
PUBLICS_PARTICIPANTS = PUBLICS
FORMATS_FICHIER = ("docx", "odt")


def axe_titre(code: str) -> str:
    """ "Changements attendus d'ici 2030" (the nomenclature label without its number)."""
    return AXES[code].split(". ", 1)[-1]


@dataclass(frozen=True)
class Citation:
    texte: str
    rencontre_id: int
    date: dt.date
    quartiers: str
    rang: int | None
    contribution_id: int

    @property
    def source(self) -> str:
        where = f", {self.quartiers}" if self.quartiers else ""
        return f"Rencontre n° {self.rencontre_id}, {fr_date(self.date)}{where}"


@dataclass(frozen=True)
class ThemeAxe:
    rang: int
    theme: str
    theme_libelle: str
    contributions: int
    part: float
    indice: float | None  # part here / part in France (same axis), None when France has none
    citations: tuple[Citation, ...]


@dataclass
class DonneesSynthese:
    """Everything the synthèse says, as plain values (tests compare them with the services)."""

    departement_code: str
    departement_nom: str
    campagne: str
    au: dt.date
    echeance: dt.date
    compteurs: dict[str, float]  # coverage_counts row of the département
    compteurs_frame: pd.DataFrame  # the same row as a frame (the page's status chart reads it)
    classement: pd.DataFrame  # priorities.classement rows, groupe "axe" (the Priorités page's bars)
    signataire: SignataireView
    participants: dict[str, int]  # participant_sums of the département
    participants_france: dict[str, int]
    rencontres: pd.DataFrame  # held rencontres at `au` (annex)
    quartiers: pd.DataFrame  # qpv_status of the département
    axes: dict[str, list[ThemeAxe]]
    saillants: dict[str, list[ThemeAxe]]
    enseignements: str
    vigilance: str
    motifs: dict[str, str]


# --- Collecting the figures --------------------------------------------------------------------


def donnees_synthese(
    session: Session, *, actor: Actor, departement_code: str, au: dt.date | None = None
) -> DonneesSynthese:
    from q2030 import coverage
    from q2030.participation import participant_sums
    from q2030.priorities import Filtres, classement, comparaison, contributions
    from q2030.syntheses import textes_synthese

    departement = session.get(Departement, departement_code)
    if departement is None:
        raise IntrouvableError(f"Département inconnu : « {departement_code} ».")
    exiger(
        actor,
        Action.LIRE,
        DepartementCible(departement.code),
        "Vous ne pouvez rédiger que les synthèses de votre périmètre.",
    )
    campaign = active_campaign(session)
    today = clock.today()
    au = au or situation_par_defaut(campaign.restitution_fin, today)
    counts = coverage.coverage_counts(
        session, actor=actor, au=au, niveau="departement", departement_code=departement.code
    )
    compteurs = (
        {str(k): float(v) for k, v in counts.iloc[0].items() if pd.api.types.is_number(v) and not isinstance(v, bool)}
        if len(counts)
        else {}
    )
    status = coverage.qpv_status(session, actor=actor, au=au, departement_code=departement.code)
    sums = participant_sums(session, campaign_id=stored_id(campaign), au=au, departements=[departement.code])
    sums_fr = participant_sums(session, campaign_id=stored_id(campaign), au=au, departements=None)

    # Same filters as the Excel "Priorités" sheet (no date bound when the situation is today).
    filtres = Filtres(departement=departement.code, fin=au if au < today else None)
    ranking = classement(session, actor=actor, filtres=filtres, ponderation="contribution", groupe="axe")
    quotes = contributions(session, actor=actor, filtres=filtres, limite=None)
    by_label = {label: code for code, label in AXES.items()}
    quotes["axe_code"] = quotes["axe"].map(by_label)
    axes: dict[str, list[ThemeAxe]] = {}
    saillants: dict[str, list[ThemeAxe]] = {}
    for axe in AXES:
        rows = ranking[ranking["groupe"] == axe]
        index: dict[str, float] = {}
        if len(rows):
            compared = comparaison(session, actor=actor, filtres=Filtres(departement=departement.code, axe=axe,
                                                                         fin=filtres.fin))  # fmt: skip
            index = {t: float(i) for t, i in zip(compared["theme"], compared["indice"], strict=True) if pd.notna(i)}
        themes: list[ThemeAxe] = []
        for r in rows.itertuples():
            picked = (
                choisir_citations(quotes[(quotes["axe_code"] == axe) & (quotes["theme"] == r.theme_libelle)])
                if int(r.rang) <= THEMES_PAR_AXE
                else ()
            )
            themes.append(
                ThemeAxe(int(r.rang), str(r.theme), str(r.theme_libelle), int(r.contributions), float(r.part),
                         index.get(str(r.theme)), picked)
            )  # fmt: skip
        axes[axe] = themes
        saillants[axe] = sorted(
            (
                t
                for t in themes
                if t.indice is not None and t.indice >= INDICE_SAILLANT and t.contributions >= MIN_SAILLANT
            ),
            key=lambda t: (-(t.indice or 0), t.theme_libelle),
        )[:3]
    texts = textes_synthese(session, actor=actor, departement_code=departement.code)
    return DonneesSynthese(
        departement_code=departement.code,
        departement_nom=departement.nom,
        campagne=campaign.nom,
        au=au,
        echeance=campaign.synthese_departementale_echeance,
        compteurs=compteurs,
        compteurs_frame=counts,
        classement=ranking,
        signataire=lire_signataire(session, departement_code=departement.code),
        participants=sums,
        participants_france=sums_fr,
        rencontres=rencontres_tenues(
            session, departement_code=departement.code, campaign_id=stored_id(campaign), au=au
        ),
        quartiers=status,
        axes=axes,
        saillants=saillants,
        enseignements=texts.enseignements,
        vigilance=texts.vigilance,
        motifs=texts.motifs,
    )


def choisir_citations(frame: pd.DataFrame, n: int = CITATIONS_PAR_THEME) -> tuple[Citation, ...]:
    """The quote rule (see the module docstring) on `priorities.contributions` rows."""
    if frame.empty:
        return ()
    ordered = frame.assign(_sans_rang=frame["rang"].isna(), _rang=frame["rang"].fillna(0).astype(int)).sort_values(
        ["_sans_rang", "_rang", "date", "rencontre_id", "id"], kind="mergesort"
    )
    seen: set[int] = set()
    picked: list[Citation] = []
    for r in ordered.itertuples():
        if int(r.rencontre_id) in seen:
            continue
        seen.add(int(r.rencontre_id))
        rang = None if pd.isna(r.rang) else int(r.rang)
        picked.append(Citation(str(r.texte), int(r.rencontre_id), _date(r.date), str(r.qpv or ""), rang, int(r.id)))
        if len(picked) == n:
            break
    return tuple(picked)


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


RENCONTRE_COLUMNS = [
    "id", "date", "lieu", "commune_nom", "type_lieu", "format", "participants", "elu_present",
    "representant_etat_present", "membre_commission_present", "accessibilite",
]  # fmt: skip


def rencontres_tenues(session: Session, *, departement_code: str, campaign_id: int, au: dt.date) -> pd.DataFrame:
    """Held rencontres at `au` (the same rule as the coverage: "tenue", dated <= au), with their QPV."""
    r = Rencontre
    rows = session.exec(
        select(*(getattr(r, c) for c in RENCONTRE_COLUMNS))
        .where(
            r.campaign_id == campaign_id,
            r.departement_code == departement_code,
            r.statut == StatutRencontre.TENUE,
            r.date <= au,
            compte(r),
        )
        .order_by(r.date, r.id)
    ).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=RENCONTRE_COLUMNS)
    frame["date"] = frame["date"].map(_date)
    quartiers: dict[int, list[str]] = {}
    ids = [int(i) for i in frame["id"]]
    for start in range(0, len(ids), 5000):
        for rid, code, nom in session.exec(
            select(RencontreQpv.rencontre_id, Qpv.code, Qpv.nom)
            .join(Qpv, col(Qpv.code) == col(RencontreQpv.qpv_code))
            .where(col(RencontreQpv.rencontre_id).in_(ids[start : start + 5000]))
            .order_by(col(RencontreQpv.rencontre_id), col(Qpv.code))
        ):
            quartiers.setdefault(rid, []).append(f"{nom} ({code})")
    frame["quartiers"] = frame["id"].map(lambda i: ", ".join(quartiers.get(int(i), [])))
    return frame


# --- Writing the synthèse départementale ---------------------------------------------------------


def _share(part: int, total: int) -> str:
    return fr_percent(part / total) if total else "—"


def _counted(values: list[str], labels: dict[str, str]) -> str:
    counts = Counter(values)
    return ", ".join(
        f"{labels.get(k, k)} ({fr_number(n)})" for k, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    )


def _user_text(text: str, missing: str) -> list[Paragraphe]:
    if not text.strip():
        return [Paragraphe(missing, "note")]
    return [Paragraphe(block.strip()) for block in text.strip().split("\n\n") if block.strip()]


def _names(names: list[str]) -> str:
    """« A », « A et B », « A, B et C »."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def prefecture(code: str) -> str:
    return f"Préfecture {nom_avec_de(code)}"


def _signature(code: str, signataire: SignataireView, day: dt.date) -> Signature:
    return Signature(
        f"Le {fr_date_long(day)}",
        signataire.titre_imprime,
        signataire.nom or "(nom du signataire, à choisir sur l'écran de la synthèse)",
    )


def plan_synthese(data: DonneesSynthese) -> Plan:
    nom, code = data.departement_nom, data.departement_code
    plan = Plan(
        titre=f"Synthèse départementale — {nom} ({code})",
        pied=f"Quartiers 2030 — Synthèse départementale — {nom} ({code}) — situation au {fr_date(data.au)}",
    )
    plan.add(
        BlocMarque(prefecture(code)),
        Titre("Quartiers 2030 — concertation des habitants des quartiers prioritaires", 2),
        Titre("Synthèse départementale"),
        Titre(f"{nom} ({code})", 1),
        Titre(f"Campagne : {data.campagne}", 2),
        Titre(f"Situation au {fr_date_long(data.au)}", 2),
        Titre(
            "À transmettre par la préfecture de région à la commission « participation citoyenne » et à l'ANCT "
            f"au plus tard le {fr_date_long(data.echeance)}.",
            2,
        ),
        Paragraphe(
            "Projet rédigé à partir des données de l'application Quartiers 2030, à relire et compléter avant "
            "transmission. Les chiffres et les graphiques sont ceux des pages Mon département et Priorités et du "
            f"classeur Excel de synthèse, situation au {fr_date(data.au)}.",
            "note",
        ),
        SautDePage(),
    )
    _demarche(plan, data)
    plan.add(Intertitre("Enseignements principaux"))
    plan.add(
        *_user_text(data.enseignements, "À rédiger par le référent (page Mon département, « Rédiger la synthèse »).")
    )
    _axes(plan, data)
    plan.add(Intertitre("Spécificités et points de vigilance"))
    plan.add(*_user_text(data.vigilance, "À rédiger par le référent (page Mon département, « Rédiger la synthèse »)."))
    plan.add(_signature(code, data.signataire, data.au))
    _annexes(plan, data)
    return plan


def _demarche(plan: Plan, data: DonneesSynthese) -> None:
    c = data.compteurs
    held = data.rencontres
    n_held = int(c.get("rencontres_tenues", 0))
    plan.add(Intertitre("La démarche"), Intertitre("Les rencontres", 2))
    if n_held:
        measures = _counted([m for ms in held["accessibilite"] for m in (ms or [])], ACCESSIBILITE)
        first, last = min(held["date"]), max(held["date"])
        span = f"le {fr_date(first)}" if first == last else f"entre le {fr_date(first)} et le {fr_date(last)}"
        planned = int(c.get("rencontres_prevues", 0))
        plan.add(
            Paragraphe(
                f"{fr_count(n_held, 'rencontre tenue', 'rencontres tenues')} {span}"
                + (f" ; {fr_count(planned, 'autre prévue', 'autres prévues')}." if planned else ".")
            ),
            Liste([
                f"Formats : {_counted(list(held['format']), FORMATS)}.",
                f"Lieux : {_counted(list(held['type_lieu']), TYPES_LIEU)}.",
                f"Présence d'élus : {fr_count(int(held['elu_present'].sum()), 'rencontre')} sur {fr_number(n_held)}.",
                f"Présence de l'État (préfecture, sous-préfecture, délégué du préfet) : "
                f"{fr_count(int(held['representant_etat_present'].sum()), 'rencontre')} sur {fr_number(n_held)}.",
                "Présence d'un membre de la commission : "
                f"{fr_count(int(held['membre_commission_present'].sum()), 'rencontre')}.",
                f"Mesures d'accessibilité : {measures or 'aucune déclarée'}.",
            ]),
        )  # fmt: skip
    else:
        plan.add(Paragraphe("Aucune rencontre tenue à cette date."))
    _participants(plan, data)
    _quartiers(plan, data)


def _participants(plan: Plan, data: DonneesSynthese) -> None:
    from q2030.graphiques import en_png, participation_chart, parts_publics

    plan.add(Intertitre("Les participants", 2))
    total, total_fr = data.participants["participants"], data.participants_france["participants"]
    plan.add(
        Paragraphe(
            f"{fr_count(total, 'participant')} aux rencontres tenues. Part de chaque public parmi les participants, "
            "comparée à l'ensemble des rencontres tenues en France (figure et tableau) :"
        )
    )
    rows = [
        [label, fr_number(data.participants[key]), _share(data.participants[key], total),
         _share(data.participants_france[key], total_fr)]
        for key, label in PUBLICS_PARTICIPANTS.items()
    ]  # fmt: skip
    if total:
        parts = parts_publics(data.departement_nom, data.participants, data.participants_france)
        plan.add(
            Graphique(
                en_png(participation_chart(parts, "Part parmi les participants")),
                f"Part de chaque public parmi les participants, {data.departement_nom} et France",
                "Barres groupées par public : " + " ; ".join(f"{r[0]} {r[2]} ici, {r[3]} en France" for r in rows),
                largeur_cm=14.0,
            )
        )
    plan.add(Tableau(["Public", "Participants", "Part", "Part en France"], rows))


STATUTS_QUARTIERS = [
    ("couvert_delais", "Couverts dans les délais"),
    ("couvert_retard", "Couverts en retard"),
    ("prevu", "Rencontre prévue"),
    ("non_couvert", "Sans rencontre"),
]


def _quartiers(plan: Plan, data: DonneesSynthese) -> None:
    from q2030.graphiques import en_png, status_chart

    c = data.compteurs
    qpv = int(c.get("qpv", 0))
    plan.add(Intertitre("Les quartiers", 2))
    figures = [(label, int(c.get(key, 0))) for key, label in STATUTS_QUARTIERS]
    plan.add(
        Paragraphe(
            f"{fr_count(qpv, 'quartier prioritaire', 'quartiers prioritaires')} : "
            f"{fr_count(figures[0][1], 'couvert', 'couverts')} dans les délais, "
            f"{fr_count(figures[1][1], 'couvert', 'couverts')} en retard, "
            f"{fr_count(figures[2][1], 'quartier', 'quartiers')} avec une rencontre prévue, "
            f"{fr_count(figures[3][1], 'quartier', 'quartiers')} sans rencontre. "
            f"Taux de couverture : {fr_percent(float(c.get('taux_couverts', 0.0)))}."
        )
    )
    if qpv and len(data.compteurs_frame):
        counts = data.compteurs_frame.assign(Département=data.compteurs_frame["nom"])
        plan.add(
            Graphique(
                en_png(status_chart(counts, "Département", "Répartition des QPV par statut")),
                f"Répartition des {fr_number(qpv)} quartiers prioritaires du département par statut",
                "Barre empilée : " + " ; ".join(f"{label} {fr_number(n)} ({_share(n, qpv)})" for label, n in figures),
                largeur_cm=15.0,
            ),
            Tableau(["Statut", "Quartiers", "Part"], [[label, fr_number(n), _share(n, qpv)] for label, n in figures]),
        )
    _raisons(plan, data)


def _raisons(plan: Plan, data: DonneesSynthese) -> None:
    """The quartiers without a held rencontre, grouped by the reason the référent gave; those
    without a reason in one sentence naming them."""
    uncovered = data.quartiers[data.quartiers["statut"].isin(["prevu", "non_couvert"])]
    if not len(uncovered):
        return
    groups: dict[str, list[str]] = {}
    silent: list[str] = []
    for r in uncovered.itertuples():
        reason = (data.motifs.get(r.qpv_code) or "").strip()
        if not reason and r.statut == "prevu":
            reason = "Rencontre prévue, pas encore tenue"
        (groups.setdefault(reason, []) if reason else silent).append(str(r.qpv_nom))
    if groups:
        plan.add(
            Paragraphe("Quartiers sans rencontre tenue, regroupés selon la raison donnée par le référent :"),
            Liste([
                f"{reason} ({fr_count(len(names), 'quartier')}) : {_names(sorted(names))}."
                for reason, names in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
            ]),
        )  # fmt: skip
    if silent:
        plan.add(
            Paragraphe(f"Raison non renseignée pour {fr_count(len(silent), 'quartier')} : {_names(sorted(silent))}.")
        )


def _axes(plan: Plan, data: DonneesSynthese) -> None:
    from q2030.graphiques import barres_themes, en_png

    plan.add(Intertitre("Ce que disent les habitants, axe par axe"))
    plan.add(
        Paragraphe(
            "Pour chacune des quatre questions posées, les thèmes les plus cités dans le département (nombre de "
            "contributions et part dans l'axe) et l'indice par rapport à la France (part dans le département / part "
            "en France pour le même axe ; au-dessus de 1, le thème pèse davantage ici)."
        ),
        Paragraphe(REGLE_CITATIONS, "note"),
    )
    for axe in AXES:
        themes = data.axes.get(axe, [])
        plan.add(Intertitre(axe_titre(axe), 2))
        if not themes:
            plan.add(Paragraphe("Aucune contribution sur cet axe."))
            continue
        shown = themes[:THEMES_AFFICHES]
        rows = data.classement[data.classement["groupe"] == axe].sort_values("rang").head(THEMES_AFFICHES)
        plan.add(
            Graphique(
                en_png(barres_themes(rows, "part", "Part des contributions de l'axe", etiquettes=True)),
                f"{axe_titre(axe)} : les {fr_number(len(shown))} thèmes les plus cités (part des contributions)",
                "Barres classées : " + " ; ".join(f"{t.theme_libelle} {fr_percent(t.part)}" for t in shown),
                largeur_cm=15.0,
            ),
            Tableau(
                ["Rang", "Thème", "Contributions", "Part de l'axe", "Indice / France"],
                [[fr_number(t.rang), t.theme_libelle, fr_number(t.contributions), fr_percent(t.part),
                  "—" if t.indice is None else fr_number(t.indice, 2)] for t in shown],
            ),
        )  # fmt: skip
        standout = data.saillants.get(axe, [])
        if standout:
            plan.add(
                Paragraphe(
                    "Ce qui ressort par rapport à la France : "
                    + " ; ".join(f"{t.theme_libelle} (indice {fr_number(t.indice or 0, 2)})" for t in standout)
                    + "."
                )
            )
        for theme in themes[:THEMES_PAR_AXE]:
            if not theme.citations:
                continue
            plan.add(Paragraphe(f"{theme.theme_libelle} — ce qu'en disent les habitants :"))
            for quote in theme.citations:
                plan.add(Paragraphe(f"« {quote.texte} »", "citation"), Paragraphe(quote.source, "source"))


def _annexes(plan: Plan, data: DonneesSynthese) -> None:
    held = data.rencontres
    uncovered = data.quartiers[data.quartiers["statut"].isin(["prevu", "non_couvert"])]
    plan.add(SautDePage(), Intertitre("Annexes"), Intertitre("Rencontres tenues", 2))
    if len(held):
        plan.add(
            Tableau(
                ["N°", "Date", "Lieu", "Format", "Quartiers", "Participants"],
                [[str(r.id), fr_date(r.date), ", ".join(x for x in (r.lieu, r.commune_nom) if x),
                  FORMATS.get(r.format, r.format), r.quartiers,
                  "" if pd.isna(r.participants) else fr_number(int(r.participants))] for r in held.itertuples()],
            )
        )  # fmt: skip
    else:
        plan.add(Paragraphe("Aucune rencontre tenue à cette date."))
    plan.add(Intertitre("Quartiers sans rencontre tenue", 2))
    if len(uncovered):
        plan.add(
            Tableau(
                ["Code", "Quartier", "Communes", "Statut", "Raison donnée par le référent"],
                [[r.qpv_code, r.qpv_nom, r.communes, r.statut_libelle, data.motifs.get(r.qpv_code, "")]
                 for r in uncovered.itertuples()],
            )
        )  # fmt: skip
    else:
        plan.add(Paragraphe("Tous les quartiers ont eu au moins une rencontre tenue."))


def rediger_synthese(
    session: Session, *, actor: Actor, departement_code: str, fmt: str, au: dt.date | None = None
) -> bytes:
    """The editable synthèse départementale, as DOCX or ODT bytes."""
    if fmt not in FORMATS_FICHIER:
        raise ValidationError({"format": [f"Format inconnu « {fmt} » : docx ou odt."]})
    return rendre(plan_synthese(donnees_synthese(session, actor=actor, departement_code=departement_code, au=au)), fmt)


# --- The synthesis to the participants of one rencontre ----------------------------------------

CONTRIBUTIONS_PAR_AXE_LETTRE = 8  # keeps the letter within two pages
# The four questions as residents were asked them.
QUESTIONS_HABITANTS = {
    "changements": "Ce qui devrait changer dans le quartier d'ici 2030",
    "ressources": "Les forces du quartier et les acteurs sur qui compter",
    "projets": "Les projets qui pourraient porter ces changements",
    "solutions": "Les solutions à mettre en place en priorité",
}


def plan_lettre(session: Session, *, actor: Actor, rencontre_id: int, au: dt.date | None = None) -> Plan:
    """The letter to the participants of a held rencontre: written for residents (what was
    said, what comes next, where to follow it), quartier names without codes, no internal
    deadline, signed by the département's signatory. Dated `au` (default: the pages' date)."""
    from q2030.rencontres.acces import find_rencontre, require_read_rencontre

    rencontre = find_rencontre(session, rencontre_id)
    require_read_rencontre(actor, rencontre)
    if rencontre.statut != StatutRencontre.TENUE:
        raise ValidationError("La synthèse aux participants ne se rédige qu'après une rencontre tenue.")
    campaign = active_campaign(session)
    au = au or situation_par_defaut(campaign.restitution_fin, clock.today())
    code = rencontre.departement_code
    quartiers = list(
        session.exec(
            select(Qpv.nom)
            .join(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
            .where(RencontreQpv.rencontre_id == rencontre_id)
            .order_by(Qpv.nom)
        ).all()
    )
    contributions = session.exec(
        select(Contribution.axe, Contribution.theme, Contribution.texte, Contribution.rang)
        .where(Contribution.rencontre_id == rencontre_id)
        .order_by(col(Contribution.axe), func.coalesce(col(Contribution.rang), 1_000_000), col(Contribution.id))
    ).all()
    place = ", ".join(x for x in (rencontre.lieu, rencontre.adresse, rencontre.commune_nom or "") if x)
    where = quartiers and (
        f"le quartier {quartiers[0]}" if len(quartiers) == 1 else f"les quartiers {_names(quartiers)}"
    )
    where = where or rencontre.quartier_hors_qpv or ""
    plan = Plan(
        titre=f"Ce que vous avez dit lors de la rencontre du {fr_date(rencontre.date)}",
        pied=f"Quartiers 2030 — {prefecture(code)} — rencontre du {fr_date(rencontre.date)}",
    )
    plan.add(
        BlocMarque(prefecture(code)),
        Titre(f"Le {fr_date_long(au)}", 2),
        Titre("Concertation Quartiers 2030", 1),
        Titre(f"Ce que vous avez dit lors de la rencontre du {fr_date_long(rencontre.date)}", 0),
        Paragraphe("Madame, Monsieur,"),
        Paragraphe(
            f"Le {fr_date_long(rencontre.date)}, vous avez participé à une rencontre de la concertation Quartiers 2030"
            + (f" pour {where}" if where else "")
            + ". Cette concertation prépare les nouveaux contrats de ville, qui fixent pour les années à venir ce que "
            "l'État, les communes et leurs partenaires feront dans les quartiers. Merci d'être venu donner votre avis. "
            "Voici ce qui s'est dit, ce qui va suivre et comment le suivre."
        ),
        Intertitre("La rencontre"),
        Liste([
            f"Date : {fr_date_long(rencontre.date)}" + (f", à {hour:%H:%M}" if (hour := rencontre.heure_debut) else ""),
            f"Lieu : {place or 'non précisé'}",
            f"Format : {FORMATS.get(rencontre.format, rencontre.format).lower()}",
            ("Quartiers : " if len(quartiers) > 1 else "Quartier : ")
            + (", ".join(quartiers) or rencontre.quartier_hors_qpv or "non précisé"),
        ]),
        Intertitre("Qui est venu"),
    )  # fmt: skip
    counts = [
        ("participants", "participant", "participants"), ("femmes", "femme", "femmes"),
        ("jeunes", "jeune", "jeunes"), ("habitants_qpv", "habitant du quartier", "habitants des quartiers"),
        ("professionnels", "professionnel", "professionnels"), ("elus", "élu", "élus"),
    ]  # fmt: skip
    said = [fr_count(getattr(rencontre, key), one, many) for key, one, many in counts if getattr(rencontre, key)]
    plan.add(Paragraphe((", dont ".join([said[0], ", ".join(said[1:])]) if len(said) > 1 else said[0]) + "."
                        if said else "Le nombre de participants n'a pas été relevé."))  # fmt: skip
    plan.add(Intertitre("Ce qui a été dit"))
    if not contributions:
        plan.add(Paragraphe("Les propositions de cette rencontre n'ont pas encore été enregistrées."))
    for axe in AXES:
        items = [(theme, texte) for a, theme, texte, _rang in contributions if a == axe]
        if not items:
            continue
        shown = [f"{texte} ({theme_label(theme)})" for theme, texte in items[:CONTRIBUTIONS_PAR_AXE_LETTRE]]
        if len(items) > CONTRIBUTIONS_PAR_AXE_LETTRE:
            rest = len(items) - CONTRIBUTIONS_PAR_AXE_LETTRE
            shown.append(f"et {fr_count(rest, 'autre proposition', 'autres propositions')}.")
        plan.add(Paragraphe(QUESTIONS_HABITANTS[axe] + " :"), Liste(shown))
    plan.add(
        Intertitre("La suite"),
        Liste([
            "Vos propositions et celles des autres rencontres du département sont rassemblées dans une synthèse "
            "départementale, remise à la commission nationale « participation citoyenne » et à l'Agence nationale de "
            "la cohésion des territoires.",
            f"Une réunion publique de restitution présentera les principales propositions entre le "
            f"{fr_date_long(campaign.restitution_debut)} et le {fr_date_long(campaign.restitution_fin)} ; "
            "elles seront reprises dans les nouveaux contrats de ville.",
        ]),
        Intertitre("Pour suivre la concertation"),
        Paragraphe(
            "Les prochaines rencontres, la synthèse du département et ce que deviennent les propositions sont "
            f"publiés sur la page publique de la concertation, département {nom_avec_de(code)} : {page_publique(code)}"
        ),
        Paragraphe(
            "Nous vous remercions de votre participation et vous prions d'agréer, Madame, Monsieur, l'expression "
            "de nos salutations distinguées."
        ),
        _signature(code, lire_signataire(session, departement_code=code), au),
    )  # fmt: skip
    return plan


def rediger_lettre(session: Session, *, actor: Actor, rencontre_id: int, fmt: str, au: dt.date | None = None) -> bytes:
    if fmt not in FORMATS_FICHIER:
        raise ValidationError({"format": [f"Format inconnu « {fmt} » : docx ou odt."]})
    return rendre(plan_lettre(session, actor=actor, rencontre_id=rencontre_id, au=au), fmt)
