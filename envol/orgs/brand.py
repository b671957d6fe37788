"""An organisation's colour and logo: checked before they are saved, since they are shown on its
public page and in the back office header.

The colour is the header's background under white text, and the background of the main
buttons: white on it must reach WCAG AA's 4.5:1 (which is also its contrast on a white page).
The logo is untrusted input: only PNG, JPEG, GIF and WebP that Pillow decodes within size
limits are accepted (SVG is refused: it can carry scripts), then re-encoded as a small PNG, so
no byte of the upload is ever served back.
"""

from __future__ import annotations

import io
import re
from typing import IO

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

AA_TEXT = 4.5
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MIN_SIDE = 16
LOGO_MAX_SIDE = 4000
LOGO_STORED_HEIGHT = 128  # shown 48 px high: enough for screens of density 2.5
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class BrandError(ValidationError):
    """A colour or a logo that cannot be used, with what to do instead."""


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of a #rrggbb colour."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def clean_colour(raw: str) -> str:
    """'' (envol's colour), or a #rrggbb colour under which white text reaches 4.5:1."""
    colour = raw.strip()
    if not colour:
        return ""
    if not colour.startswith("#"):
        colour = "#" + colour
    if not HEX_COLOUR.match(colour):
        raise BrandError(
            _("Write the colour as # and six hexadecimal digits, for example #1b4f72.")
        )
    colour = colour.lower()
    ratio = contrast_ratio(colour, "#ffffff")
    if ratio < AA_TEXT:
        raise BrandError(
            _(
                "This colour is too light: white text on it, and the colour itself on a white "
                "page, reach a contrast of %(ratio)s:1 where accessibility rules (WCAG AA, RGAA) "
                "ask for at least 4.5:1. Choose a darker shade."
            )
            % {"ratio": number_format(ratio, 1)}
        )
    return colour


def clean_logo(upload: IO[bytes], size: int) -> bytes:
    """The logo as a PNG at most LOGO_STORED_HEIGHT pixels high, or BrandError."""
    if size > LOGO_MAX_BYTES:
        raise BrandError(
            _("The logo weighs %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(LOGO_MAX_BYTES)}
        )
    data = upload.read(LOGO_MAX_BYTES + 1)
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise BrandError(
            _("SVG logos are not accepted (they can carry scripts): upload a PNG, JPEG or WebP.")
        )
    refused = BrandError(_("This file is not an image envol can read: upload a PNG, JPEG or WebP."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in LOGO_FORMATS:
                raise refused
            width, height = image.size  # read from the header, before any pixel is decoded
            if min(width, height) < LOGO_MIN_SIDE or max(width, height) > LOGO_MAX_SIDE:
                raise BrandError(
                    _(
                        "The logo is %(width)s × %(height)s pixels: each side must be between "
                        "%(min)s and %(max)s pixels."
                    )
                    % {"width": width, "height": height, "min": LOGO_MIN_SIDE, "max": LOGO_MAX_SIDE}
                )
            image.seek(0)
            image.load()
            picture = image.convert("RGBA")
    except BrandError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise refused from None
    if picture.height > LOGO_STORED_HEIGHT:
        width = max(1, round(picture.width * LOGO_STORED_HEIGHT / picture.height))
        picture = picture.resize((width, LOGO_STORED_HEIGHT), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def brand_css(colour: str) -> str:
    """The organisation's stylesheet: its colour as the theme's --brand property."""
    if not HEX_COLOUR.match(colour):
        return ""
    return f":root {{ --brand: {colour.lower()}; }}\n"
