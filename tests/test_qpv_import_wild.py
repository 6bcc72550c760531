"""QPV files as they come from the wild: XLSX with a lying dimension, the data.gouv.fr
layout (text formulas, ";" lists, CRLF, région first), Windows encodings, names without
codes, binary or missing files, and files too big for one SQL statement."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from q2030.access import SYSTEM
from q2030.cli import main
from q2030.errors import ValidationError
from q2030.excel.sheets import open_workbook
from q2030.models import AuditEvent, Qpv, QpvCommune, QpvEpci
from q2030.qpv_import import import_qpv
from q2030.referentiel import DEPARTEMENTS
from tests.helpers import fetch


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _real_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_dimension_a1(content: bytes) -> bytes:
    """The same workbook whose first sheet declares `<dimension ref="A1"/>`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, replaced = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                assert replaced == 1
            target.writestr(item, data)
    return out.getvalue()


# --- XLSX whose stored dimension is A1 ---------------------------------------------------


def test_xlsx_declaring_a1_reads_every_row(session: Session, qpv_2024_csv: Path) -> None:
    real = _real_rows(qpv_2024_csv)[:105]
    header = ["code_qp", "lib_qp", "insee_dep", "insee_com", "lib_com"]
    content = _with_dimension_a1(_xlsx(header, [[r[h] for h in header] for r in real]))
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    assert len(list(workbook.worksheets[0].iter_rows())) == 1, "the file really declares A1"
    workbook.close()
    workbook = open_workbook(content, data_only=True)
    assert len(list(workbook.worksheets[0].iter_rows())) == 106
    workbook.close()

    report = import_qpv(session, actor=SYSTEM, content=content, filename="qpv.xlsx")
    session.commit()
    assert report.total == 105
    assert _count(session, Qpv) == 105
    assert fetch(session, Qpv, real[-1]["code_qp"]).nom == real[-1]["lib_qp"]


# --- The data.gouv.fr layout -------------------------------------------------------------


def _data_gouv_csv(path: Path, *, quoted: bool) -> bytes:
    """The real rows in the data.gouv.fr layout: région before département, codes as
    text formulas (="13055;13070"), lists joined by ";", names by "; ", CRLF.

    quoted=True: the formula cells quoted as a CSV writer does (quotes doubled);
    quoted=False: written raw (="13055;13070"), as spreadsheets export them.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep", "insee_com", "lib_com",
         "siren_epci", "lib_epci"]
    )  # fmt: skip
    raw_cells: dict[str, str] = {}

    def formula(value: str) -> str:
        cell = '="' + value.replace("|", ";") + '"'
        if quoted:
            return cell
        key = f"@@{len(raw_cells)}@@"
        raw_cells[key] = cell
        return key

    for row in _real_rows(path):
        writer.writerow(
            [row["code_qp"], row["lib_qp"], row["insee_reg"], row["lib_reg"], row["insee_dep"], row["lib_dep"],
             formula(row["insee_com"]), row["lib_com"].replace("|", "; "),
             formula(row["siren_epci"]), row["lib_epci"].replace("|", "; ")]
        )  # fmt: skip
    text = out.getvalue()
    if not quoted:
        text = re.sub(r"@@\d+@@", lambda m: raw_cells[m.group(0)], text)
    return text.encode("utf-8")


@pytest.mark.parametrize("quoted", [True, False], ids=["formules-entre-guillemets", "formules-brutes"])
def test_data_gouv_layout_gives_the_same_list_as_the_plain_file(
    session: Session, qpv_2024_csv: Path, quoted: bool
) -> None:
    content = _data_gouv_csv(qpv_2024_csv, quoted=quoted)
    formula = b'"=""13055;13070"""' if quoted else b';="13055;13070";'
    assert formula in content
    assert b"Marseille; La Penne" in content
    assert b"\r\n" in content
    report = import_qpv(session, actor=SYSTEM, content=content, filename="listeqp2024.csv")
    session.commit()
    assert sum(report.created.values()) == 1493
    assert "data.gouv.fr" in report.layout
    assert any("data.gouv.fr" in line for line in report.lines())
    escourtines = session.exec(select(QpvCommune).where(QpvCommune.qpv_code == "QN01341I")).all()
    assert {(c.insee, c.nom) for c in escourtines} == {("13055", "Marseille"), ("13070", "La Penne-sur-Huveaune")}
    assert fetch(session, Qpv, "QN01341I").communes_label == "Marseille, La Penne-sur-Huveaune"
    assert fetch(session, Qpv, "QN00101M").departement_code == "01"
    # The plain file describes exactly the same list: importing it changes nothing.
    again = import_qpv(session, actor=SYSTEM, content=qpv_2024_csv.read_bytes(), filename=qpv_2024_csv.name)
    session.commit()
    assert sum(again.unchanged.values()) == 1493
    assert not again.created
    assert not again.updated
    assert "data.gouv.fr" not in again.layout


def test_error_list_has_no_stray_separator(session: Session) -> None:
    content = b'code_qp;lib_qp;insee_com\r\nXX123;Mauvais;="93055"\r\nQN09301M;Bon;="930X5"\r\n'
    with pytest.raises(ValidationError) as caught:
        import_qpv(session, actor=SYSTEM, content=content, filename="casse.csv")
    message = str(caught.value)
    assert not re.search(r":\s*;", message), message
    assert message.startswith("Fichier refusé, rien n'a été importé (2 erreurs)")
    assert "ligne 2" in message
    assert "XX123" in message
    assert "ligne 3" in message
    assert "« 930X5 »" in message


# --- Encodings ---------------------------------------------------------------------------

NAMES = ["Cœur de Ville", "L’Œuvre – Les Étoiles", "Cité des Écureuils"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("cp1252", b""), ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")],
    ids=["windows-ansi", "utf8", "utf8-bom", "utf16-excel"],
)
def test_encodings_keep_every_character(session: Session, encoding: str, bom: bytes) -> None:
    separator = "\t" if encoding == "utf-16" else ";"
    lines = [separator.join(["code_qp", "lib_qp"])] + [
        separator.join([f"QN0930{i}M", name]) for i, name in enumerate(NAMES, start=1)
    ]
    content = bom + "\r\n".join(lines).encode(encoding)
    import_qpv(session, actor=SYSTEM, content=content, filename="quartiers.csv")
    session.commit()
    assert [fetch(session, Qpv, f"QN0930{i}M").nom for i in range(1, 4)] == NAMES


def test_latin1_without_windows_characters_still_reads(session: Session) -> None:
    content = "code_qp;lib_qp\nQN09301M;Cité Éluard\n".encode("latin-1")
    import_qpv(session, actor=SYSTEM, content=content, filename="a.csv")
    assert fetch(session, Qpv, "QN09301M").nom == "Cité Éluard"


# --- Communes named but not coded ------------------------------------------------------


def test_commune_names_without_codes_are_kept(session: Session) -> None:
    content = (
        "code_qp;lib_qp;lib_com\nQN09301M;Les Courtillières;Pantin|Bobigny\nQN09302M;Cité Gagarine;Romainville\n"
    ).encode()
    import_qpv(session, actor=SYSTEM, content=content, filename="noms.csv")
    session.commit()
    assert fetch(session, Qpv, "QN09301M").communes_label == "Pantin, Bobigny"
    assert fetch(session, Qpv, "QN09302M").communes_label == "Romainville"
    # Re-importing the same file changes nothing.
    again = import_qpv(session, actor=SYSTEM, content=content, filename="noms.csv")
    assert sum(again.unchanged.values()) == 2


# --- Binary or missing files: a French error, exit code 2, no traceback ------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("quartiers.csv", PNG, "n'est pas un fichier CSV ou Excel (.xlsx) lisible"),
        ("quartiers.png", PNG, "n'est pas un fichier CSV ou Excel (.xlsx) lisible"),
        ("quartiers.xls", XLS, "ancien format Excel (.xls)"),
        (
            "quartiers.csv",
            b"code_qp;lib_qp\nQN09301M;Nul \x00 ici\n",
            "n'est pas un fichier CSV ou Excel (.xlsx) lisible",
        ),
    ],
    ids=["png-nomme-csv", "png", "xls", "octet-nul"],
)
def test_binary_file_is_refused_in_french_by_the_cli(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: bytes,
    fragment: str,
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["import-qpv", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : "), err
    assert fragment in err, err
    assert "Traceback" not in err
    assert "_csv" not in err


def test_missing_path_is_refused_in_french_by_the_cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    for path in (tmp_path / "absent.csv", tmp_path):
        assert main(["import-qpv", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("Erreur : "), err
        assert str(path) in err, err
        assert "Traceback" not in err
        assert "Errno" not in err


# --- A file with more QPV than one SQL statement takes -----------------------------------


def _many_codes(count: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for dep in DEPARTEMENTS:
        part = dep if dep.startswith("97") else f"0{dep}"
        for number in range(100):
            for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
                out.append((f"QN{part}{number:02d}{letter}", dep))
                if len(out) == count:
                    return out
    raise AssertionError("not enough codes")


@pytest.mark.slow
def test_a_file_beyond_the_sql_variable_limit_imports_in_batches(session: Session) -> None:
    """250 001 QPV (a 100 Mo file once every column is there): more than the 250 000 bound
    variables SQLite takes in one statement here (PostgreSQL takes 65 535)."""
    count = 250_001
    codes = _many_codes(count)
    lines = ["code_qp;lib_qp;insee_com;lib_com;siren_epci;lib_epci"]
    lines += [f"{code};Quartier {i};{dep[:2]}001;Commune {i};200054807;Métropole" for i, (code, dep)
              in enumerate(codes)]  # fmt: skip
    content = "\n".join(lines).encode()
    started = time.perf_counter()
    report = import_qpv(session, actor=SYSTEM, content=content, filename="enorme.csv")
    session.commit()
    elapsed = time.perf_counter() - started
    assert sum(report.created.values()) == count
    assert _count(session, Qpv) == count
    assert _count(session, QpvCommune) == count
    assert _count(session, QpvEpci) == count
    again = import_qpv(
        session, actor=SYSTEM, content=content.replace(b"Commune 7;", b"Commune sept;"), filename="e.csv"
    )
    session.commit()
    assert sum(again.updated.values()) == 1
    assert sum(again.unchanged.values()) == count - 1
    assert _count(session, AuditEvent) >= 2
    assert elapsed < 300, f"{elapsed:.0f} s pour {count} quartiers"
