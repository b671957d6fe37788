"""The organisation's colour, made safe for text: WCAG 2.1 contrast against white.

The archive site writes white text on the colour (the banner) and the colour on white and on a
light grey (links, the current post of a thread): all need 4.5:1 (success criterion 1.4.3, AA),
so the colour is checked against the grey, the darker of the two light backgrounds. A colour
that fails is darkened, mixed with black step by step, until it passes — the shade stays
recognisable, the text stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

AA_NORMAL_TEXT: Final = 4.5
DEFAULT_COLOUR: Final = "#1f4f8f"
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_STEP: Final = 0.05


class ColourError(ValueError):
    """Not a colour written #rrggbb or #rgb."""


@dataclass(frozen=True, slots=True)
class SafeColour:
    wanted: str
    used: str
    ratio: float

    @property
    def adjusted(self) -> bool:
        return self.wanted != self.used


def parse_hex(value: str) -> tuple[int, int, int]:
    match = _HEX.match(value.strip())
    if match is None:
        raise ColourError(value)
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.1's definition (sRGB channels linearised, weighted)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


WHITE: Final = (255, 255, 255)
LIGHT_GREY: Final = (0xF4, 0xF4, 0xF4)  # --soft in site.css


def safe_colour(wanted: str, minimum: float = AA_NORMAL_TEXT) -> SafeColour:
    """`wanted` when it reaches `minimum` against the light grey (so against white too), else
    the lightest darker shade that does."""
    rgb = parse_hex(wanted)
    normalised = to_hex(rgb)
    shade = rgb
    mix = 0.0
    while contrast_ratio(shade, LIGHT_GREY) < minimum:
        mix += _STEP
        shade = tuple(round(c * (1 - mix)) for c in rgb)  # type: ignore[assignment]
    return SafeColour(normalised, to_hex(shade), round(contrast_ratio(shade, LIGHT_GREY), 2))
