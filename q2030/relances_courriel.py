"""How a relance reads: the subject, the plain text and the HTML of one person's digest.

- A summary line first (« 3 quartiers sans rencontre, 2 synthèses aux participants en
  retard »), then the items grouped by kind.
- At most `MAX_PAR_TYPE` items per kind, what is new or changed since the last digest
  first and marked as such; past that, one line gives the count and the page with the full
  list.
- In HTML each item is its own link (no « ouvrir la page » repeated 74 times), in one
  column that reads on a phone.
"""

from __future__ import annotations

import html as html_lib

from q2030.formatting import fr_count, fr_date
from q2030.nomenclature import Role
from q2030.relances import TYPES, Digest, Ligne, lien_liste
from q2030.settings import base_url

MAX_PAR_TYPE = 10
MARQUES = {"nouveau": "Nouveau", "modifie": "Modifié"}
# Kind -> (singular, plural) of the summary line; a late item may have its own wording.
RESUME: dict[str, tuple[str, str]] = {
    "quartiers": ("quartier sans rencontre", "quartiers sans rencontre"),
    "syntheses_participants": ("synthèse aux participants à envoyer", "synthèses aux participants à envoyer"),
    "comptes_rendus": ("compte rendu à déposer", "comptes rendus à déposer"),
    "synthese_departementale": ("étape de la synthèse départementale", "étapes de la synthèse départementale"),
    "departements_a_risque": ("département en retard sur le rythme", "départements en retard sur le rythme"),
    "syntheses_attendues": ("synthèse départementale attendue", "synthèses départementales attendues"),
    "documents_a_transmettre": ("synthèse à transmettre", "synthèses à transmettre"),
    "bilan_hebdomadaire": ("point du bilan hebdomadaire", "points du bilan hebdomadaire"),
}
RESUME_EN_RETARD: dict[str, tuple[str, str]] = {
    "syntheses_participants": ("synthèse aux participants en retard", "synthèses aux participants en retard"),
}


def sujet(digest: Digest) -> str:
    if digest.role == Role.COMMISSION:  # contenu selon le rôle
        return f"Quartiers 2030 : bilan hebdomadaire du {fr_date(digest.au)}"
    return f"Quartiers 2030 : {fr_count(len(digest.lignes), 'point')} à suivre au {fr_date(digest.au)}"


def resume(digest: Digest) -> str:
    """« 3 quartiers sans rencontre, 2 synthèses aux participants en retard » (+ what is new)."""
    parts: list[str] = []
    for code, lignes in digest.sections():
        late = [ligne for ligne in lignes if ligne.en_retard and code in RESUME_EN_RETARD]
        if late:
            parts.append(fr_count(len(late), *RESUME_EN_RETARD[code]))
        if len(lignes) > len(late):
            parts.append(fr_count(len(lignes) - len(late), *RESUME[code]))
    news = sum(1 for ligne in digest.lignes if ligne.marque)
    text = ", ".join(parts) if parts else "rien à signaler"
    if news:
        text += f" ; {fr_count(news, 'nouveauté', 'nouveautés')} depuis le dernier message"
    return text[0].upper() + text[1:] + "."


def _shown(lignes: list[Ligne]) -> tuple[list[Ligne], int]:
    """New and changed items first (their order kept), at most MAX_PAR_TYPE; how many are left."""
    ordered = [ligne for ligne in lignes if ligne.marque] + [ligne for ligne in lignes if not ligne.marque]
    return ordered[:MAX_PAR_TYPE], max(0, len(ordered) - MAX_PAR_TYPE)


def _label(code: str) -> str:
    return TYPES[code][1]


def texte(digest: Digest) -> str:
    out = [f"Bonjour {digest.nom or digest.email},", "", resume(digest), "", f"Périmètre : {digest.perimetre}.", ""]
    for code, lignes in digest.sections():
        shown, rest = _shown(lignes)
        out.append(f"{_label(code)} ({len(lignes)})")
        for ligne in shown:
            mark = f"[{MARQUES[ligne.marque]}] " if ligne.marque else ""
            out.append(f"- {mark}{ligne.texte}")
            out.append(f"  {ligne.lien}")
        if rest:
            out.append(f"- … et {fr_count(rest, 'autre')} : liste complète sur {lien_liste(code)}")
        out.append("")
    out.append(
        "Vous pouvez choisir les relances que vous recevez dans l'application (page d'accueil, « Mes relances »)."
    )
    out.append(f"Message automatique de Quartiers 2030 : {base_url()}/")
    return "\n".join(out)


BLEU = "#000091"


def html(digest: Digest) -> str:
    esc = html_lib.escape
    parts = [
        '<div style="font-family: Marianne, Arial, sans-serif; color: #161616; max-width: 640px; '
        'line-height: 1.45; font-size: 15px">',
        f"<p>Bonjour {esc(digest.nom or digest.email)},</p>",
        f'<p style="font-size: 16px"><strong>{esc(resume(digest))}</strong></p>',
        f'<p style="color: #3a3a3a">Périmètre : {esc(digest.perimetre)}.</p>',
    ]
    for code, lignes in digest.sections():
        shown, rest = _shown(lignes)
        parts.append(
            f'<h2 style="color: {BLEU}; font-size: 17px; margin: 20px 0 6px">{esc(_label(code))} ({len(lignes)})</h2>'
            '<ul style="padding-left: 18px; margin: 0">'
        )
        for ligne in shown:
            mark = (
                f'<strong style="background: #e3e3fd; color: {BLEU}; padding: 0 4px">{MARQUES[ligne.marque]}</strong> '
                if ligne.marque
                else ""
            )
            parts.append(
                f'<li style="margin: 0 0 8px">{mark}<a href="{esc(ligne.lien, quote=True)}" '
                f'style="color: {BLEU}">{esc(ligne.texte)}</a></li>'
            )
        if rest:
            parts.append(
                f'<li style="margin: 0 0 8px; list-style: none">… et {esc(fr_count(rest, "autre"))} : '
                f'<a href="{esc(lien_liste(code), quote=True)}" style="color: {BLEU}">voir la liste complète</a></li>'
            )
        parts.append("</ul>")
    parts.append(
        '<p style="color: #3a3a3a; font-size: 13px; margin-top: 24px">Vous pouvez choisir les relances que vous '
        "recevez dans l'application (page d'accueil, « Mes relances »).<br>"
        f'Message automatique de <a href="{esc(base_url(), quote=True)}/" style="color: {BLEU}">Quartiers 2030</a>.'
        "</p></div>"
    )
    return "\n".join(parts)
