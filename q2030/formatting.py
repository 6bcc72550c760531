"""French formatting of dates and numbers (31/07/2023, 1 234,5, 42 %)."""

from __future__ import annotations

import datetime as dt

NBSP = "\u202f"  # narrow no-break space, the French thousands separator

MOIS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


def fr_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def fr_date_long(value: dt.date) -> str:
    return f"{value.day}{'er' if value.day == 1 else ''} {MOIS[value.month - 1]} {value.year}"


def fr_number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fr_count(count: float, singular: str, plural: str | None = None, *, decimals: int = 0) -> str:
    """A number and its noun, agreed: « 0 rencontre », « 1 rencontre », « 23 rencontres »
    (French uses the singular below 2). `plural` defaults to `singular` + "s" on each word
    (« rencontre tenue » -> « rencontres tenues »): pass it for the others (« 2 QPV »,
    « 3 journaux »). The one plural helper of the documents, pages and e-mails."""
    if plural is None:
        plural = " ".join(word if word.endswith(("s", "x")) else f"{word}s" for word in singular.split(" "))
    word = singular if abs(count) < 2 else plural
    return f"{fr_number(count, decimals)} {word}"


def fr_percent(value: float | None, decimals: int = 0) -> str:
    """`value` is a ratio (0.42 -> "42 %")."""
    if value is None:
        return ""
    return f"{fr_number(value * 100, decimals)}{NBSP}%"


def parse_fr_date(text: str) -> dt.date:
    """Read 31/07/2023, 31-07-2023, 31.07.2023 or 2023-07-31; ValueError otherwise."""
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar day, no time
        except ValueError:
            continue
    raise ValueError(f"« {text} » n'est pas une date (attendu : JJ/MM/AAAA).")


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (31/01 + 1 -> 28/02 or 29/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def countdown(due: dt.date | None, au: dt.date, *, done_on: dt.date | None = None, done: str = "faite") -> str:
    """A deadline in words, never a negative number: "dans 3 jours", "aujourd'hui",
    "échue depuis 12 jours"; "<done> le 14/03/2023" once done; "" when nothing is due."""
    if done_on is not None:
        return f"{done} le {fr_date(done_on)}"
    if due is None:
        return ""
    days = (due - au).days
    if days == 0:
        return "aujourd'hui"
    if days > 0:
        return f"dans {fr_count(days, 'jour')}"
    return f"échue depuis {fr_count(-days, 'jour')}"
