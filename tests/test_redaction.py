"""Drafted documents: the synthèse départementale and the letter to participants, opened
with python-docx and odfdo, must carry the figures of the coverage and priorities
services, the quotes verbatim with their source, the référent's text, and user text as text."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from odfdo import Document as OdfDocument
from sqlmodel import Session, col, select

from q2030.access import SYSTEM, Actor
from q2030.coverage import coverage_counts
from q2030.demo import load_demo
from q2030.errors import PermissionRefusee, ValidationError
from q2030.formatting import fr_count, fr_number, fr_percent
from q2030.models import Rencontre
from q2030.priorities import Filtres, classement
from q2030.redaction import REGLE_CITATIONS, axe_titre, donnees_synthese, rediger_lettre, rediger_synthese
from q2030.syntheses import enregistrer_textes
from tests import priorities_factories as pf

REFERENT = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
OTHER_REFERENT = Actor(email="r69@x.fr", role="referent", departement_code="69", region_code="84")
COMMISSION = Actor(email="c@x.fr", role="commission")
AU = dt.date(2023, 12, 31)
TRICKY = '=HYPERLINK("http://x") <b>gras</b> & "guillemets" \'apostrophes\' &amp;'
AXES_HEADINGS = [
    "3.1 Changements attendus d'ici 2030",
    "3.2 Ressources et acteurs à mobiliser",
    "3.3 Projets structurants",
    "3.4 Solutions et dispositifs à déployer en priorité",
]


def _texts_docx(content: bytes) -> tuple[list[str], list[str], list[list[str]]]:
    """(headings, every paragraph, every table cell row) of a DOCX."""
    document = docx.Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    return headings, [p.text for p in document.paragraphs], cells


def _texts_odt(content: bytes) -> tuple[list[str], str]:
    document = OdfDocument(io.BytesIO(content))
    return [h.text_recursive for h in document.body.headers], document.get_formatted_text()


@pytest.fixture
def departement(session: Session) -> dict[str, Any]:
    for n in range(1, 5):
        pf.qpv(session, f"QN0930{n}M", "93", nom=f"Cité {n}")
    pf.qpv(session, "QN06901M", "69", nom="Ailleurs")
    first = pf.rencontre(
        session, "93",
        [pf.c("securite", "Plus de médiateurs le soir", rang=1), pf.c("securite", "Éclairer les halls", rang=2),
         pf.c("education", TRICKY, rang=3), pf.c("logement", "Réparer les ascenseurs", axe="solutions", rang=1)],
        date=dt.date(2023, 6, 10), qpv_codes=("QN09301M",),
    )  # fmt: skip
    second = pf.rencontre(
        session, "93",
        [pf.c("securite", "Une police de proximité", rang=1), pf.c("education", "Soutien scolaire gratuit", rang=2),
         pf.c("sante", "Un centre de santé", axe="ressources", rang=1)],
        date=dt.date(2023, 8, 20), qpv_codes=("QN09302M",), format="atelier",
    )  # fmt: skip
    pf.rencontre(session, "69", [pf.c("emploi", "Des emplois", rang=1)], qpv_codes=("QN06901M",))
    first.participants, first.femmes, first.jeunes, first.elu_present = 40, 25, 10, True
    second.participants, second.femmes = 12, 6
    session.commit()
    return {"first": first.id, "second": second.id}


def test_docx_and_odt_carry_the_same_figures_as_the_services(session: Session, departement: dict[str, Any]) -> None:
    enregistrer_textes(
        session, actor=REFERENT, departement_code="93", enseignements="La sécurité d'abord.\n\n" + TRICKY,
        vigilance="Mobiliser davantage les jeunes.", motifs={"QN09303M": "Travaux dans la salle"}, version=0,
    )  # fmt: skip
    session.commit()
    counts = coverage_counts(session, actor=REFERENT, au=AU, departement_code="93").iloc[0]
    ranking = classement(session, actor=REFERENT, filtres=Filtres(departement="93"), groupe="axe")
    docx_bytes = rediger_synthese(session, actor=REFERENT, departement_code="93", fmt="docx", au=AU)
    odt_bytes = rediger_synthese(session, actor=REFERENT, departement_code="93", fmt="odt", au=AU)
    headings, paragraphs, cells = _texts_docx(docx_bytes)
    odt_headings, odt_text = _texts_odt(odt_bytes)
    for heading in AXES_HEADINGS:
        assert heading in headings
        assert heading in odt_headings
    assert [h for h in headings if re.match(r"^\d\. ", h)] == [
        "1. La démarche", "2. Enseignements principaux", "3. Ce que disent les habitants, axe par axe",
        "4. Spécificités et points de vigilance", "5. Annexes",
    ]  # fmt: skip
    coverage_sentence = (
        f"{fr_count(int(counts['qpv']), 'quartier prioritaire', 'quartiers prioritaires')} : "
        f"{fr_count(int(counts['couvert_delais']), 'couvert', 'couverts')} dans les délais, "
        f"{fr_count(int(counts['couvert_retard']), 'couvert', 'couverts')} en retard, "
        f"{fr_count(int(counts['prevu']), 'quartier')} avec une rencontre prévue, "
        f"{fr_count(int(counts['non_couvert']), 'quartier')} sans rencontre. "
        f"Taux de couverture : {fr_percent(float(counts['taux_couverts']))}."
    )
    assert coverage_sentence.startswith("4 quartiers prioritaires : 1 couvert dans les délais, 1 couvert en retard")
    assert coverage_sentence in paragraphs
    assert coverage_sentence in odt_text
    held = f"{fr_count(int(counts['rencontres_tenues']), 'rencontre tenue')} entre le 10/06/2023 et le 20/08/2023"
    assert held.startswith("2 rencontres tenues")
    assert any(p.startswith(held) for p in paragraphs)
    assert held in odt_text
    # Each axis' table: rang, theme, contributions, part — the classement rows.
    for r in ranking.itertuples():
        row = [fr_number(int(r.rang)), r.theme_libelle, fr_number(int(r.contributions)), fr_percent(float(r.part))]
        assert any(cell_row[:4] == row for cell_row in cells), row
    assert ["Femmes", "31", fr_percent(31 / 52), fr_percent(31 / 52)] in cells  # France = the 93 here (69: none)
    # Quotes verbatim with their rencontre number; the rule is printed.
    quote = "« Plus de médiateurs le soir »"
    assert quote in paragraphs
    assert quote in odt_text
    source = f"Rencontre n° {departement['first']}, 10/06/2023, QN09301M Cité 1"
    assert source in paragraphs
    assert source in odt_text
    assert f"« {TRICKY} »" in paragraphs
    assert f"« {TRICKY} »" in odt_text
    assert REGLE_CITATIONS in paragraphs
    # Free text, user text rendered as text.
    for text in ("La sécurité d'abord.", TRICKY, "Mobiliser davantage les jeunes."):
        assert text in paragraphs
        assert text in odt_text
    # Quartiers without a held rencontre: grouped by reason; those without one named in one sentence.
    assert "Travaux dans la salle (1 quartier) : Cité 3." in paragraphs
    assert "Raison non renseignée pour 1 quartier : Cité 4." in paragraphs
    assert "Raison non renseignée pour 1 quartier : Cité 4." in odt_text
    # Charts: one per axis with contributions, the participants and the quartiers, in both files.
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        assert len([n for n in archive.namelist() if n.startswith("word/media/")]) >= 4
    with zipfile.ZipFile(io.BytesIO(odt_bytes)) as archive:
        assert len([n for n in archive.namelist() if n.startswith("Pictures/")]) >= 4
    assert "Figure 1 — Part de chaque public parmi les participants, Seine-Saint-Denis et France" in paragraphs
    # The cover: the République française block and the préfecture; the date of the situation.
    for text in ("Préfecture de la Seine-Saint-Denis", "Situation au 31 décembre 2023"):
        assert text in paragraphs
        assert text in odt_text
    assert "(s)" not in "\n".join(paragraphs) + odt_text
    assert ["QN09303M", "Cité 3", "", "Non couvert", "Travaux dans la salle"] in cells
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        xml = archive.read("word/document.xml").decode()
        assert "&lt;b&gt;gras&lt;/b&gt; &amp; " in xml
        assert "<b>" not in xml
        assert 'instr="PAGE"' in archive.read("word/footer1.xml").decode()
    with zipfile.ZipFile(io.BytesIO(odt_bytes)) as archive:
        assert "&lt;b&gt;gras&lt;/b&gt;" in archive.read("content.xml").decode()
        assert "text:page-number" in archive.read("styles.xml").decode()


def test_quote_rule_takes_the_best_ranked_one_per_rencontre(session: Session, departement: dict[str, Any]) -> None:
    data = donnees_synthese(session, actor=REFERENT, departement_code="93", au=AU)
    securite = next(t for t in data.axes["changements"] if t.theme == "securite")
    # Ranked 1 in both meetings: the older meeting first; "Éclairer les halls" is its second.
    assert [q.texte for q in securite.citations] == ["Plus de médiateurs le soir", "Une police de proximité"]
    assert securite.rang == 1
    assert securite.contributions == 3
    assert [t.rang for t in data.axes["changements"]] == [1, 2]
    assert axe_titre("changements") == "Changements attendus d'ici 2030"


def test_drafting_respects_scope_and_format(session: Session, departement: dict[str, Any]) -> None:
    with pytest.raises(PermissionRefusee):
        rediger_synthese(session, actor=OTHER_REFERENT, departement_code="93", fmt="docx")
    with pytest.raises(ValidationError):
        rediger_synthese(session, actor=REFERENT, departement_code="93", fmt="pdf")
    assert rediger_synthese(session, actor=COMMISSION, departement_code="93", fmt="odt").startswith(b"PK")


def test_letter_to_participants(session: Session, departement: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2030_BASE_URL", "https://quartiers2030.exemple.gouv.fr/")
    for fmt in ("docx", "odt"):
        content = rediger_lettre(session, actor=REFERENT, rencontre_id=departement["first"], fmt=fmt)
        text = "\n".join(_texts_docx(content)[1]) if fmt == "docx" else _texts_odt(content)[1]
        assert "Ce que vous avez dit lors de la rencontre du 10 juin 2023" in text
        assert "40 participants, dont 25 femmes, 10 jeunes." in text
        assert "Plus de médiateurs le soir (Tranquillité publique et sécurité)" in text
        assert TRICKY in text
        # Written for residents: quartier names, no codes, no internal deadline; where to follow it.
        assert "Cité 1" in text
        assert not re.search(r"Q[NP]0\d{2}", text)
        assert "au plus tard" not in text
        assert "https://quartiers2030.exemple.gouv.fr/Restitution?dep=93" in text
        assert "Le préfet de la Seine-Saint-Denis" in text
        # The meeting's own order: ranked 1 before ranked 2.
        assert text.index("Plus de médiateurs le soir") < text.index("Éclairer les halls")
    with pytest.raises(PermissionRefusee):
        rediger_lettre(session, actor=OTHER_REFERENT, rencontre_id=departement["first"], fmt="docx")


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _headings(text: str) -> list[str]:
    """Numbered heading lines of a PDF's text (« 1. La démarche », « 3.2 Ressources… »)."""
    return [" ".join(line.split()) for line in text.splitlines() if re.match(r"^\s*\d+\.(\d+)?\s+[A-ZÀ-Ý]", line)]


def _images(pdf: Path) -> int:
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return len([line for line in listing.splitlines()[2:] if " image " in line])


@pytest.mark.slow
def test_libreoffice_prints_both_formats_alike(session: Session, tmp_path: Path) -> None:
    """The 93 of the demo campaign and one of its letters, DOCX and ODT, printed to PDF by
    LibreOffice and read back: the same numbered headings, none numbered twice, the charts,
    agreed plurals, the date of the pages; the letter without QPV codes or internal deadline."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler-utils absent (Debian libreoffice-writer-nogui, poppler-utils: .ci/run)")
    load_demo(session, actor=SYSTEM, seed=2023)
    session.commit()
    letter_id = session.exec(
        select(Rencontre.id)
        .where(Rencontre.departement_code == "93", Rencontre.statut == "tenue")
        .order_by(col(Rencontre.id))
    ).first()
    assert letter_id is not None
    texts: dict[str, dict[str, str]] = {}
    pages: dict[str, dict[str, int]] = {}
    for fmt in ("docx", "odt"):
        (tmp_path / f"synthese.{fmt}").write_bytes(
            rediger_synthese(session, actor=SYSTEM, departement_code="93", fmt=fmt)
        )
        (tmp_path / f"lettre.{fmt}").write_bytes(rediger_lettre(session, actor=SYSTEM, rencontre_id=letter_id, fmt=fmt))
        out = tmp_path / fmt
        subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
             "--outdir", str(out), str(tmp_path / f"synthese.{fmt}"), str(tmp_path / f"lettre.{fmt}")],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        texts[fmt] = {name: _pdf_text(out / f"{name}.pdf") for name in ("synthese", "lettre")}
        assert _images(out / "synthese.pdf") >= 6  # participants, quartiers, one per axis
        pages[fmt] = {name: len(re.findall(r"\f", texts[fmt][name])) for name in ("synthese", "lettre")}
    for name in ("synthese", "lettre"):
        docx_headings, odt_headings = _headings(texts["docx"][name]), _headings(texts["odt"][name])
        assert docx_headings == odt_headings
        assert docx_headings[0].startswith("1. ")
        for heading in docx_headings:  # one number each: no « 1.1.1.1 », no « 3.3. »
            assert not re.match(r"^\d+(\.\d+)*\.?\s+\d", heading), heading
            assert not re.match(r"^(\d+)\.\1\.", heading), heading
    for name in ("synthese", "lettre"):
        assert abs(pages["docx"][name] - pages["odt"][name]) <= 2, pages
    assert 1 <= pages["docx"]["lettre"] <= 2
    for fmt in ("docx", "odt"):
        synthese, lettre = (" ".join(texts[fmt][n].split()) for n in ("synthese", "lettre"))
        assert "(s)" not in synthese + lettre
        assert "RÉPUBLIQUE FRANÇAISE" in synthese
        assert "Préfecture de la Seine-Saint-Denis" in synthese
        # The demo campaign is over: dated like the pages, the end of its restitution window.
        assert "Situation au 21 décembre 2023" in synthese
        assert "Figure 1 — Part de chaque public" in synthese
        assert "Le 21 décembre 2023" in lettre
        assert not re.search(r"Q[NP]\d{3}", lettre)
        assert "au plus tard" not in lettre
        assert "Restitution?dep=93" in lettre
