"""What a rencontre's perimeter covers: the quartiers named, every QPV of a commune, or every
QPV of an intercommunalité (EPCI), checked against the référent's département and the
campaign's geography. The covered QPV are stored as links (`RencontreQpv`, `direct` for the
quartiers named): coverage is then one join.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from q2030 import cleaning
from q2030.models import Epci, Qpv, QpvCommune, QpvEpci
from q2030.nomenclature import Perimetre

# A QPV as the checks read it: code -> (département, géographie, nom).
QpvConnus = Mapping[str, tuple[str, str, str]]


@dataclass(frozen=True)
class Couverture:
    """What a perimeter covers: its QPV, and the commune or EPCI that names it."""

    qpv_codes: tuple[str, ...] = ()
    commune_insee: str | None = None
    commune_nom: str | None = None
    epci_siren: str | None = None


def couverture(
    session: Session,
    raw: Mapping[str, object],
    perimetre: str,
    errors: dict[str, list[str]],
    departement: str,
    geographie: str,
    a_preciser: bool = False,
    qpv_connus: QpvConnus | None = None,
) -> Couverture:
    """Every QPV covered, checking they belong to the département (errors appended).

    `qpv_connus`: every QPV read once for many rows (`controle.Referentiel`), instead of a query."""
    if perimetre == Perimetre.QUARTIER:
        asked = raw.get("qpv_codes") or []
        if isinstance(asked, str):
            asked = [c for c in asked.replace(";", ",").split(",")]
        elif not isinstance(asked, Iterable):  # one value read from a cell
            asked = [asked]
        wanted = list(dict.fromkeys(str(c).strip().upper() for c in asked if not cleaning.is_blank(c)))
        if not wanted:
            if not a_preciser:
                errors["qpv_codes"].append("Quartiers prioritaires : choisissez au moins un quartier.")
            return Couverture()
        found = (
            {code: qpv_connus[code] for code in wanted if code in qpv_connus}
            if qpv_connus is not None
            else {
                code: (dep, geo, nom)
                for code, dep, geo, nom in session.exec(
                    select(col(Qpv.code), col(Qpv.departement_code), col(Qpv.geographie), col(Qpv.nom)).where(
                        col(Qpv.code).in_(wanted)
                    )
                )
            }
        )
        for code in wanted:
            if code not in found:
                errors["qpv_codes"].append(f"Quartiers prioritaires : {code} n'est pas un quartier connu.")
            elif found[code][0] != departement:
                errors["qpv_codes"].append(
                    f"Quartiers prioritaires : {code} ({found[code][2]}) n'est pas dans votre département "
                    f"({departement})."
                )
            elif found[code][1] != geographie:
                errors["qpv_codes"].append(
                    f"Quartiers prioritaires : {code} n'appartient pas à la géographie {geographie} de la campagne."
                )
        return Couverture(tuple(sorted(wanted)))
    if perimetre == Perimetre.COMMUNE:
        insee = cleaning.text(raw.get("commune_insee"))
        if not insee:
            errors["commune_insee"].append("Commune : choisissez la commune.")
            return Couverture()
        rows = session.exec(
            select(Qpv.code, Qpv.departement_code, QpvCommune.nom)
            .join(QpvCommune, col(QpvCommune.qpv_code) == col(Qpv.code))
            .where(QpvCommune.insee == insee, Qpv.geographie == geographie)
        ).all()
        if not rows:
            errors["commune_insee"].append(f"Commune : aucun quartier prioritaire connu sur la commune {insee}.")
        elif any(dep != departement for _, dep, _ in rows):
            errors["commune_insee"].append(f"Commune : {rows[0][2]} ({insee}) n'est pas dans votre département.")
        else:
            return Couverture(tuple(sorted({code for code, _, _ in rows})), commune_insee=insee, commune_nom=rows[0][2])
        return Couverture()
    siren = cleaning.text(raw.get("epci_siren"))
    if not siren:
        errors["epci_siren"].append("Intercommunalité (EPCI) : choisissez l'intercommunalité.")
        return Couverture()
    if session.get(Epci, siren) is None:
        errors["epci_siren"].append(f"Intercommunalité (EPCI) : {siren} n'est pas une intercommunalité connue.")
        return Couverture()
    epci_rows = session.exec(
        select(Qpv.code, Qpv.departement_code)
        .join(QpvEpci, col(QpvEpci.qpv_code) == col(Qpv.code))
        .where(QpvEpci.epci_siren == siren, Qpv.geographie == geographie)
    ).all()
    # An EPCI spanning two départements covers its QPV on both sides, but only if it
    # has at least one QPV in the référent's own département.
    if not any(dep == departement for _, dep in epci_rows):
        errors["epci_siren"].append(
            f"Intercommunalité (EPCI) : {siren} n'a aucun quartier prioritaire dans votre département."
        )
        return Couverture()
    return Couverture(tuple(sorted({code for code, _ in epci_rows})), epci_siren=siren)
