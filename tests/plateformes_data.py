"""Exports that look like the real ones: Decidim proposals and comments (English column titles,
`author/name`, ids 1, 2, 3… on every instance), a national questionnaire (`?` answers, CR-only
line ends, overseas and 4-digit postcodes, `COMMUNE (NN)` names), a long file (one row per answer)."""

from __future__ import annotations

import csv
import io

# Decidim 0.27 "proposals" export (CSV, comma), the columns a platform really writes.
DECIDIM_PROPOSALS = [
    "id", "category/id", "category/name/fr", "scope/id", "participatory_space/id", "participatory_space/url",
    "component/id", "title/fr", "body/fr", "address", "latitude", "longitude", "state", "reference",
    "answer/fr", "supports", "endorsements/total_count", "comments", "attachments", "followers",
    "published_at", "url", "meeting_urls", "related_proposals", "is_amend", "original_proposal/title",
    "original_proposal/url", "author/name", "author/nickname", "author/url",
]  # fmt: skip
# Decidim "comments" export.
DECIDIM_COMMENTS = [
    "id", "created_at", "body", "locale", "author/id", "author/name", "alignment", "depth", "user_group/id",
    "commentable_id", "commentable_type", "root_commentable_url",
]  # fmt: skip

CATEGORIES = {"Logement": "logement", "Sécurité": "securite", "Jeunesse": "jeunesse", "Propreté": "proprete"}


def decidim_proposals(n: int, *, ville: str, offset: int = 0) -> list[list[str]]:
    out = []
    categories = list(CATEGORIES)
    for i in range(1, n + 1):
        body = f"Proposition {i + offset} de {ville} : des bancs et de l'ombre près de l'école."
        if i % 7 == 0:
            body += " Contactez-moi au 06 12 34 56 78 ou jean.martin (at) gmail.com."
        if i % 11 == 0:
            body += " J'habite 12 rue des Lilas, 93200 Saint-Denis."
        out.append([
            str(i), "3", categories[i % 4], "", "1", f"https://{ville}.example/processes/1", "4",
            f"Titre {i}", body, "", "", "", "accepted" if i % 3 else "", f"{ville}-PROP-{i}", "", "2", "0", "1",
            "0", "1", f"2019-03-0{1 + i % 9} 10:00:00 +0100", f"https://{ville}.example/proposals/{i}",
            "", "", "false", "", "", f"Marie Dupont {i}", f"@mdupont{i}", f"https://{ville}.example/profiles/m{i}",
        ])  # fmt: skip
    return out


def decidim_comments(n: int) -> list[list[str]]:
    return [
        [str(i), "2019-03-12 18:00:00 +0100",
         f"Commentaire {i} : d'accord, appelez le +33 6 98 76 54 32 ou écrivez à x＠example.org"
         if i % 5 == 0 else f"Commentaire {i} : il faut plus de médecins.",
         "fr", str(100 + i), f"Jean Durand {i}", "1", "0", "", str(i), "Decidim::Proposals::Proposal",
         f"https://ville.example/proposals/{i}"]
        for i in range(1, n + 1)
    ]  # fmt: skip


NATIONAL = ["ID", "Date", "Code postal", "Commune", "Département", "Tranche d'âge", "Genre", "Priorité", "Idée"]


def national(rows: list[list[str]]) -> bytes:
    """Semicolon CSV with CR-only line ends (an old Mac export), cp1252."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r")
    writer.writerow(NATIONAL)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252")


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
