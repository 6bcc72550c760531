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

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from q2030 import clock
from q2030.access import Action, Actor, RencontreCible, exiger, region_of
from q2030.campaigns import active_campaign
from q2030.comptage import soumettre
from q2030.errors import ValidationError
from q2030.formatting import fr_count
from q2030.models import Rencontre, RencontreQpv
from q2030.questionnaire.localisation import Geo, commune, departement_du_code_postal, geo
from q2030.rencontres import create_rencontre, update_rencontre
from q2030.textnorm import fold_header

# Role -> usual column titles (folded: lower case, no accents, "_" between words).
ROLES: dict[str, list[str]] = {
    "id": ["id", "identifiant", "uid", "event_id", "id_evenement", "reference"],
    "titre": ["title", "titre", "title_fr", "nom", "name", "intitule"],
    "debut": ["startat", "start_at", "start_time", "starttime", "date_de_debut", "date_debut", "debut", "firstdate",
              "first_date", "start", "date"],
    "fin": ["endat", "end_at", "end_time", "endtime", "date_de_fin", "date_fin", "fin", "lastdate", "last_date", "end"],
    "lieu": ["location_name", "locationname", "location", "nom_du_lieu", "lieu", "location_title_fr"],
    "adresse": ["fulladdress", "full_address", "address", "adresse", "location_address", "adresse_complete"],
    "code_postal": ["zipcode", "zip_code", "postalcode", "postal_code", "code_postal", "cp", "postcode"],
    "ville": ["city", "ville", "commune", "locality", "location_city"],
    "url": ["url", "link", "lien", "canonicalurl"],
    "description": ["body", "description", "description_fr", "longdescription", "resume"],
    "organisateur": ["organizer", "organiser", "organisateur", "organization", "organisation", "structure"],
}  # fmt: skip
LIBELLES = {
    "id": "identifiant", "titre": "titre", "debut": "début", "fin": "fin", "lieu": "lieu", "adresse": "adresse",
    "code_postal": "code postal", "ville": "ville", "url": "adresse web", "description": "description",
    "organisateur": "organisateur",
}  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")  # fmt: skip
CHAMPS_COMPARES = ("statut", "date", "heure_debut", "heure_fin", "lieu", "adresse", "perimetre", "commune_insee")


@dataclass
class RapportEvenements:
    correspondance: dict[str, str]  # role -> the file's column title
    crees: int = 0
    mis_a_jour: int = 0
    inchanges: int = 0
    a_preciser: int = 0
    apercu: bool = False
    lignes: list[str] = field(default_factory=list)

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


def lire_csv(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The file's titles and rows (UTF-8 with or without BOM, else Latin-1; ; , or tab)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationError({"fichier": ["Le fichier est vide."]})
    titles = [t.strip() for t in rows[0]]
    return titles, [dict(zip(titles, (c.strip() for c in row), strict=False)) for row in rows[1:]]


def deviner(titres: list[str], correspondance: dict[str, str] | None = None) -> dict[str, str]:
    """Role -> column title: the correspondance's, then the first usual name found."""
    by_fold = {fold_header(t): t for t in reversed(titres)}
    out: dict[str, str] = {}
    for role, names in ROLES.items():
        if correspondance and role in correspondance:
            wanted = correspondance[role]
            if wanted not in titres:
                raise ValidationError({"correspondance": [f"La colonne « {wanted} » ({LIBELLES[role]}) est absente."]})
            out[role] = wanted
            continue
        found = next((by_fold[n] for n in names if n in by_fold and by_fold[n] not in out.values()), None)
        if found is not None:
            out[role] = found
    for role in ("id", "titre", "debut"):
        if role not in out:
            raise ValidationError(
                {"correspondance": [f"Aucune colonne « {LIBELLES[role]} » reconnue : précisez-la (--correspondance)."]}
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


def _localiser(row: dict[str, str], mapping: dict[str, str], geographie: Geo, dep: str) -> dict[str, Any]:
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


def _rencontre(row: dict[str, str], mapping: dict[str, str], numero: int, today: dt.date) -> dict[str, Any]:
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
    data: dict[str, Any] = {
        "statut": "tenue" if debut.date() <= today else "prevue",
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
    return data


def importer_evenements(
    session: Session,
    *,
    actor: Actor,
    content: bytes,
    source: str,
    departement_code: str,
    correspondance: dict[str, str] | None = None,
    apercu: bool = False,
) -> RapportEvenements:
    """Import a platform's events as meetings awaiting validation (see the module's docstring)."""
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
    titres, rows = lire_csv(content)
    mapping = deviner(titres, correspondance)
    campaign = active_campaign(session)
    plan = _planifier(rows, mapping, geo(session, campaign.geographie), departement_code)
    report = RapportEvenements(correspondance=mapping, apercu=apercu)
    for event_id, data in plan:
        report.a_preciser += not data.get("qpv_codes") and not data.get("commune_insee")
        existing = session.exec(
            select(Rencontre).where(
                Rencontre.campaign_id == campaign.id, Rencontre.source == source, Rencontre.source_id == event_id
            )
        ).first()
        if existing is None:
            report.crees += 1
            if not apercu:
                create_rencontre(
                    session,
                    actor=actor,
                    data={**data, "departement_code": departement_code},
                    allow_duplicate=True,
                    source=(source, event_id),
                    a_preciser=True,
                )
            continue
        if _inchange(session, existing, data):
            report.inchanges += 1
            continue
        report.mis_a_jour += 1
        if not apercu:
            avant = {k: _plain(getattr(existing, k)) for k in CHAMPS_COMPARES}
            rencontre = update_rencontre(
                session, actor=actor, rencontre_id=existing.id or 0, version=existing.version, data=data,
                allow_duplicate=True,
            )  # fmt: skip
            changed = {k: v for k, v in avant.items() if v != _plain(getattr(rencontre, k))}
            soumettre(rencontre, avant=changed)
            session.add(rencontre)
    session.flush()
    return report


def _planifier(
    rows: list[dict[str, str]], mapping: dict[str, str], geographie: Geo, departement_code: str
) -> list[tuple[str, dict[str, Any]]]:
    """(event id, the meeting's values) for every row, or ValidationError naming every bad row."""
    today = clock.today()
    plan: list[tuple[str, dict[str, Any]]] = []
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
            data = _rencontre(row, mapping, numero, today)
        except ValidationError as error:
            errors.extend(m for messages in error.errors.values() for m in messages)
            continue
        plan.append((event_id, {**data, **_localiser(row, mapping, geographie, departement_code)}))
    if errors:
        raise ValidationError({"fichier": errors[:50]})
    return plan


def _plain(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.isoformat()[:5]
    return value.isoformat() if isinstance(value, dt.date) else value


def _inchange(session: Session, existing: Rencontre, data: dict[str, Any]) -> bool:
    for key in CHAMPS_COMPARES:
        if key in data and _plain(getattr(existing, key)) != _plain(data[key]):
            if key == "commune_insee" and data.get("perimetre") != "commune":
                continue
            return False
    if data.get("perimetre") == "quartier":
        stored = sorted(session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == existing.id)))
        return stored == sorted(data.get("qpv_codes") or [])
    return True
