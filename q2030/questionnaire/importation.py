"""The import of a source's export: streamed, all-or-nothing, idempotent by (campaign, source, id).

The rows are read and checked one by one (`lignes.Controle`) and written by chunks while
no problem was found; any problem refuses the whole file (`ImportRefuse`: the caller's
transaction rolls back, nothing is written). A response whose mapped values did not change
is not written; a changed free text goes back to the coding queue. Another source's
responses are never read nor touched. Replacing a source also withdraws its responses
absent from the new file; `retirer_source` withdraws a source whole.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, func, select

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.campaigns import active_campaign
from q2030.db import analyser
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.formatting import fr_count
from q2030.frontieres import ValeurSql
from q2030.models import QuestionnaireCorrespondance, QuestionnaireReponse, QuestionnaireTheme, TexteLibre, utcnow
from q2030.questionnaire.correspondance import Correspondance, ligne_source, nom_source, valider_correspondance
from q2030.questionnaire.lecture import Fichier, Format, ouvrir
from q2030.questionnaire.lignes import MAX_ERREURS, Controle, Ligne
from q2030.questionnaire.localisation import geo
from q2030.questionnaire.rapport import ImportRefuse, Probleme, RapportImport

Progress = Callable[[float, str], None]
CHUNK = 2_000
IN_CHUNK = 900  # ids per IN (...) list: under SQLite's bound-parameter limit


def importer(
    session: Session,
    *,
    actor: Actor,
    source: str,
    content: bytes,
    filename: str,
    remplacer: bool = False,
    progress: Progress | None = None,
) -> RapportImport:
    """Import a source's export with its correspondance; ImportRefuse on any error.

    `remplacer`: the file is the whole source: its responses absent from the file are withdrawn.
    """
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut importer les réponses au questionnaire.")
    notify = progress or (lambda _f, _m: None)
    source = nom_source(source)
    campaign = active_campaign(session)
    campaign_id = campaign.id or 0
    row_source = ligne_source(session, source=source, campaign_id=campaign_id)
    if row_source is None:
        raise ValidationError(f"Définissez d'abord la correspondance des colonnes de la source « {source} ».")
    mapping = Correspondance.model_validate(row_source.contenu)
    notify(0.02, "Lecture du fichier…")
    fichier = ouvrir(content, filename, Format.de(mapping))
    rapport = RapportImport(source=source)
    try:
        valider_correspondance(mapping.model_dump(), fichier.colonnes)
    except ValidationError as error:
        rapport.problemes = [Probleme(None, "", "", m) for m in error.errors["correspondance"]]
        raise ImportRefuse(rapport) from None
    controle = Controle(mapping, geo(session, campaign.geographie))
    ecriture = _Ecriture(session, campaign_id, source, rapport)
    attendues = max(1, content.count(b"\n") or content.count(b"\r"))
    _parcourir(fichier, controle, ecriture, lambda i: notify(min(0.9, 0.05 + 0.85 * i / attendues), _lues(i)))
    rapport.problemes = controle.fin()
    if rapport.problemes:
        raise ImportRefuse(rapport)
    if remplacer:
        notify(0.92, "Retrait des réponses absentes du fichier…")
        rapport.retirees = _retirer(session, campaign_id, source, garder=controle.vus)
    rapport.lues = len(controle.vus)
    rapport.localisation = controle.localisation
    rapport.masques = controle.masques
    rapport.vides = sum(fichier.marques_absentes.values())
    rapport.codes_postaux_hors = controle.geo.codes_postaux_hors
    rapport.non_resolues = sorted(controle.geo.non_resolues.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    row_source.importe_le, row_source.importe_par, row_source.fichier = utcnow(), actor.email, filename[-255:]
    session.add(row_source)
    audit.record(
        session, actor=actor, action="import", entite="questionnaire", entite_id=source[:40],
        apres={"source": source, "fichier": filename, "lues": rapport.lues, "creees": rapport.creees,
               "mises_a_jour": rapport.mises_a_jour, "inchangees": rapport.inchangees, "retirees": rapport.retirees,
               "textes": rapport.textes, "localisation": dict(rapport.localisation), "masques": dict(rapport.masques)},
    )  # fmt: skip
    connection = session.connection()
    if rapport.creees + rapport.textes > 1_000:
        # Fresh statistics after a bulk load: without them PostgreSQL's planner sorted the whole coding queue.
        analyser(connection, ["questionnairereponse", "questionnairetheme", "textelibre"])
    notify(1.0, "Terminé.")
    return rapport


def _lues(index: int) -> str:
    return f"{index - 1:,} lignes lues…".replace(",", "\u202f")


def _parcourir(fichier: Fichier, controle: Controle, ecriture: _Ecriture, avance: Callable[[int], None]) -> None:
    """Check every row; write by chunks as long as no problem was found (the rest is rolled back anyway)."""
    lot: list[Ligne] = []
    for index, row in fichier.lignes:
        if (ligne := controle.ligne(index, row)) is not None:
            lot.append(ligne)
        if len(lot) >= CHUNK:
            if not controle.problemes:
                ecriture.ecrire(lot)
                avance(index)
            lot = []
        if len(controle.problemes) >= MAX_ERREURS:
            controle.problemes.append(Probleme(None, "", "", f"plus de {MAX_ERREURS} erreurs : lecture arrêtée."))
            return
    if not controle.problemes:
        ecriture.ecrire(lot)


class _Ecriture:
    """Writes the checked responses of one source, chunk by chunk, counting into the report."""

    def __init__(self, session: Session, campaign_id: int, source: str, rapport: RapportImport) -> None:
        self.session, self.campaign_id, self.source, self.rapport = session, campaign_id, source, rapport
        self.connection = session.connection()
        self.maintenant = utcnow()

    def _ids(self, identifiants: list[str]) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for start in range(0, len(identifiants), IN_CHUNK):
            for rid, ident, empreinte in self.session.exec(
                select(QuestionnaireReponse.id, QuestionnaireReponse.identifiant, QuestionnaireReponse.empreinte).where(
                    QuestionnaireReponse.campaign_id == self.campaign_id,
                    QuestionnaireReponse.source == self.source,
                    col(QuestionnaireReponse.identifiant).in_(identifiants[start : start + IN_CHUNK]),
                )
            ):
                out[ident] = (rid or 0, empreinte)
        return out

    def ecrire(self, lot: list[Ligne]) -> None:
        if not lot:
            return
        existing = self._ids([ln.identifiant for ln in lot])
        nouvelles = [ln for ln in lot if ln.identifiant not in existing]
        changees = [ln for ln in lot if ln.identifiant in existing and existing[ln.identifiant][1] != ln.empreinte]
        self.rapport.creees += len(nouvelles)
        self.rapport.mises_a_jour += len(changees)
        self.rapport.inchangees += len(lot) - len(nouvelles) - len(changees)
        if nouvelles:
            self.connection.execute(
                insert(QuestionnaireReponse),
                [
                    {"campaign_id": self.campaign_id, "source": self.source, "identifiant": ln.identifiant,
                     "empreinte": ln.empreinte, "importe_le": self.maintenant} | ln.valeurs
                    for ln in nouvelles
                ],
            )  # fmt: skip
            existing |= self._ids([ln.identifiant for ln in nouvelles])
        ids = {ident: rid for ident, (rid, _empreinte) in existing.items()}
        for ln in changees:
            self.connection.execute(
                update(QuestionnaireReponse)
                .where(col(QuestionnaireReponse.id) == ids[ln.identifiant])
                .values(empreinte=ln.empreinte, importe_le=self.maintenant, **ln.valeurs)
            )
        self.rapport.textes += _ecrire_themes_et_textes(
            self.session, self.connection, self.campaign_id, ids, nouvelles, changees
        )


def _ecrire_themes_et_textes(
    session: Session,
    connection: Connection,
    campaign_id: int,
    ids: dict[str, int],
    nouvelles: list[Ligne],
    changees: list[Ligne],
) -> int:
    """Closed answers' themes and free texts of the written responses; the number of texts queued."""
    textes_avant = _oublier_themes(session, connection, [ids[ln.identifiant] for ln in changees])
    themes = [
        {"reponse_id": ids[ln.identifiant], "axe": axe, "theme": theme, "public": "tous", "origine": "fermee"}
        for ln in [*nouvelles, *changees]
        for axe, theme in ln.themes
    ]
    textes: list[dict[str, ValeurSql]] = []  # the INSERT's parameters
    obsolete: list[int] = []
    for ln in [*nouvelles, *changees]:
        rid = ids[ln.identifiant]
        for question, (texte, axe) in ln.textes.items():
            before = textes_avant.pop((rid, question), None)
            if before and before[1] == texte:
                continue
            if before:
                obsolete.append(before[0])
            textes.append(
                {"campaign_id": campaign_id, "reponse_id": rid, "question": question, "axe_question": axe,
                 "texte": texte, "statut": "a_coder", "reserve_par": "", "code_par": "", "version": 1}
            )  # fmt: skip
    obsolete += [tid for tid, _texte in textes_avant.values()]  # a text emptied in the new file
    for start in range(0, len(obsolete), IN_CHUNK):
        chunk = obsolete[start : start + IN_CHUNK]
        connection.execute(delete(QuestionnaireTheme).where(col(QuestionnaireTheme.texte_id).in_(chunk)))
        connection.execute(delete(TexteLibre).where(col(TexteLibre.id).in_(chunk)))
    if themes:
        connection.execute(insert(QuestionnaireTheme), themes)
    if textes:
        connection.execute(insert(TexteLibre), textes)
    return len(textes)


def _oublier_themes(
    session: Session, connection: Connection, changed_ids: list[int]
) -> dict[tuple[int, str], tuple[int, str]]:
    """Delete the closed answers' themes of changed responses; their free texts as they were."""
    textes_avant: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(changed_ids), IN_CHUNK):
        chunk = changed_ids[start : start + IN_CHUNK]
        connection.execute(
            delete(QuestionnaireTheme).where(
                col(QuestionnaireTheme.reponse_id).in_(chunk), col(QuestionnaireTheme.origine) == "fermee"
            )
        )
        for tid, rid, question, texte in session.exec(
            select(TexteLibre.id, TexteLibre.reponse_id, TexteLibre.question, TexteLibre.texte).where(
                col(TexteLibre.reponse_id).in_(chunk)
            )
        ):
            if tid is not None and rid is not None:
                textes_avant[(rid, question)] = (tid, texte)
    return textes_avant


def _supprimer_reponses(connection: Connection, ids: list[int]) -> None:
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        connection.execute(delete(QuestionnaireTheme).where(col(QuestionnaireTheme.reponse_id).in_(chunk)))
        connection.execute(delete(TexteLibre).where(col(TexteLibre.reponse_id).in_(chunk)))
        connection.execute(delete(QuestionnaireReponse).where(col(QuestionnaireReponse.id).in_(chunk)))


def _retirer(session: Session, campaign_id: int, source: str, *, garder: dict[str, int]) -> int:
    """Withdraw the source's responses whose id is not in `garder`; how many."""
    absentes = [
        rid
        for rid, ident in session.exec(
            select(QuestionnaireReponse.id, QuestionnaireReponse.identifiant).where(
                QuestionnaireReponse.campaign_id == campaign_id, QuestionnaireReponse.source == source
            )
        )
        if ident not in garder and rid is not None
    ]
    _supprimer_reponses(session.connection(), absentes)
    return len(absentes)


def compter_source(session: Session, *, source: str, campaign_id: int | None = None) -> tuple[int, int, int]:
    """(responses, free texts, texts coded or set aside) of a source."""
    campaign_id = campaign_id or active_campaign(session).id
    reponses = session.exec(
        select(func.count()).where(
            QuestionnaireReponse.campaign_id == campaign_id, QuestionnaireReponse.source == source
        )
    ).one()
    textes, codes = session.exec(
        select(func.count(), func.count().filter(col(TexteLibre.statut) != "a_coder"))
        .join(QuestionnaireReponse, col(QuestionnaireReponse.id) == col(TexteLibre.reponse_id))
        .where(QuestionnaireReponse.campaign_id == campaign_id, QuestionnaireReponse.source == source)
    ).one()
    return int(reponses), int(textes or 0), int(codes or 0)


def retirer_source(session: Session, *, actor: Actor, source: str, reponses_attendues: int) -> tuple[int, int, int]:
    """Withdraw a source whole (its responses, texts, codings and correspondance), audited.

    `reponses_attendues` is the count the administrator confirmed: if the source changed
    since (another import), nothing is withdrawn.
    """
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut retirer une source du questionnaire.")
    source = nom_source(source)
    campaign_id = active_campaign(session).id or 0
    row = ligne_source(session, source=source, campaign_id=campaign_id)
    comptes = compter_source(session, source=source, campaign_id=campaign_id)
    if row is None and not comptes[0]:
        raise ValidationError(f"Aucune source « {source} » dans la campagne active.")
    if comptes[0] != reponses_attendues:
        raise ConflitDeVersion(
            f"La source « {source} » compte maintenant {fr_count(comptes[0], 'réponse')}, pas {reponses_attendues} : "
            "rien n'a été retiré ; vérifiez puis confirmez à nouveau."
        )
    ids = [
        rid
        for rid in session.exec(
            select(QuestionnaireReponse.id).where(
                QuestionnaireReponse.campaign_id == campaign_id, QuestionnaireReponse.source == source
            )
        )
        if rid is not None
    ]
    _supprimer_reponses(session.connection(), ids)
    if row is not None:
        session.execute(delete(QuestionnaireCorrespondance).where(col(QuestionnaireCorrespondance.id) == row.id))
    audit.record(
        session, actor=actor, action="suppression", entite="questionnaire", entite_id=source[:40],
        avant={"source": source, "reponses": comptes[0], "textes": comptes[1], "textes_codes": comptes[2]},
    )  # fmt: skip
    return comptes
