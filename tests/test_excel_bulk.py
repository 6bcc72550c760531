"""The import's bulk path (one INSERT per table for the new rows) keeps the form's rules:
a probable duplicate of an earlier row of the same file, the audit of what is stored, the
search text and the read model."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030 import audit
from q2030.models import AuditEvent, Contribution, CubeRencontre, Rencontre, RencontreQpv
from q2030.textnorm import normalize
from tests.test_excel_confiance import (
    REFERENT,
    _col,
    _edit,
    _import,
    _refused,
    _row_of,
    _template,
    _with_contributions,
    database_preparation,  # noqa: F401  (fixture: the demo database demo copies)
    demo,  # noqa: F401  (fixture)
)


def _copies(content: bytes, source_id: int, confirmed: dict[str, str | None]) -> bytes:
    """New rows (references R1, R2…) copied from a stored rencontre's row, each with one contribution."""

    def edit(ws: Any, wc: Any) -> None:
        source = _row_of(ws, source_id)
        for reference, answer in confirmed.items():
            new = ws.max_row + 1
            for column in range(1, ws.max_column + 1):
                ws.cell(row=new, column=column, value=ws.cell(row=source, column=column).value)
            ws[f"A{new}"] = reference
            ws[f"{_col('Doublon confirmé')}{new}"] = answer
            wc.append([reference, "2", "Sport", f"Terrain de sport de {reference}", 1, "Tous"])

    return _edit(content, edit)


def test_a_new_row_duplicating_an_earlier_new_row_of_the_file_is_refused_naming_both(demo: Engine) -> None:  # noqa: F811
    original = _with_contributions(demo)
    content = _copies(_template(demo), original.id or 0, {"R1": "Oui", "R2": None})
    issues = _refused(demo, content)  # all or nothing: R1 is not kept either
    (issue,) = issues
    assert (issue.sheet, issue.column) == ("Rencontres", "Doublon confirmé")
    assert "Doublon probable" in issue.message
    assert f"n° {original.id} " in issue.message
    assert issue.message.count("n° ") == 2  # the stored original and R1, created just before by the same file


def test_bulk_created_rows_are_audited_searchable_and_counted_as_the_form_does(demo: Engine) -> None:  # noqa: F811
    original = _with_contributions(demo)
    report = _import(demo, _copies(_template(demo), original.id or 0, {"R1": "Oui", "R2": "Oui"}))
    assert (report.created, report.contributions_replaced) == (2, 2)
    with Session(demo) as s:
        created = s.exec(select(Rencontre).where(col(Rencontre.reference_import).in_(["r1", "r2"]))).all()
        assert len(created) == 2
        for rencontre in created:
            assert (rencontre.version, rencontre.cree_par, rencontre.validation) == (1, REFERENT.email, "validee")
            events = s.exec(
                select(AuditEvent).where(AuditEvent.entite == "rencontre", AuditEvent.entite_id == str(rencontre.id))
            ).all()
            assert [e.action for e in events] == ["creation", "contributions"]
            stored = audit.snapshot(rencontre, exclude={"cree_le", "modifie_le"})
            audited = {k: v for k, v in (events[0].apres or {}).items() if k not in {"cree_le", "modifie_le", "qpv"}}
            assert audited == stored
            links = s.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == rencontre.id)).all()
            assert sorted((events[0].apres or {})["qpv"]) == sorted(links)
            assert links
            (contribution,) = s.exec(select(Contribution).where(Contribution.rencontre_id == rencontre.id)).all()
            assert contribution.texte_norm == normalize(contribution.texte)
            assert events[1].avant == {"contributions": []}
            assert events[1].apres == {
                "contributions": [
                    {"axe": "ressources", "theme": "sport", "texte": contribution.texte, "rang": 1, "public": "tous"}
                ]
            }
            if rencontre.statut == "tenue":  # the after-write step refreshed the read model
                assert s.exec(select(CubeRencontre).where(CubeRencontre.rencontre_id == rencontre.id)).first()
