"""Relances: per person, an e-mail digest of what they owe, before the deadline.

`digests(...)` computes, for every active user, the lines of their digest at a day `au`
with the coverage and syntheses services, read through the user's own reading scope
(`Actor.from_user`): a référent sees its département, a préfecture de région its région,
the commission the country. Nothing here reads a contribution text.

- référent: quartiers without a held rencontre and the days left before the meetings
  deadline; held rencontres whose synthesis to participants is due within
  `JOURS_AVANT_SYNTHESE` days or late; held rencontres without a compte rendu
  `DELAI_COMPTE_RENDU_JOURS` days after the meeting (a constant of the application, not
  a campaign date: the circulars set no deadline for it); the synthèse départementale's
  next step and its deadline;
- préfecture de région: départements at risk (burn-up projection below their QPV count at
  the meetings deadline), syntheses awaited, syntheses received to forward;
- commission (weekly, on Mondays): the syntheses that arrived in the last 7 days, what is
  late nationally.

Each item carries a state (`Ligne.etat`); compared with the person's last digest, an item
is marked new or changed (`Ligne.marque`). How a digest reads is `relances_courriel`; the
SMTP sending and what is recorded of each run, `relances_envoi`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from q2030 import audit, clock
from q2030.access import NATIONAL, Action, Actor, exiger, scope_label
from q2030.adresses import adresse
from q2030.campaigns import active_campaign
from q2030.coverage import burnup, coverage_counts, qpv_non_couverts, suivi_rencontres, synthese_departementale_status
from q2030.errors import IntrouvableError, ValidationError
from q2030.formatting import fr_count, fr_date, fr_number, fr_percent
from q2030.models import Campaign, RelanceDesabonnement, RelanceEnvoi, User
from q2030.nomenclature import Role, ValidationRencontre
from q2030.organisateurs import DELAI_COMPTE_RENDU_JOURS, mes_rencontres
from q2030.referentiel import DEPARTEMENTS

JOURS_AVANT_SYNTHESE = 7  # synthesis to participants reminded from 7 days before its due date
JOURS_AVANT_SYNTHESE_DEPARTEMENTALE = 30  # synthèse départementale reminded from 30 days before
JOUR_HEBDOMADAIRE = 0  # the commission's weekly digest goes out on Mondays

# Kind of reminder -> (role receiving it, French label shown in the opt-out settings).
TYPES: dict[str, tuple[str, str]] = {
    "quartiers": (Role.REFERENT, "Quartiers sans rencontre"),
    "syntheses_participants": (Role.REFERENT, "Synthèses aux participants à envoyer"),
    "comptes_rendus": (Role.REFERENT, "Comptes rendus à déposer"),
    "synthese_departementale": (Role.REFERENT, "Synthèse départementale"),
    "departements_a_risque": (Role.PREFET_REGION, "Départements en retard sur le rythme"),
    "syntheses_attendues": (Role.PREFET_REGION, "Synthèses départementales attendues"),
    "documents_a_transmettre": (Role.PREFET_REGION, "Synthèses à transmettre à la commission"),
    "bilan_hebdomadaire": (Role.COMMISSION, "Bilan hebdomadaire national"),
    "organisateur_comptes_rendus": (Role.ORGANISATEUR, "Comptes rendus de vos rencontres à déposer"),
    "organisateur_syntheses": (Role.ORGANISATEUR, "Synthèses aux participants à envoyer"),
    "organisateur_renvois": (Role.ORGANISATEUR, "Déclarations renvoyées par le référent"),
}
# Where to act: the Streamlit URL path of each page (pages/3_Mon_departement.py -> /Mon_departement).
PAGES_URL: dict[str, str] = {
    "rencontres": "Rencontres",
    "mon_departement": "Mon_departement",
    "ma_region": "Ma_region",
    "national": "National",
    "syntheses": "Syntheses",
}


def types_du_role(role: str) -> dict[str, str]:
    """The kinds of reminder a role receives: code -> French label."""
    return {code: label for code, (owner, label) in TYPES.items() if owner == role}


def lien(page: str, **query: str) -> str:
    """The address of a page, with what it opens on (`?rencontre=12`, `?planifier=QN09301M`, `?departement=93`)."""
    return adresse(PAGES_URL[page], **query)


# The page with the full list of each kind (a digest shows at most 10 items per kind).
LISTES: dict[str, str] = {
    "quartiers": "mon_departement", "syntheses_participants": "rencontres", "comptes_rendus": "rencontres",
    "synthese_departementale": "mon_departement", "departements_a_risque": "ma_region",
    "syntheses_attendues": "syntheses", "documents_a_transmettre": "syntheses", "bilan_hebdomadaire": "national",
}  # fmt: skip


def lien_liste(type_: str) -> str:
    return lien(LISTES[type_])


@dataclass(frozen=True)
class Ligne:
    type: str  # TYPES
    cle: str  # the item, unique within a person's day ("qpv:QN09301M")
    texte: str  # French, plain text
    lien: str  # the page where to act
    etat: str = ""  # what, when it changes, makes the item "changed" ("prevu:2023-07-10", "en_retard")
    marque: str = ""  # "nouveau" or "modifie" since the person's last digest; "" otherwise

    @property
    def en_retard(self) -> bool:
        return self.etat == "en_retard"


@dataclass
class Digest:
    email: str
    nom: str
    role: str
    perimetre: str
    au: dt.date
    lignes: list[Ligne] = field(default_factory=list)

    def sections(self) -> list[tuple[str, list[Ligne]]]:
        """(kind, its items), in the order of TYPES."""
        return [
            (code, [ligne for ligne in self.lignes if ligne.type == code])
            for code in TYPES
            if any(ligne.type == code for ligne in self.lignes)
        ]


def _delai(jours: int) -> str:
    """Days left in French: « dans 3 jours », « aujourd'hui », « en retard de 2 jours »."""
    if jours > 0:
        return f"dans {fr_count(jours, 'jour')}"
    if jours == 0:
        return "aujourd'hui"
    return f"en retard de {fr_count(-jours, 'jour')}"


def _dep(code: str) -> str:
    return f"{DEPARTEMENTS[code][0]} ({code})"


# --- Lines per role -------------------------------------------------------------------------------


def _lignes_referent(session: Session, who: Actor, campaign: Campaign, au: dt.date) -> list[Ligne]:
    dep = who.departement_code
    if dep is None:
        return []
    lines: list[Ligne] = []
    if au <= campaign.synthese_departementale_echeance:
        jours = (campaign.rencontres_echeance - au).days
        echeance = f"échéance des rencontres le {fr_date(campaign.rencontres_echeance)} ({_delai(jours)})"
        for row in qpv_non_couverts(session, actor=who, au=au, departement_code=dep).itertuples():
            prevue = (
                f"rencontre prévue le {fr_date(row.prochaine_prevue)}"
                if row.statut == "prevu"
                else "aucune rencontre prévue"
            )
            lines.append(
                Ligne(
                    "quartiers",
                    f"qpv:{row.qpv_code}",
                    f"{row.qpv_nom} ({row.qpv_code}) : {prevue} ; {echeance}",
                    lien("rencontres", departement=dep)
                    if row.statut == "prevu"
                    else lien("rencontres", planifier=row.qpv_code, departement=dep),
                    etat=f"{row.statut}:{row.prochaine_prevue or ''}",
                )
            )
    lines += _lignes_rencontres(session, who, dep, au)
    synthese = _ligne_synthese_departementale(session, campaign, dep, au)
    return lines + ([synthese] if synthese else [])


def _lignes_rencontres(session: Session, who: Actor, dep: str, au: dt.date) -> list[Ligne]:
    lines: list[Ligne] = []
    for row in suivi_rencontres(session, actor=who, au=au, departement_code=dep).itertuples():
        lieu = f" ({row.lieu})" if row.lieu else ""
        due = row.etat_synthese == "en_retard" or (
            row.etat_synthese == "pas_encore_due" and row.jours_restants <= JOURS_AVANT_SYNTHESE
        )
        if due:
            lines.append(
                Ligne(
                    "syntheses_participants",
                    f"synthese_participants:{row.id}",
                    f"Rencontre du {fr_date(row.date)}{lieu} : synthèse aux participants à envoyer au plus tard le "
                    f"{fr_date(row.synthese_due_le)} ({_delai(row.jours_restants)})",
                    lien("rencontres", rencontre=str(row.id), departement=dep),
                    etat=str(row.etat_synthese),
                )
            )
        age = (au - row.date).days
        if not row.compte_rendu and age >= DELAI_COMPTE_RENDU_JOURS:
            lines.append(
                Ligne(
                    "comptes_rendus",
                    f"compte_rendu:{row.id}",
                    f"Rencontre du {fr_date(row.date)}{lieu} : tenue il y a {age} jours, compte rendu non déposé "
                    f"(attendu sous {DELAI_COMPTE_RENDU_JOURS} jours)",
                    lien("rencontres", rencontre=str(row.id), departement=dep),
                    etat="manquant",
                )
            )
    return lines


def _ligne_synthese_departementale(session: Session, campaign: Campaign, dep: str, au: dt.date) -> Ligne | None:
    status = synthese_departementale_status(session, campaign=campaign, au=au, codes=[dep]).iloc[0]
    jours = (campaign.synthese_departementale_echeance - au).days
    echeance = f"{fr_date(campaign.synthese_departementale_echeance)} ({_delai(jours)})"
    statut = status["synthese_statut"]
    texte = None
    if statut == "brouillon" and jours <= JOURS_AVANT_SYNTHESE_DEPARTEMENTALE:
        texte = (
            "Synthèse départementale : prochaine étape, la transmettre à la préfecture de région ; "
            f"échéance de transmission à la commission et à l'ANCT le {echeance}"
        )
    elif statut == "a_reprendre":
        texte = (
            "Synthèse départementale renvoyée par la préfecture de région : à reprendre puis retransmettre ; "
            f"échéance le {echeance}"
        )
    elif statut == "transmise_commission" and campaign.restitution_debut - dt.timedelta(days=30) <= au:
        fin = (campaign.restitution_fin - au).days
        if fin >= 0:
            texte = (
                "Synthèse transmise : prochaine étape, la restitution publique, entre le "
                f"{fr_date(campaign.restitution_debut)} et le {fr_date(campaign.restitution_fin)} ({_delai(fin)})"
            )
    if texte is None:
        return None
    return Ligne(
        "synthese_departementale", f"synthese_departementale:{dep}:{statut}", texte, lien("mon_departement"), statut
    )


def _lignes_region(session: Session, who: Actor, campaign: Campaign, au: dt.date) -> list[Ligne]:
    if who.region_code is None:
        return []
    codes = [code for code, (_nom, region) in DEPARTEMENTS.items() if region == who.region_code]
    lines: list[Ligne] = []
    if campaign.lancement <= au < campaign.rencontres_echeance:
        jours = (campaign.rencontres_echeance - au).days
        for code in codes:
            _frame, projection = burnup(session, actor=who, au=au, departement_code=code)
            if projection.qpv == 0 or projection.couverts_projetes >= projection.qpv:
                continue
            besoin = (projection.qpv - projection.couverts_au) / jours * 7
            lines.append(
                Ligne(
                    "departements_a_risque",
                    f"risque:{code}",
                    f"{_dep(code)} : {fr_number(projection.couverts_au)} QPV couverts"
                    f" sur {fr_number(projection.qpv)} ; "
                    f"au rythme actuel ({fr_number(projection.rythme_par_jour * 7, 1)} par semaine), "
                    f"{fr_percent(projection.taux_projete)} le {fr_date(campaign.rencontres_echeance)} ; "
                    f"il faudrait {fr_number(besoin, 1)} QPV par semaine ({_delai(jours)})",
                    lien("ma_region", departement=code),
                    etat=f"{projection.couverts_au}/{projection.qpv}",
                )
            )
    jours = (campaign.synthese_departementale_echeance - au).days
    echeance = f"{fr_date(campaign.synthese_departementale_echeance)} ({_delai(jours)})"
    status = synthese_departementale_status(session, campaign=campaign, au=au, codes=codes)
    for row in status.itertuples():
        if row.synthese_statut in ("brouillon", "a_reprendre") and jours <= JOURS_AVANT_SYNTHESE_DEPARTEMENTALE:
            etat = "à reprendre par le département" if row.synthese_statut == "a_reprendre" else "pas encore reçue"
            lines.append(
                Ligne(
                    "syntheses_attendues",
                    f"synthese_attendue:{row.code}",
                    f"{_dep(row.code)} : synthèse départementale {etat} ; échéance le {echeance}",
                    lien("syntheses"),
                    etat=str(row.synthese_statut),
                )
            )
        elif row.synthese_statut == "transmise_region":
            recue = fr_date(row.synthese_transmise_region_le)
            lines.append(
                Ligne(
                    "documents_a_transmettre",
                    f"a_transmettre:{row.code}",
                    f"{_dep(row.code)} : synthèse reçue le {recue}, à transmettre à la commission et à l'ANCT "
                    f"au plus tard le {echeance}",
                    lien("syntheses"),
                )
            )
    return lines


def _lignes_commission(session: Session, who: Actor, campaign: Campaign, au: dt.date) -> list[Ligne]:
    lines: list[Ligne] = []
    semaine = au - dt.timedelta(days=7)
    national = coverage_counts(session, actor=who, au=au, niveau="national").iloc[0]
    avant = coverage_counts(session, actor=who, au=semaine, niveau="national").iloc[0]
    gagnes = int(national["couverts"]) - int(avant["couverts"])
    lines.append(
        Ligne(
            "bilan_hebdomadaire",
            "couverture:FR",
            f"Couverture nationale : {fr_number(national['couverts'])} QPV couverts sur {fr_number(national['qpv'])} "
            f"({fr_percent(national['taux_couverts'])}), {fr_number(gagnes)} de plus en 7 jours ; "
            f"{fr_number(national['rencontres_tenues'])} rencontres tenues",
            lien("national"),
        )
    )
    if national["syntheses_en_retard"] or national["comptes_rendus_manquants"]:
        lines.append(
            Ligne(
                "bilan_hebdomadaire",
                "retards_rencontres:FR",
                f"En retard : {fr_number(national['syntheses_en_retard'])} synthèses aux participants non envoyées "
                f"dans le délai, {fr_number(national['comptes_rendus_manquants'])} rencontres tenues sans compte rendu",
                lien("national"),
            )
        )
    status = synthese_departementale_status(session, campaign=campaign, au=au, codes=list(DEPARTEMENTS))
    arrivees = status[status["synthese_transmise_commission_le"].map(lambda d: d is not None and semaine < d <= au)]
    for row in arrivees.itertuples():
        lines.append(
            Ligne(
                "bilan_hebdomadaire",
                f"arrivee:{row.code}",
                f"Arrivée : synthèse départementale de {_dep(row.code)}, transmise le "
                f"{fr_date(row.synthese_transmise_commission_le)}",
                lien("syntheses"),
            )
        )
    retard = status[status["synthese_en_retard"] & status["synthese_transmise_commission_le"].isna()]
    if len(retard):
        noms = ", ".join(_dep(code) for code in retard["code"])
        lines.append(
            Ligne(
                "bilan_hebdomadaire",
                "syntheses_en_retard:FR",
                f"En retard : {fr_number(len(retard))} synthèses départementales non transmises au "
                f"{fr_date(campaign.synthese_departementale_echeance)} : {noms}",
                lien("syntheses"),
            )
        )
    return lines


def _lignes_organisateur(session: Session, who: Actor, campaign: Campaign, au: dt.date) -> list[Ligne]:
    """What a local organiser owes on its own meetings, by the référent's rules (same delays)."""
    lines: list[Ligne] = []
    for row in mes_rencontres(session, actor=who, au=au):
        if row.date > au:
            continue
        lieu = f" ({row.lieu})" if row.lieu else ""
        page = lien("rencontres", rencontre=str(row.id))
        if row.validation == ValidationRencontre.RENVOYEE:
            lines.append(
                Ligne(
                    "organisateur_renvois",
                    f"renvoi:{row.id}",
                    f"Rencontre du {fr_date(row.date)}{lieu} : renvoyée par le référent, à reprendre",
                    page,
                )
            )
        if not row.tenue or row.validation == ValidationRencontre.REFUSEE:
            continue
        age = (au - row.date).days
        if not row.compte_rendu and age >= DELAI_COMPTE_RENDU_JOURS:
            lines.append(
                Ligne(
                    "organisateur_comptes_rendus",
                    f"compte_rendu:{row.id}",
                    f"Rencontre du {fr_date(row.date)}{lieu} : tenue il y a {age} jours, compte rendu non déposé "
                    f"(attendu sous {DELAI_COMPTE_RENDU_JOURS} jours)",
                    page,
                )
            )
        if row.synthese_envoyee_le is None and row.synthese_due_le is not None:
            jours = (row.synthese_due_le - au).days
            if jours <= JOURS_AVANT_SYNTHESE:
                lines.append(
                    Ligne(
                        "organisateur_syntheses",
                        f"synthese_participants:{row.id}",
                        f"Rencontre du {fr_date(row.date)}{lieu} : synthèse aux participants à envoyer au plus tard "
                        f"le {fr_date(row.synthese_due_le)} ({_delai(jours)})",
                        page,
                    )
                )
    return lines


LIGNES: dict[str, Callable[[Session, Actor, Campaign, dt.date], list[Ligne]]] = {
    Role.ORGANISATEUR: _lignes_organisateur,
    Role.REFERENT: _lignes_referent,
    Role.PREFET_REGION: _lignes_region,
    Role.COMMISSION: _lignes_commission,
}


def _reader(user: User) -> Actor:
    region = DEPARTEMENTS[user.departement_code][1] if user.departement_code in DEPARTEMENTS else None
    return Actor.from_user(user, region_code=region)


def digest_utilisateur(
    session: Session, user: User, *, au: dt.date, campaign: Campaign, hebdomadaire: bool = True
) -> Digest:
    """The full digest of one user at `au` (no opt-out, nothing filtered), read in the user's scope."""
    who = _reader(user)
    digest = Digest(email=user.email, nom=user.nom, role=user.role, perimetre=scope_label(who), au=au)
    compute = LIGNES.get(user.role)
    if compute is None or not (campaign.lancement <= au <= campaign.restitution_fin):
        return digest
    if user.role == Role.COMMISSION and not hebdomadaire:  # contenu selon le rôle
        return digest
    digest.lignes = compute(session, who, campaign, au)
    return digest


def digests(session: Session, *, actor: Actor, au: dt.date | None = None) -> list[Digest]:
    """Every active user's digest as it would go out at `au`: opt-outs and items already sent
    that day removed, empty digests left out. The commission's only on Mondays."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut calculer les relances.")
    au = au or clock.today()
    campaign = active_campaign(session)
    users = session.exec(
        select(User).where(User.actif, col(User.role).in_(list(LIGNES))).order_by(User.role, User.email)
    ).all()
    desabonnes = _desabonnements(session)
    envoyes = _deja_envoyes(session, au)
    precedents = derniers_etats(session, au)
    out = []
    for user in users:
        digest = digest_utilisateur(
            session, user, au=au, campaign=campaign, hebdomadaire=au.weekday() == JOUR_HEBDOMADAIRE
        )
        exclus = desabonnes.get(user.email, set())
        deja = envoyes.get(user.email, set())
        lignes = [ligne for ligne in digest.lignes if ligne.type not in exclus and ligne.cle not in deja]
        digest.lignes = marquer(lignes, precedents.get(user.email))
        if digest.lignes:
            out.append(digest)
    return out


def apercu(session: Session, *, actor: Actor, user_id: int, au: dt.date | None = None) -> Digest:
    """An administrator's preview of any user's full digest (weekly one included, whatever the day)."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut prévisualiser les relances.")
    user = session.get(User, user_id)
    if user is None:
        raise IntrouvableError("Ce compte n'existe pas.")
    au = au or clock.today()
    digest = digest_utilisateur(session, user, au=au, campaign=active_campaign(session))
    digest.lignes = marquer(digest.lignes, derniers_etats(session, au, email=user.email).get(user.email))
    return digest


def marquer(lignes: list[Ligne], precedent: dict[str, str] | None) -> list[Ligne]:
    """Mark each item new (absent from the person's last digest) or changed (another state).
    Nothing is marked in a person's first digest: everything would be."""
    if precedent is None:
        return lignes
    out = []
    for ligne in lignes:
        if ligne.cle not in precedent:
            ligne = replace(ligne, marque="nouveau")
        elif ligne.etat and precedent[ligne.cle] != ligne.etat:
            ligne = replace(ligne, marque="modifie")
        out.append(ligne)
    return out


def derniers_etats(session: Session, au: dt.date, *, email: str | None = None) -> dict[str, dict[str, str]]:
    """Per person, the items of the last digest sent before `au` and their state then."""
    last = select(RelanceEnvoi.email, func.max(RelanceEnvoi.jour).label("jour")).where(RelanceEnvoi.jour < au)
    if email is not None:
        last = last.where(RelanceEnvoi.email == email)
    latest = last.group_by(RelanceEnvoi.email).subquery()
    rows = session.exec(
        select(RelanceEnvoi.email, RelanceEnvoi.cle, RelanceEnvoi.etat).join(
            latest,
            (col(RelanceEnvoi.email) == latest.c.email) & (col(RelanceEnvoi.jour) == latest.c.jour),
        )
    ).all()
    out: dict[str, dict[str, str]] = {}
    for person, cle, etat in rows:
        out.setdefault(person, {})[cle] = etat
    return out


def _desabonnements(session: Session) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for email, kind in session.exec(select(RelanceDesabonnement.email, RelanceDesabonnement.type)).all():
        out.setdefault(email, set()).add(kind)
    return out


def _deja_envoyes(session: Session, au: dt.date) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for email, cle in session.exec(select(RelanceEnvoi.email, RelanceEnvoi.cle).where(RelanceEnvoi.jour == au)).all():
        out.setdefault(email, set()).add(cle)
    return out


# --- The user's own settings ----------------------------------------------------------------------


def mes_desabonnements(session: Session, *, actor: Actor) -> set[str]:
    """The kinds of reminder the actor opted out of."""
    rows = session.exec(select(RelanceDesabonnement.type).where(RelanceDesabonnement.email == actor.email)).all()
    return set(rows)


def enregistrer_desabonnements(session: Session, *, actor: Actor, desabonnes: Iterable[str]) -> set[str]:
    """Replace the actor's opt-outs (kinds of its role only); audited."""
    wanted = set(desabonnes)
    allowed = types_du_role(actor.role)
    unknown = sorted(wanted - set(allowed))
    if unknown:
        raise ValidationError({"desabonnes": [f"Type de relance inconnu pour votre rôle : {', '.join(unknown)}."]})
    before = mes_desabonnements(session, actor=actor)
    if before == wanted:
        return wanted
    session.exec(delete(RelanceDesabonnement).where(col(RelanceDesabonnement.email) == actor.email))
    for kind in sorted(wanted):
        session.add(RelanceDesabonnement(email=actor.email, type=kind))
    audit.record(
        session,
        actor=actor,
        action="modification",
        entite="relances",
        entite_id=actor.email,
        avant={"desabonnes": sorted(before)},
        apres={"desabonnes": sorted(wanted)},
    )
    session.flush()
    return wanted
