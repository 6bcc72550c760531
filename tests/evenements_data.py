"""Event lists shaped like the real exports of participation platforms (issue 22 item 6).

- Decidim's meetings export (« Exporter » of a meetings component): `;`-separated UTF-8, the
  serializer's slash paths (`title/fr`, `location/fr`, `category/name/fr`), the full address in
  one cell, times written `2023-06-15 18:30:00 +0200`, `id` and `reference` both present;
- OpenAgenda's export as Excel on a French Windows saves it: Windows-1252, `;`, French titles
  (« Titre - FR », « Première date - Début »…), typographic apostrophes and « œ »;
- Cap Collectif's events export opened and saved as a workbook (.xlsx), dates as date cells.
"""

from __future__ import annotations

import datetime as dt
import io

# Decidim header as its MeetingSerializer writes it (a subset, in its order).
DECIDIM_TITRES = (
    "id;category/id;category/name/fr;scope/id;scope/name/fr;participatory_space/id;participatory_space/url;"
    "component/id;title/fr;description/fr;start_time;end_time;attendees;contributions;organizations;address;"
    "location/fr;reference;comments;attachments;followers;url;related_proposals;related_results;published;"
    "withdrawn;type_of_meeting"
)


def decidim_csv(commune_a: str = "Aubervilliers", commune_b: str = "Saint-Denis") -> bytes:
    lignes = [
        DECIDIM_TITRES,
        f'101;7;Cadre de vie;3;{commune_a};12;https://participer.exemple.fr/processes/q2030;45;"Réunion publique : '
        f'l\'avenir du quartier";"<p>Échanges sur les priorités ; venez nombreux.</p>";2023-06-15 18:30:00 +0200;'
        f'2023-06-15 20:30:00 +0200;42;12;Centre social Les Tilleuls;"12 rue de la Gare, 93300 {commune_a}";'
        "Salle des fêtes;DEC-MEET-2023-06-101;3;0;5;https://participer.exemple.fr/meetings/101;;;true;false;in_person",
        f"102;7;Cadre de vie;3;{commune_b};12;https://participer.exemple.fr/processes/q2030;45;Atelier jeunesse – "
        f'été;"<p>Atelier</p>";2023-06-20 14:00:00 +0200;2023-06-20 17:00:00 +0200;18;4;;"3 place du Marché, '
        f'93200 {commune_b}";Maison de la jeunesse;DEC-MEET-2023-06-102;0;0;1;'
        "https://participer.exemple.fr/meetings/102;;;true;false;in_person",
        "103;;;;;12;https://participer.exemple.fr/processes/q2030;45;Marche exploratoire;;2099-06-01 10:00:00 +0200;"
        '2099-06-01 12:00:00 +0200;0;0;;"Parc départemental, 93000 Bobigny";Entrée du parc;DEC-MEET-2099-06-103;0;0;0;'
        "https://participer.exemple.fr/meetings/103;;;true;false;in_person",
    ]
    return ("\r\n".join(lignes) + "\r\n").encode("utf-8")


def openagenda_cp1252(commune: str = "AUBERVILLIERS") -> bytes:
    """Windows-1252 bytes: « ’ » is 0x92 and « œ » 0x9C (control characters in ISO-8859-1)."""
    texte = (
        "Identifiant;Titre - FR;Description - FR;Première date - Début;Dernière date - Fin;Nom du lieu;Adresse;"
        "Code postal;Ville;Lien;Organisateur\r\n"
        f"58213;Cœur de quartier : l’atelier;Un temps d’échange;22/06/2023 18:00;22/06/2023 20:00;"
        f"Maison de quartier;5 allée des Lilas;93300;{commune};https://openagenda.com/e/58213;Régie de quartier\r\n"
        "58214;Fête des voisins;Repas partagé;01/07/2099 15:00;01/07/2099 19:00;Square;1 rue Haute;93999;Nulle-Part;"
        "https://openagenda.com/e/58214;\r\n"
    )
    return texte.encode("cp1252")


def cap_collectif_xlsx(commune: str = "Saint-Denis") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Événements"
    titres = ["id", "title", "startAt", "endAt", "fullAddress", "zipCode", "city", "url", "body", "author/username"]
    sheet.append(titres)
    sheet.append(
        ["RXZlbnQ6OTk=", "Débat « Quartiers 2030 »", dt.datetime(2023, 6, 28, 18, 0), dt.datetime(2023, 6, 28, 20, 0),
         f"8 avenue Jean Jaurès, 93200 {commune}", "93200", commune, "https://granddebat.exemple.fr/events/99",
         "Débat ouvert", "organisatrice93"]
    )  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
