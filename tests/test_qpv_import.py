"""Import of the official QPV list: real 2024 file, 2015-style file, broken files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session, col, func, select

from q2030.access import SYSTEM, Actor
from q2030.errors import PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Epci, Qpv, QpvCommune, QpvEpci
from q2030.qpv_import import departement_from_code, import_qpv
from q2030.referentiel import DROM
from tests.helpers import fetch


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_real_2024_file(session: Session, qpv_2024_csv: Path) -> None:
    report = import_qpv(session, actor=SYSTEM, content=qpv_2024_csv.read_bytes(), filename=qpv_2024_csv.name)
    session.commit()
    assert sum(report.created.values()) == 1493
    assert _count(session, Qpv) == 1493
    metro = session.exec(select(func.count()).select_from(Qpv).where(col(Qpv.departement_code).not_in(DROM))).one()
    assert metro == 1362
    assert (
        report.created["93"]
        == session.exec(select(func.count()).select_from(Qpv).where(Qpv.departement_code == "93")).one()
    )
    # 148 QPV span several communes, 10 span two EPCI (data README).
    multi_commune = session.exec(
        select(QpvCommune.qpv_code).group_by(QpvCommune.qpv_code).having(func.count() > 1)
    ).all()
    assert len(multi_commune) == 148
    multi_epci = session.exec(select(QpvEpci.qpv_code).group_by(QpvEpci.qpv_code).having(func.count() > 1)).all()
    assert len(multi_epci) == 10
    assert fetch(session, Qpv, "QN00101M").nom == "Grande Reyssouze Terre Des Fleurs"
    # Idempotent: a second import creates nothing, changes nothing.
    again = import_qpv(session, actor=SYSTEM, content=qpv_2024_csv.read_bytes(), filename=qpv_2024_csv.name)
    session.commit()
    assert sum(again.unchanged.values()) == 1493
    assert not again.created
    assert not again.updated
    assert _count(session, Qpv) == 1493


def test_2015_file_with_bom_comma_and_one_row_per_commune(session: Session) -> None:
    content = (
        "\ufeffCODE_QP,NOM_QP,CODE_COMMUNE,NOM_COMMUNE\n"
        "QP075001,Porte Saint-Denis,75056,Paris\n"
        'QP02A001,"Les Salines, Jardins",2A004,Ajaccio\n'
        "QP974001,Le Chaudron,97411,Saint-Denis\n"
        "QP093005,Les Courtillières,93055,Pantin\n"
        "QP093005,Les Courtillières,93008,Bobigny\n"
        ",,,\n"
    ).encode()
    report = import_qpv(session, actor=SYSTEM, content=content, filename="qp2015.csv", geographie="2015")
    session.commit()
    assert sum(report.created.values()) == 4
    assert dict(report.created) == {"75": 1, "2A": 1, "974": 1, "93": 1}
    assert fetch(session, Qpv, "QP02A001").departement_code == "2A"
    assert fetch(session, Qpv, "QP02A001").nom == "Les Salines, Jardins"
    assert fetch(session, Qpv, "QP093005").communes_label == "Pantin, Bobigny"
    assert fetch(session, Qpv, "QP075001").geographie == "2015"


def test_latin1_and_update(session: Session) -> None:
    first = "code_qp;lib_qp\nQN09301M;Cité des Étoiles\n".encode("latin-1")
    import_qpv(session, actor=SYSTEM, content=first, filename="a.csv")
    renamed = "code_qp;lib_qp\nQN09301M;Cité des Étoiles Nord\n".encode("latin-1")
    report = import_qpv(session, actor=SYSTEM, content=renamed, filename="a.csv")
    session.commit()
    assert dict(report.updated) == {"93": 1}
    assert fetch(session, Qpv, "QN09301M").nom == "Cité des Étoiles Nord"


def test_xlsx_with_mixed_case_headers(session: Session) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Code_QP", "Nom_QP", "insee_com", "lib_com", "siren_epci", "lib_epci"])
    sheet.append(["QN06901M", "La Duchère", "69123", "Lyon", "200046977", "Métropole de Lyon"])
    sheet.append(["QN06902M", "Mermoz", "69123", "Lyon", "200046977", "Métropole de Lyon"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_qpv(session, actor=SYSTEM, content=buffer.getvalue(), filename="qpv.xlsx")
    session.commit()
    assert dict(report.created) == {"69": 2}
    assert fetch(session, Epci, "200046977").nom == "Métropole de Lyon"
    assert _count(session, QpvEpci) == 2


def test_broken_file_is_refused_whole_and_names_each_line(session: Session) -> None:
    content = b"code_qp;lib_qp\nQN09301M;Bon quartier\nXX123;Mauvais code\nQN09302M;\nQN09303M;Autre bon quartier\n"
    audit_before = _count(session, AuditEvent)
    with pytest.raises(ValidationError) as caught:
        import_qpv(session, actor=SYSTEM, content=content, filename="casse.csv")
    session.rollback()
    message = str(caught.value)
    assert "ligne 3" in message
    assert "XX123" in message
    assert "ligne 4" in message
    assert "vide" in message
    assert "ligne 2" not in message
    assert _count(session, Qpv) == 0
    assert _count(session, AuditEvent) == audit_before


def test_wrong_geography_and_missing_columns(session: Session) -> None:
    with pytest.raises(ValidationError, match="géographie 2015"):
        import_qpv(session, actor=SYSTEM, content=b"code_qp;lib_qp\nQN09301M;X\n", filename="a.csv", geographie="2015")
    with pytest.raises(ValidationError, match="Colonnes introuvables"):
        import_qpv(session, actor=SYSTEM, content=b"foo;bar\n1;2\n", filename="a.csv")
    with pytest.raises(ValidationError, match="classeur Excel"):
        import_qpv(session, actor=SYSTEM, content=b"PK\x03\x04garbage", filename="a.xlsx")
    assert _count(session, Qpv) == 0


def test_only_admin_imports(session: Session) -> None:
    referent = Actor(email="r@x.fr", role="referent", departement_code="93", region_code="11")
    with pytest.raises(PermissionRefusee):
        import_qpv(session, actor=referent, content=b"code_qp;lib_qp\nQN09301M;X\n", filename="a.csv")
    assert _count(session, Qpv) == 0


@pytest.mark.parametrize(
    ("code", "departement"),
    [("QN00101M", "01"), ("QN02A01M", "2A"), ("QN02B03I", "2B"), ("QN97401M", "974"), ("QP075001", "75")],
)
def test_departement_from_code(code: str, departement: str) -> None:
    assert departement_from_code(code) == departement
