"""No personal data: columns refused by their title or their content, free texts masked.

By title (folded, word by word, French and English): see `MOTS_PERSONNELS`; a title that
names a place (`nom_departement`, « Nom de la commune », « quartier ») is not personal.

By content: a cell that is wholly an e-mail address, a phone number, a person's name (two
to four words, one of them a common first name) or a postal address (a number, a street
word: « 12 rue des Lilas »). A mapped column holding such cells in more than
`SEUIL_LIGNES` rows (and more than `SEUIL_PART` of its filled cells) cannot be imported.

In free texts, e-mail addresses (also written `x (at) y.fr`, `x [at] y.fr`, `x @ y.fr`,
with a full-width `＠`, or `x at y dot fr`), phone numbers (French and international
forms, found by Google's libphonenumber, `phonenumbers`) and street addresses (a number
and a street word) are replaced by `[courriel masqué]`, `[téléphone masqué]`,
`[adresse masquée]` before anything is stored, and counted.
"""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers

from q2030.textnorm import fold_header, normalize

MOTS_PERSONNELS = frozenset(
    {
        # French
        "nom", "prenom", "prenoms", "patronyme", "pseudo", "pseudonyme", "auteur", "auteure", "autrice",
        "utilisateur", "utilisatrice", "identite", "email", "mail", "courriel", "telephone", "tel", "portable",
        "mobile", "adresse", "rue", "voie", "contact", "coordonnees", "signature", "signataire",
        # English
        "name", "firstname", "lastname", "surname", "fullname", "username", "nickname", "author", "user",
        "phone", "cell", "address", "street", "e_mail",
    }
)  # fmt: skip
# Words that name a person only when no place word stands beside them.
MOTS_NOM = frozenset({"nom", "name", "fullname"})
# Title words that say the column is about a place, not a person ("nom de la commune").
MOTS_LIEU = frozenset(
    {"commune", "ville", "quartier", "qpv", "lieu", "departement", "region", "epci", "city", "district", "territoire"}
)
# ... nor one about a thing ("category/name/fr", « nom du projet »).
MOTS_CHOSE = frozenset(
    {"category", "categorie", "theme", "sujet", "topic", "projet", "project", "question", "titre", "title", "scope",
     "space", "component", "process", "processus", "structure", "association", "organisation", "equipement", "fichier"}
)  # fmt: skip
# camelCase and joined English titles: authorEmail, author/name, user_name, firstName.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_JOINED = ("email", "username", "firstname", "lastname", "fullname", "surname", "nickname", "phone", "address")

MASQUE_COURRIEL = "[courriel masqué]"
MASQUE_TELEPHONE = "[téléphone masqué]"
MASQUE_ADRESSE = "[adresse masquée]"
MASQUE_NOM = "[nom masqué]"  # a free text that is nothing but a person's name
SEUIL_LIGNES = 3
SEUIL_PART = 0.01

_AT = r"(?:\s*@\s*|\s*＠\s*|\s*[\(\[\{]\s*(?:at|arobase)\s*[\)\]\}]\s*|\s+(?:at|arobase)\s+)"
_DOT = r"(?:\.|\s*[\(\[\{]\s*(?:dot|point)\s*[\)\]\}]\s*|\s+(?:dot|point)\s+)"
COURRIEL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,}}\b", re.IGNORECASE)
_INDICE_COURRIEL = re.compile(r"@|＠|\bat\b|\barobase\b", re.IGNORECASE)
_CHIFFRES = re.compile(r"(?:\d[\s.\-/()]*){8,}")
TYPES_VOIE = (
    r"rue|avenue|av\.?|bd|boulevard|bld|all[ée]e|impasse|imp\.?|chemin|ch\.?|place|pl\.?|square|cours|quai|route|rte"
    r"|r[ée]sidence|r[ée]s\.?|cit[ée]|villa|passage|sentier|esplanade|parvis|mont[ée]e|faubourg|lotissement|hameau"
    r"|street|st\.?|road|rd\.?|lane|drive"
)
ADRESSE = re.compile(
    rf"\b\d{{1,4}}\s*(?:bis|ter|b|t)?\s*,?\s+(?:{TYPES_VOIE})\s+(?:[\w'’.-]+\s?){{1,6}}"
    r"(?:,?\s*\d{5}(?:\s+[A-Za-zÀ-ÿ'’ -]+)?)?",
    re.IGNORECASE,
)
_MOT_NOM = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’.-]*$")
_PRENOMS = """
    Jean Pierre Michel Philippe Alain Nicolas Christophe Patrick Daniel Bernard Eric Frédéric Laurent Stéphane David
    Olivier Thierry Pascal Julien Sébastien François Jacques Thomas Antoine Alexandre Maxime Romain Kevin Mohamed
    Mohammed Ahmed Ali Karim Mehdi Yassine Rachid Said Omar Youssef Bilal Hamza Moussa Mamadou Ibrahima Amadou
    Paul Louis Hugo Lucas Léo Gabriel Arthur Jules Adam Raphaël Nathan Théo Enzo Mathis Noah Ethan Tom Baptiste
    Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Monique Valérie Sandrine Sophie Véronique Anne
    Martine Céline Julie Aurélie Stéphanie Émilie Camille Laura Sarah Léa Manon Chloé Emma Inès Jade Louise Alice
    Lina Zoé Léna Fatima Aïcha Khadija Nadia Samia Leila Yasmine Amina Myriam Sonia Karima Malika Farida Awa Fatou
    Aminata Mariam Hélène Claire Agnès Laurence Brigitte Chantal Nicole Jacqueline Danielle Josiane Pauline Marion
    Lucie Charlotte Anaïs Clara Juliette Elise Océane Mathilde Margaux Justine Audrey Elodie Mélanie Caroline
    John James Robert William Richard Joseph Charles Mary Patricia Jennifer Linda Elizabeth Susan Jessica Karen
    Ana Maria José Antonio Manuel Carlos Luis Francisco Juan Fernando Rosa Carmen Teresa Paula
"""
PRENOMS = frozenset(normalize(p) for p in _PRENOMS.split())  # common first names: "Jean Dupont" is a person


def donnee_personnelle(colonne: str) -> bool:
    """True when a column title announces a person: name, user, e-mail, phone, address, contact…"""
    spaced = _CAMEL.sub("_", colonne)
    words = set(fold_header(spaced).split("_")) - {""}
    joined = fold_header(colonne).replace("_", "")
    strong = words & (MOTS_PERSONNELS - MOTS_NOM) or any(j in joined for j in _JOINED)
    # "nom_departement", « Nom de la commune »: a name word beside a place word names a place.
    return bool(strong) or bool(words & MOTS_NOM and not words & (MOTS_LIEU | MOTS_CHOSE))


def nature_personnelle(valeur: str) -> str | None:
    """ "courriel", "telephone", "nom" or "adresse" when the whole cell is one; else None."""
    text = valeur.strip()
    if not text or len(text) > 120:
        return None
    if " " not in text and "@" not in text and "＠" not in text and sum(c.isdigit() for c in text) < 8:
        return None  # an id, a code, one word: neither an e-mail, a phone, a name nor an address
    if _INDICE_COURRIEL.search(text) and (m := COURRIEL.search(text)) and len(m.group(0)) >= len(text) - 2:
        return "courriel"
    if _CHIFFRES.search(text) and _telephones(text) and sum(e - s for s, e in _telephones(text)) >= len(text) - 4:
        return "telephone"
    if (m := ADRESSE.search(text)) and len(m.group(0)) >= len(text) * 0.6:
        return "adresse"
    words = text.replace(",", " ").split()
    if 2 <= len(words) <= 4 and all(_MOT_NOM.match(w) for w in words):
        folded = [normalize(w.strip(".")) for w in words]
        if {*folded[0].split("-"), *folded[-1].split("-")} & PRENOMS:
            return "nom"
    return None


def _telephones(text: str) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "FR")]


def masquer(texte: str) -> tuple[str, Counter[str]]:
    """The text with e-mails, phone numbers and street addresses replaced; what was masked."""
    masques: Counter[str] = Counter()
    if _INDICE_COURRIEL.search(texte):
        texte, n = COURRIEL.subn(MASQUE_COURRIEL, texte)
        masques["courriel"] += n
    if _CHIFFRES.search(texte):
        spans = _telephones(texte)
        for start, end in reversed(spans):
            texte = texte[:start] + MASQUE_TELEPHONE + texte[end:]
        masques["telephone"] += len(spans)
    if any(c.isdigit() for c in texte):
        texte, n = ADRESSE.subn(lambda m: MASQUE_ADRESSE + (" " if m.group(0).endswith(" ") else ""), texte)
        masques["adresse"] += n
    return texte, +masques
