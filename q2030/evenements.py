"""Meeting lists exported by participation platforms (Decidim, Cap Collectif, OpenAgenda…).

`importer_evenements` reads a platform's CSV of events, guesses its columns from the usual
names (French and English; a correspondance {rôle: titre de colonne} overrides the guess)
and makes each event a meeting of the département:

- located by its address's commune and postcode: the commune's only quartier, the commune
  (perimeter « commune », covering its quartiers), or « à préciser » when neither is found;
- held or planned by its date (today's date decides);
- awaiting the référent's validation, like a meeting declared by a local organiser: it
  counts nowhere until validated (q2030.comptage).

All or nothing: every row is checked first; one error (named by row, column and value)
refuses the file and nothing is written. Idempotent by (source, id): a second import of the
same file changes nothing; an event whose values changed is updated and, if it had been
validated, goes back to the référent with what changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from q2030 import clock
from q2030.access import Action, Actor, RencontreCible, exiger, region_of
from q2030.campaigns import active_campaign
from q2030.comptage import soumettre
from q2030.errors import ValidationError
from q2030.formatting import fr_count
from q2030.frontieres import Json, ValeurSql
from q2030.models import Qpv, QpvCommune, Rencontre, RencontreQpv
from q2030.qpv_import import read_table
from q2030.questionnaire.localisation import Geo, commune, departement_du_code_postal, geo
from q2030.rencontres.ecriture import create_rencontre, update_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from q2030.textnorm import fold_header

# Role -> usual column titles (folded: lower case, no accents, "_" between words).
ROLES: dict[str, list[str]] = {
    "id": ["id", "identifiant", "uid", "event_id", "id_evenement", "reference"],
    "titre": ["title", "titre", "title_fr", "titre_fr", "nom", "name", "intitule"],
    "debut": ["startat", "start_at", "start_time", "starttime", "date_de_debut", "date_debut", "debut", "firstdate",
              "premiere_date_debut",
              "first_date", "start", "date"],
    "fin": ["endat", "end_at", "end_time", "endtime", "date_de_fin", "date_fin", "fin", "lastdate", "last_date", "end",
            "derniere_date_fin"],
    "lieu": ["location_name", "locationname", "location", "location_fr", "nom_du_lieu", "lieu", "location_title_fr"],
    "adresse": ["fulladdress", "full_address", "address", "adresse", "location_address", "adresse_complete"],
    "code_postal": ["zipcode", "zip_code", "postalcode", "postal_code", "code_postal", "cp", "postcode"],
    "ville": ["city", "ville", "commune", "locality", "location_city"],
    "url": ["url", "link", "lien", "canonicalurl"],
    "description": ["body", "description", "description_fr", "longdescription", "resume"],
    "organisateur": ["organizer", "organiser", "organisateur", "organization", "organisation", "organizations",
                     "organisations", "structure"],
}  # fmt: skip
LIBELLES = {
    "id": "identifiant", "titre": "titre", "debut": "début", "fin": "fin", "lieu": "lieu", "adresse": "adresse",
    "code_postal": "code postal", "ville": "ville", "url": "adresse web", "description": "description",
    "organisateur": "organisateur",
}  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")  # fmt: skip
OBLIGATOIRES = ("id", "titre", "debut")
CHAMPS_COMPARES = ("statut", "date", "heure_debut", "heure_fin", "lieu", "adresse", "perimetre", "commune_insee")


@dataclass
class LigneEvenement:
    """One event of the file as the import sees it: what it becomes and where (the page's preview)."""

    ligne: int
    identifiant: str
    titre: str
    date: dt.date
    statut: str  # "tenue" | "prevue"
    action: str  # "creee" | "mise_a_jour" | "inchangee"
    localisation: str  # the quartier, « commune de … » or « à préciser »


@dataclass
class RapportEvenements:
    correspondance: dict[str, str]  # role -> the file's column title
    crees: int = 0
    mis_a_jour: int = 0
    inchanges: int = 0
    a_preciser: int = 0
    apercu: bool = False
    lignes: list[str] = field(default_factory=list)
    evenements: list[LigneEvenement] = field(default_factory=list)

    def texte(self) -> str:
        guess = ", ".join(f"{LIBELLES[r]} ← « {c} »" for r, c in self.correspondance.items())
        verbe = "seraient" if self.apercu else "ont été"
        return (
            f"Colonnes reconnues : {guess}.\n"
            f"{fr_count(self.crees, 'rencontre créée')}, {fr_count(self.mis_a_jour, 'mise à jour', 'mises à jour')}, "
            f"{fr_count(self.inchanges, 'inchangée')} ({verbe} traitées) ; "
            f"{self.a_preciser} à localiser (quartier « à préciser »). "
            "Toutes attendent la validation du référent."
        )


def lire_csv(content: bytes, filename: str = "evenements.csv") -> tuple[list[str], list[dict[str, str]]]:
    """The file's titles (as written) and rows keyed by them.

    CSV (UTF-8 with or without BOM, UTF-16, else Windows-1252; `;`, `,` or tab; any line end)
    or an Excel workbook's first sheet: the QPV import's reader."""
    table = read_table(content, filename)
    titles = [t.strip() for t in (table.titles or table.header)]
    if not any(titles):
        raise ValidationError({"fichier": ["Le fichier est vide."]})
    rows = [
        {title: (row.get(key) or "").strip() for key, title in zip(table.header, titles, strict=False)}
        for row in table.rows
        if any((value or "").strip() for value in row.values())
    ]
    return titles, rows


def colonnes(content: bytes, filename: str) -> tuple[list[str], dict[str, str]]:
    """The file's titles and the guessed role -> title, without refusing a missing role (the page
    lets the user choose it)."""
    titres, _rows = lire_csv(content, filename)
    return titres, _devine(titres, None)


def _devine(titres: list[str], correspondance: dict[str, str] | None) -> dict[str, str]:
    by_fold = {fold_header(t): t for t in reversed(titres)}
    out: dict[str, str] = {}
    chosen = {c for c in (correspondance or {}).values() if c}
    for role, names in ROLES.items():
        if correspondance is not None and role in correspondance:
            wanted = correspondance[role]
            if not wanted:  # the user said: no such column
                continue
            if wanted not in titres:
                raise ValidationError({"correspondance": [f"La colonne « {wanted} » ({LIBELLES[role]}) est absente."]})
            out[role] = wanted
            continue
        found = next(
            (by_fold[n] for n in names if n in by_fold and by_fold[n] not in out.values() and by_fold[n] not in chosen),
            None,
        )
        if found is not None:
            out[role] = found
    return out


def deviner(titres: list[str], correspondance: dict[str, str] | None = None) -> dict[str, str]:
    """Role -> column title: the correspondance's (an empty title: no such column), then the first
    usual name found."""
    out = _devine(titres, correspondance)
    for role in OBLIGATOIRES:
        if role not in out:
            raise ValidationError(
                {
                    "correspondance": [
                        f"Aucune colonne « {LIBELLES[role]} » reconnue : choisissez-la dans la correspondance des "
                        "colonnes (--correspondance en ligne de commande)."
                    ]
                }
            )
    return out


def _instant(value: str) -> dt.datetime | None:
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"\.\d+", "", text)  # fractions of a second
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)  # noqa: DTZ007  # the platform's local time, as written
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _localiser(row: dict[str, str], mapping: dict[str, str], geographie: Geo, dep: str) -> SaisieRencontre:
    """The meeting's perimeter: the commune's only quartier, the commune, or nothing (à préciser)."""
    cp = row.get(mapping.get("code_postal", ""), "")
    ville = row.get(mapping.get("ville", ""), "")
    adresse = row.get(mapping.get("adresse", ""), "")
    if not ville and (match := re.search(r"\b(\d{5})\s+([^,\d][^,]*)", adresse)):  # « 12 rue X, 93300 Aubervilliers »
        cp, ville = cp or match.group(1), match.group(2).strip()
    dep_cp = departement_du_code_postal(cp) if cp else None
    insee = commune(ville, geographie, dep_cp or dep)[0] if ville else None
    qpv = sorted(c for c in geographie.communes.get(insee or "", set()) if geographie.qpv_dep.get(c) == dep)
    if len(qpv) == 1:
        return {"perimetre": "quartier", "qpv_codes": qpv}
    if qpv:
        return {"perimetre": "commune", "commune_insee": insee}
    return {"perimetre": "quartier", "qpv_codes": []}


def _rencontre(
    row: dict[str, str], mapping: dict[str, str], numero: int, today: dt.date
) -> tuple[dt.date, str, SaisieRencontre]:
    """The event's day and statut, and the meeting's values."""

    def cell(role: str) -> str:
        return row.get(mapping.get(role, ""), "").strip()

    debut = _instant(cell("debut"))
    if debut is None:
        raise ValidationError(
            {"debut": [f"Ligne {numero}, colonne « {mapping['debut']} » : date illisible « {cell('debut')} »."]}
        )
    fin = _instant(cell("fin")) if cell("fin") else None
    titre, lieu = cell("titre"), cell("lieu")
    notes = "\n".join(v for v in (titre, cell("url"), cell("description")[:2000]) if v)
    statut = "tenue" if debut.date() <= today else "prevue"
    data: SaisieRencontre = {
        "statut": statut,
        "date": debut.date(),
        "heure_debut": debut.strftime("%H:%M") if (debut.hour, debut.minute) != (0, 0) else None,
        "heure_fin": fin.strftime("%H:%M") if fin and fin.date() == debut.date() else None,
        "lieu": (lieu or titre)[:300],
        "adresse": " ".join(v for v in (cell("adresse"), cell("code_postal"), cell("ville")) if v)[:500],
        "type_lieu": "autre",
        "format": "reunion_publique",
        "notes": notes,
    }
    if cell("organisateur"):
        data["notes"] = f"Organisateur : {cell('organisateur')}\n{notes}"
    return debut.date(), statut, data


def importer_evenements(
    session: Session,
    *,
    actor: Actor,
    content: bytes,
    source: str,
    departement_code: str,
    correspondance: dict[str, str] | None = None,
    apercu: bool = False,
    filename: str = "evenements.csv",
    progress: Callable[[float, str], None] | None = None,
) -> RapportEvenements:
    """Import a platform's events as meetings awaiting validation (see the module's docstring).

    `apercu`: nothing is written, the report says what would be; `progress(fraction, message)`
    is called as the events are written."""
    region_of(departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.ECRIRE_RENCONTRE,
        RencontreCible(departement_code),
        "Seul le référent du département importe les rencontres d'une plateforme.",
    )
    source = (source or "").strip()
    if not source or len(source) > 50:
        raise ValidationError({"source": ["Nommez la source (50 caractères au plus), par exemple « decidim-93 »."]})
    titres, rows = lire_csv(content, filename)
    mapping = deviner(titres, correspondance)
    campaign = active_campaign(session)
    plan = _planifier(rows, mapping, geo(session, campaign.geographie), departement_code)
    noms = _noms(session, campaign.geographie, departement_code)
    report = RapportEvenements(correspondance=mapping, apercu=apercu)
    for rang, (numero, event_id, titre, jour, statut, data) in enumerate(plan):
        if progress is not None and rang % 20 == 0:
            progress(rang / max(1, len(plan)), f"Événement {rang + 1} sur {len(plan)}…")
        a_preciser = not data.get("qpv_codes") and not data.get("commune_insee")
        report.a_preciser += a_preciser
        existing = session.exec(
            select(Rencontre).where(
                Rencontre.campaign_id == campaign.id, Rencontre.source == source, Rencontre.source_id == event_id
            )
        ).first()
        if existing is None:
            action = "creee"
        elif _inchange(session, existing, data):
            action = "inchangee"
        else:
            action = "mise_a_jour"
        report.evenements.append(LigneEvenement(numero, event_id, titre, jour, statut, action, _lieu(data, noms)))
        report.crees += action == "creee"
        report.inchanges += action == "inchangee"
        report.mis_a_jour += action == "mise_a_jour"
        if not apercu and action != "inchangee":
            _ecrire(session, actor, existing, data, (source, event_id), departement_code)
    session.flush()
    if progress is not None:
        progress(1.0, "Import terminé." if not apercu else "Aperçu prêt.")
    return report


def _ecrire(
    session: Session,
    actor: Actor,
    existing: Rencontre | None,
    data: SaisieRencontre,
    source: tuple[str, str],
    departement_code: str,
) -> None:
    """Create the event's meeting, or update it and send it back to the référent with what changed."""
    if existing is None:
        create_rencontre(
            session,
            actor=actor,
            data={**data, "departement_code": departement_code},
            allow_duplicate=True,
            source=source,
            a_preciser=True,
        )
        return
    avant = {k: _plain(getattr(existing, k)) for k in CHAMPS_COMPARES}
    rencontre = update_rencontre(
        session, actor=actor, rencontre_id=existing.id or 0, version=existing.version, data=data, allow_duplicate=True
    )
    changed = {k: v for k, v in avant.items() if v != _plain(getattr(rencontre, k))}
    soumettre(rencontre, avant=changed)
    session.add(rencontre)


def _noms(session: Session, geographie: str, departement_code: str) -> dict[str, str]:
    """QPV code or commune INSEE code -> its name, in the département."""
    noms = {
        code: nom
        for code, nom in session.exec(
            select(Qpv.code, Qpv.nom).where(Qpv.geographie == geographie, Qpv.departement_code == departement_code)
        )
    }
    for insee, nom in session.exec(
        select(col(QpvCommune.insee), col(QpvCommune.nom)).where(col(QpvCommune.qpv_code).in_(list(noms)))
    ):
        if nom:
            noms.setdefault(insee, nom)
    return noms


def _lieu(data: SaisieRencontre, noms: dict[str, str]) -> str:
    if insee := data.get("commune_insee"):
        return f"commune de {noms.get(insee, insee)}"
    codes = data.get("qpv_codes") or []
    return ", ".join(noms.get(c, c) for c in codes) if codes else "à préciser"


def _planifier(
    rows: list[dict[str, str]], mapping: dict[str, str], geographie: Geo, departement_code: str
) -> list[tuple[int, str, str, dt.date, str, SaisieRencontre]]:
    """(file line, event id, title, day, statut, the meeting's values) for every row, or
    ValidationError naming every bad row."""
    today = clock.today()
    plan: list[tuple[int, str, str, dt.date, str, SaisieRencontre]] = []
    errors: list[str] = []
    seen: set[str] = set()
    colonne = mapping["id"]
    for numero, row in enumerate(rows, start=2):
        event_id = row.get(colonne, "").strip()
        if not event_id or len(event_id) > 100 or event_id in seen:
            probleme = "en double" if event_id in seen else "vide ou trop long"
            errors.append(f"Ligne {numero}, colonne « {colonne} » : identifiant {probleme} « {event_id} ».")
            continue
        seen.add(event_id)
        try:
            jour, statut, data = _rencontre(row, mapping, numero, today)
        except ValidationError as error:
            errors.extend(m for messages in error.errors.values() for m in messages)
            continue
        titre = row.get(mapping["titre"], "").strip()
        lieu = _localiser(row, mapping, geographie, departement_code)
        plan.append((numero, event_id, titre, jour, statut, {**data, **lieu}))
    if errors:
        raise ValidationError({"fichier": errors[:50]})
    return plan


def _plain(value: ValeurSql) -> Json:
    if isinstance(value, dt.time):
        return value.isoformat()[:5]
    return value.isoformat() if isinstance(value, dt.date) else value


def _inchange(session: Session, existing: Rencontre, data: SaisieRencontre) -> bool:
    values: Mapping[str, object] = data
    for key in CHAMPS_COMPARES:
        if key in values and _plain(getattr(existing, key)) != _plain(values[key]):
            if key == "commune_insee" and data.get("perimetre") != "commune":
                continue
            return False
    if data.get("perimetre") == "quartier":
        stored = sorted(session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == existing.id)))
        return stored == sorted(data.get("qpv_codes") or [])
    return True
