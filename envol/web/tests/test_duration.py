"""Durations in words, counted as each language counts: never "environ 1 secondes"."""

from __future__ import annotations

import pytest
from django.utils import translation

from envol.web.templatetags.envol_format import duration


@pytest.mark.parametrize(
    ("seconds", "french", "english"),
    [
        (0, "0 seconde", "0 seconds"),
        (1.4, "1 seconde", "1 second"),
        (42, "42 secondes", "42 seconds"),
        (60, "1 minute", "1 minute"),
        (3725, "1 heure, 2 minutes", "1 hour, 2 minutes"),
        (2 * 86400 + 7200, "2 jours, 2 heures", "2 days, 2 hours"),
    ],
)
def test_duration_in_words(seconds: float, french: str, english: str) -> None:
    with translation.override("fr"):
        assert duration(seconds).replace("\xa0", " ") == french
    with translation.override("en"):
        assert duration(seconds).replace("\xa0", " ") == english
    assert duration(None) == ""
