"""Issue 21 #9: public figures with primary (no figure under 5) and secondary suppression
(no hidden figure derivable by subtraction from a published total)."""

from __future__ import annotations

from sqlmodel import Session

from q2030 import public
from tests.priorities_factories import qpv, rencontre

SANTE = ("changements", "sante", "Un médecin")


def test_the_issues_case_cannot_be_subtracted_away(session: Session) -> None:
    """Département: santé 7; quartier A: santé 5; quartier B: santé 2 (hidden). Publishing A's 5
    next to the département's 7 would reveal B's 2: A's figure is hidden too."""
    qpv(session, "QN08201M", "82")
    qpv(session, "QN08202M", "82")
    rencontre(session, "82", [SANTE] * 5, qpv_codes=("QN08201M",))
    rencontre(session, "82", [SANTE] * 2, qpv_codes=("QN08202M",))
    session.commit()
    departement, total = public.priorites(session, departement_code="82")
    assert dict(zip(departement["theme"], departement["contributions"], strict=True)) == {"sante": 7}
    assert total == 7
    for code in ("QN08201M", "QN08202M"):
        frame, total = public.priorites(session, qpv_code=code)
        assert frame.empty, code
        assert total is None, code  # « Contributions recueillies ici : 2 » is no longer printed


def test_published_figures_never_leave_a_residue_under_the_threshold(session: Session) -> None:
    codes = [f"QN0930{i}M" for i in range(1, 5)]
    for code in codes:
        qpv(session, code, "93")
    for code, n in zip(codes, (6, 5, 9, 1), strict=True):
        rencontre(session, "93", [SANTE] * n, qpv_codes=(code,))
    rencontre(session, "93", [("changements", "logement", "Des logements")] * 12, qpv_codes=(codes[0],))
    session.commit()
    counts = public._comptes(session, 1, "93")
    shown = public.publiables(counts)
    for theme in ("sante", "logement", public.TOUS_THEMES):
        if (None, theme) not in shown:
            continue
        residue = shown[(None, theme)] - sum(n for (c, t), n in shown.items() if t == theme and c is not None)
        assert residue == 0 or residue >= public.SEUIL_CONTRIBUTIONS, (theme, residue)
    assert all(n >= public.SEUIL_CONTRIBUTIONS for n in shown.values())
    assert (codes[3], "sante") not in shown
    assert shown[(codes[0], "logement")] == 12  # the only quartier: residue 0, nothing hidden to derive
