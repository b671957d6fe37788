"""Numbers and dates as the platforms write them, in French and English."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envol.insights.exports.values import (
    ValueProblem,
    day_first,
    decimal_comma,
    parse_datetime,
    parse_number,
    place_years,
)
from envol.testing.analytics_exports import number

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("1 234", True, 1234),
        ("1\u202f234\u202f567", True, 1234567),
        ("1\u00a0234", False, 1234),
        ("1,234", False, 1234),
        ("1,234,567", False, 1234567),
        ("12,5 %", True, 12.5),
        ("12.5%", False, 12.5),
        ("1.234,5", True, 1234.5),
        ("1,234.5", False, 1234.5),
        ("0,05", False, 0.05),  # a comma and two digits is a decimal comma whatever the file
        ("1.234", True, 1234),
        ("-", False, None),
        ("", True, None),
        ("0:01:40", False, 100),
        (42, False, 42),
    ],
)
def test_numbers(text: object, comma: bool, expected: float | None) -> None:
    assert parse_number(text, comma) == expected


def test_not_a_number() -> None:
    with pytest.raises(ValueProblem):
        parse_number("beaucoup", False)


def test_the_column_decides_the_decimal_mark() -> None:
    assert decimal_comma(["1,234", "12,5"], french_headers=False)
    assert not decimal_comma(["1,234", "12.5"], french_headers=True)
    assert decimal_comma(["1,234"], french_headers=True)
    assert not decimal_comma(["1,234"], french_headers=False)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["en", "fr"]))
def test_integers_written_either_way_read_back(value: int, lang: str) -> None:
    written = number(value, lang)
    assert parse_number(written, decimal_comma([written], lang == "fr")) == value


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("Fri, Jan 24, 2025", False, date(2025, 1, 24)),
        ("24 janv. 2025", True, date(2025, 1, 24)),
        ("mardi 4 février 2025", True, date(2025, 2, 4)),
        ("01/24/2025 09:00", False, date(2025, 1, 24)),
        ("24/01/2025 09:00", True, date(2025, 1, 24)),
        ("2025-01-24T00:00:00", False, date(2025, 1, 24)),
        ("2019-05-31 23:05 +0000", False, date(2019, 6, 1)),  # 01:05 in Paris
        ("Jan 24, 2025", False, date(2025, 1, 24)),
    ],
)
def test_dates(text: str, dayfirst: bool, expected: date) -> None:
    moment, has_year = parse_datetime(text, dayfirst=dayfirst, zone=PARIS, default_year=2000)
    assert moment.date() == expected and has_year


def test_day_or_month_first_is_decided_by_the_column() -> None:
    assert day_first(["03/04/2025", "25/04/2025"], french_headers=False)
    assert not day_first(["03/04/2025", "04/25/2025"], french_headers=True)
    assert day_first(["03/04/2025"], french_headers=True)


def test_dates_without_a_year_keep_their_order_and_end_before_today() -> None:
    read = [
        parse_datetime(t, dayfirst=True, zone=PARIS, default_year=2026)[0]
        for t in ["December 30", "December 31", "January 1", "January 2"]
    ]
    placed = place_years(read, date(2026, 1, 5))
    assert [m.date() for m in placed] == [
        date(2025, 12, 30),
        date(2025, 12, 31),
        date(2026, 1, 1),
        date(2026, 1, 2),
    ]
    falling = place_years(read[::-1], date(2026, 1, 5))
    assert [m.date() for m in falling] == [m.date() for m in placed][::-1]
    # never in the future: "March 3" read on the 1st of March is last year's
    late = parse_datetime("3 mars", dayfirst=True, zone=PARIS, default_year=2025)[0]
    assert place_years([late], date(2025, 3, 1))[0].date() == date(2024, 3, 3)
    assert isinstance(placed[0], datetime)
