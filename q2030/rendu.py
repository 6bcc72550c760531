"""One outline (`q2030.bureautique.Plan`), the format the user asked for: DOCX or ODT.

The renderers (python-docx, odfdo and lxml behind them) load on the first document, not
when a page importing the drafting code opens."""

from __future__ import annotations

from q2030.bureautique import Plan, propre


def rendre(plan: Plan, fmt: str) -> bytes:
    plan = propre(plan)
    if fmt == "docx":
        from q2030.bureautique_docx import rendre_docx

        return rendre_docx(plan)
    if fmt == "odt":
        from q2030.bureautique_odt import rendre_odt

        return rendre_odt(plan)
    raise ValueError(f"Format inconnu : {fmt} (attendu : docx ou odt).")
