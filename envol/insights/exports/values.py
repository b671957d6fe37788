"""Numbers and dates as the platforms write them, in French or English.

Numbers: "1 234" (with any kind of space), "1,234", "1.234,5", "12,5 %", "1,234.5". A lone
"1,234" is ambiguous; the whole column decides (`decimal_comma`): a comma followed by one, two or
more than three digits anywhere in it means a decimal comma, so does a French header when the
column gives no evidence either way.

Dates: parsed by `dateutil` after French month and day names are turned into English ones.
Whether "03/04/2024" is the 3rd of April or March the 4th is decided per column, from the values
(a first part above 12 means day first) and else from the header's language. Dates without a
year (TikTok) get the latest year that keeps the column in order and its newest date not after
the import's day.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from dateutil import parser as date_parser

SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']")
NOT_A_NUMBER = {"", "-", "—", "–", "n/a", "na", "nan", "none", "null", "--"}
COMMA_DECIMAL = re.compile(r"^-?\d+,(\d{1,2}|\d{4,})$|^-?\d{1,3}(\.\d{3})+,\d+$")
POINT_DECIMAL = re.compile(r"^-?\d+\.(\d{1,2}|\d{4,})$|^-?\d{1,3}(,\d{3})+\.\d+$")
THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+$")
THOUSANDS_POINT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
DURATION = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")

FRENCH_MONTHS = {
    "janvier": "January",
    "janv": "Jan",
    "février": "February",
    "fevrier": "February",
    "févr": "Feb",
    "fevr": "Feb",
    "mars": "March",
    "avril": "April",
    "avr": "Apr",
    "mai": "May",
    "juin": "June",
    "juillet": "July",
    "juil": "Jul",
    "août": "August",
    "aout": "August",
    "septembre": "September",
    "sept": "Sep",
    "octobre": "October",
    "novembre": "November",
    "décembre": "December",
    "decembre": "December",
    "déc": "Dec",
}
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FRENCH_WORDS = re.compile(
    r"\b(" + "|".join(sorted([*FRENCH_MONTHS, *FRENCH_DAYS], key=len, reverse=True)) + r")\.?",
    re.IGNORECASE,
)
SLASHED = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
HAS_YEAR = re.compile(r"\b\d{4}\b")
YEAR_FIRST = re.compile(r"^\s*\d{4}[-/.]\d")


class ValueProblem(ValueError):
    """A cell that is not what its column holds."""


def _clean(cell: Any) -> str:
    return SPACES.sub("", str(cell)).strip().rstrip("%").strip()


def decimal_comma(cells: Sequence[Any], french_headers: bool) -> bool:
    """Whether this column writes decimals with a comma."""
    comma = point = 0
    for cell in cells:
        if isinstance(cell, str):
            text = _clean(cell)
            comma += bool(COMMA_DECIMAL.match(text))
            point += bool(POINT_DECIMAL.match(text))
    if comma != point:
        return comma > point
    return french_headers


def parse_number(cell: Any, comma_decimal: bool) -> float | None:
    """A number, or None for an empty cell; `ValueProblem` for anything else."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, timedelta):
        return cell.total_seconds()
    if isinstance(cell, time):
        return cell.hour * 3600 + cell.minute * 60 + cell.second
    text = _clean(cell)
    if text.lower() in NOT_A_NUMBER:
        return None
    duration = DURATION.match(text)
    if duration:
        hours, minutes, seconds = (int(g) for g in duration.groups())
        return float(hours * 3600 + minutes * 60 + seconds)
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in text:
        if comma_decimal or not THOUSANDS_COMMA.match(text):
            if text.count(",") > 1 and not THOUSANDS_COMMA.match(text):
                raise ValueProblem(str(cell))
            text = text.replace(",", ".")
        else:
            text = text.replace(",", "")
    elif comma_decimal and THOUSANDS_POINT.match(text):
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        raise ValueProblem(str(cell)) from None


def _english(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        return "" if word in FRENCH_DAYS else FRENCH_MONTHS.get(word, word)

    return FRENCH_WORDS.sub(swap, text).replace(" à ", " ")


def day_first(cells: Sequence[Any], french_headers: bool) -> bool:
    """Whether "03/04/2024" in this column is the 3rd of April."""
    for cell in cells:
        if isinstance(cell, str):
            found = SLASHED.match(cell)
            if found:
                first, second = int(found.group(1)), int(found.group(2))
                if first > 12:
                    return True
                if second > 12:
                    return False
    return french_headers


def parse_datetime(
    cell: Any, *, dayfirst: bool, zone: tzinfo, default_year: int
) -> tuple[datetime, bool]:
    """An aware datetime, and whether the cell gave its year."""
    if isinstance(cell, datetime):
        return (cell if cell.tzinfo else cell.replace(tzinfo=zone)), True
    if isinstance(cell, date):
        return datetime.combine(cell, time(), tzinfo=zone), True
    text = str(cell).strip()
    if not text:
        raise ValueProblem(text)
    english = _english(text)
    if not any(c.isdigit() for c in english):
        raise ValueProblem(text)
    if "h" in english and ":" not in english:
        english = re.sub(r"(\d{1,2})h(\d{2})", r"\1:\2", english)
    if YEAR_FIRST.match(english):
        dayfirst = False  # ISO order (2025-01-06) whatever the column's language
    try:
        parsed = date_parser.parse(
            english,
            dayfirst=dayfirst,
            default=datetime(default_year, 1, 1),
        )
    except (ValueError, OverflowError):
        raise ValueProblem(text) from None
    has_year = bool(HAS_YEAR.search(text)) or bool(SLASHED.match(text))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(zone), has_year


def place_years(moments: list[datetime], today: date) -> list[datetime]:
    """Dates read without a year: choose the years so that the column keeps its order (rising
    or falling, whichever most steps show) and its newest date is not after `today`."""
    if not moments:
        return moments
    rising = sum(1 for a, b in itertools.pairwise(moments) if _md(b) >= _md(a))
    falling = len(moments) - 1 - rising
    ordered = moments if rising >= falling else moments[::-1]
    year = today.year
    placed: list[datetime] = []
    for moment in reversed(ordered):  # from the newest
        candidate = _with_year(moment, year)
        if candidate.date() > today or (placed and candidate > placed[-1]):
            year -= 1
            candidate = _with_year(moment, year)
        placed.append(candidate)
    placed.reverse()
    return placed if rising >= falling else placed[::-1]


def _md(moment: datetime) -> tuple[int, int, int, int]:
    return (moment.month, moment.day, moment.hour, moment.minute)


def _with_year(moment: datetime, year: int) -> datetime:
    if moment.month == 2 and moment.day == 29:
        while not _leap(year):
            year -= 1
    return moment.replace(year=year)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
