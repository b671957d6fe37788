"""envol's X count against X's own library: twitter-text (npm, installed by `make testservers`).

X's composer validates with twitter-text, so envol's `x_parse` must give its `parseTweet`
weightedLength and valid for every text. The texts are generated here (seeded, the same at every
run) from the pieces where the two could differ: emoji in and out of twitter-text's list, text and
emoji presentation selectors, URLs with and without scheme, international and over-long domains,
invalid and directional characters, normalisation; and twitter-text's own conformance cases
(`conformance/validate.yml` of its repository: the weighted cases with emoji parsing, the
directional-marker cases), rebuilt here, with the figures that file states.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from envol.networks.text import TextRules, fits, x_emoji_list, x_parse
from envol.testing import twitter_text

SEED = 20261202


@pytest.fixture(scope="module")
def reference() -> Iterator[dict[str, dict[str, object]]]:
    """twitter-text's answer for every text of this module, from one Node process."""
    texts = sorted({*generated_texts(), *(case[1] for case in CONFORMANCE), *EDGE_CASES})
    try:
        answers = twitter_text.weigh(texts)
    except twitter_text.TwitterTextNotInstalledError as exc:
        pytest.fail(str(exc), pytrace=False)  # `make testservers` installs it
    yield dict(zip(texts, answers, strict=True))


# --- The pieces --------------------------------------------------------------------------------

WORDS = ["Bonjour", "la", "ville", "été", "Ça", "naïve", "rendez-vous", "📣", "Zürich", "ßtraße"]
SCRIPTS = [
    "日本語のテキスト",
    "故人西辞黄鹤楼",
    "مرحبا بالعالم",
    "שָׁלוֹם",
    "Привет",
    "ॐ नमः",
    "한국어",
]
# Emoji twitter-text's list (Twemoji 12) lacks: weighed per code point there.
NEWER_EMOJI = [
    "\U0001f426\u200d\u2b1b",  # black bird (Unicode 15)
    "\U0001fae0",  # melting face (14)
    "\U0001f972",  # smiling face with tear (13)
    "\u2764\ufe0f\u200d\U0001f525",  # heart on fire (13.1)
    "\U0001faf6\U0001f3fd",  # heart hands, skin tone (14)
    "\U0001f9d1\u200d\U0001f384",  # Mx Claus (13)
    "\U0001f3f3\ufe0f\u200d\u26a7\ufe0f",  # transgender flag (13)
    "\U0001f62e\u200d\U0001f4a8",  # face exhaling (13.1)
]
ODD_CHARACTERS = [
    "\ufe0f",
    "\ufe0e",
    "\u200d",
    "\u20e3",
    "\U0001f3fb",
    "\U000e0067",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\u202a",
    "\u202c",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u00a0",
    "\u2028",
    "\u3000",
    "e\u0301",
    "A\u030a",
    "\u1100\u1161",
    "\u05e9\u05bc\u05c1",
]
URLS = [
    "https://example.com",
    "http://t.co/abc123",
    "example.com",
    "www.ville-rennes.fr/agenda",
    "https://ville.fr/a(b)c?x=1&y=2#frag",
    "foo.co.jp",
    "éexample.com",
    "http://müller.de/ü",
    "пример.рф",
    "https://example.com/" + "a" * 300,
    "xn--mller-kva.de",
    "example.com:8080/p",
    "http://example.com.",
    "t.co",
    "x.y",
    "a.b.c.d.museum",
    "https://" + "l" * 64 + ".com",
    "l" * 63 + ".com",
    "l" * 64 + ".com",
    "https://www.twitter.com/aloha",
    "@jack.com",
    "#tag.com",
    "$cash.com",
    "a-b_c.fr",
    "http://localhost:8000",
    "https://192.168.0.1/",
]


def generated_texts() -> list[str]:
    rng = random.Random(SEED)
    emoji = sorted(x_emoji_list().sequences)
    pieces = [*WORDS, *SCRIPTS, *NEWER_EMOJI, *ODD_CHARACTERS, *URLS]
    texts = list(emoji)  # every emoji of the list alone…
    texts += [e + "\ufe0e" for e in emoji]  # …and in text presentation
    for _ in range(1500):
        chosen = [
            rng.choice(emoji) if rng.random() < 0.3 else rng.choice(pieces)
            for _ in range(rng.randint(1, 12))
        ]
        glue = rng.choice([" ", "", "\n", " ", "  "])
        texts.append(glue.join(chosen))
    for _ in range(100):  # near the limit: 280 ± a few, with what weighs 2 at the end
        texts.append("a" * rng.randint(270, 280) + rng.choice([*NEWER_EMOJI, *emoji[:50], "日"]))
    return texts


EDGE_CASES = [
    "",
    " ",
    "\n",
    "a" * 280,
    "a" * 281,
    "a" * 278 + "\U0001f426\u200d\u2b1b",
    "\ufeff",
    "abc\ufeff",
    "\U0001f426\u200d\u2b1b",
    "éexample.com",
    "1\u20e3",
    "#\ufe0f\u20e3",
    "\u2764\ufe0e",
    "\u2764",
    "\u2764\ufe0f",
    "\U0001f1eb\U0001f1f7",
    "\U0001f1eb",
]

# twitter-text's conformance suite, `validate.yml`: (description, text, weightedLength, valid) of
# its cases with emoji parsing on (the default configuration) and of its directional-marker cases.
_LONG_URL_TEXT = (  # 12,076 characters, one "URL" of one label far over 63 characters
    "Long url with invalid domain labels and a short url: https://"
    + "somesuperlongurl" * 749
    + ".com/foo https://validurl.com"
)
_CJK_HOST_LONG = "あいうえおかきくけこ" * 14  # more than 63 characters once punycoded
_CJK_HOST_SHORT = "あいうえおかきくけこ" * 2
CONFORMANCE: list[tuple[str, str, int, bool]] = [
    ("Regular Tweet with url", "Hi http://test.co", 26, True),
    ("Just url", "http://test.co", 23, True),
    ("Long tweet, overflow at char index 280", "285 chars-" + "xxxxxxxxxx-" * 25, 285, False),
    (
        "Long tweet with url in the middle",
        "285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24,
        299,
        False,
    ),
    ("10 url string, no overflow", "https://www.twitter.com/aloha " * 10, 240, True),
    ("160 CJK char, overflow at char index 140", "故" * 160, 320, False),
    ("160 emoji char, overflow at char index 140", "\U0001f637" * 160, 320, False),
    ("3 latin char + 160 CJK char", "the" + "故" * 160, 323, False),
    (
        "Count a mix of single byte single word, and double word unicode characters",
        "H\U0001f431\u263a\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
        7,
        True,
    ),
    (
        "Count unicode emoji chars inside the basic multilingual plane",
        "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9",
        10,
        True,
    ),
    (
        "Count unicode emoji chars outside the basic multilingual plane with skin tone modifiers",
        "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4",
        4,
        True,
    ),
    (
        "Handle General Punctuation Characters with visible spaces(u2000-200A), no ZWJ/ZWNJ",
        "This is a tweet with general punctuation characters: "
        + "".join(map(chr, range(0x2000, 0x200C)))
        + " ‐ ‑ ‒ – — ― ‖  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷",
        110,
        True,
    ),
    (
        "Handle long url with invalid domain labels and short url",
        _LONG_URL_TEXT,
        len(_LONG_URL_TEXT) - len("https://validurl.com") + 23,  # 12,079 in validate.yml
        False,
    ),
    ("Handle a 64 character domain without protocol", "randomurl" * 7 + "s.com", 68, True),
    (
        "Do not allow > 140 CJK characters by virtue of CJK chars greater than 63 punycode "
        "encoded chars in the host",
        f"http://{_CJK_HOST_LONG}.com",
        0,
        False,
    ),
    (
        "Allow > 140 CJK characters by virtue of CJK chars less than 63 punycode encoded chars",
        f"{'あ' * 120} http://{_CJK_HOST_SHORT}.com",
        0,
        True,
    ),
    (
        "140 family emoji",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 140,
        280,
        True,
    ),
    ("Emoji with a leading character in the latin range is counted as 2", "1\u20e3", 2, True),
    (
        "Unicode 10.0 emoji",
        "Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; "
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        34,
        True,
    ),
    (
        "Unicode 9.0 emoji",
        "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe",
        29,
        True,
    ),
    ("Handle invalid characters", "ABC\u202a\uffffABC\ufffe", 12, False),
    (
        "Tweet text containing directional characters should be considered valid",
        "\u2066\u202ahttp://foobar.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646/\u202c\u2069",
        31,
        True,
    ),
]


# --- The tests ---------------------------------------------------------------------------------


def test_every_generated_text_counts_as_twitter_text_counts(
    reference: dict[str, dict[str, object]],
) -> None:
    wrong = []
    for text, expected in reference.items():
        found = x_parse(text)
        if (found.weighted, found.valid) != (expected["weightedLength"], expected["valid"]):
            wrong.append((text, found, expected))
    assert not wrong, f"{len(wrong)} of {len(reference)} differ, e.g. {wrong[:5]}"
    assert len(reference) > 7500


@pytest.mark.parametrize("case", CONFORMANCE, ids=lambda case: case[0])
def test_conformance_suite(
    case: tuple[str, str, int, bool], reference: dict[str, dict[str, object]]
) -> None:
    _, text, weighted, valid = case
    expected = reference[text]
    if weighted:  # the figure stated by validate.yml, when the text is rebuilt exactly
        assert expected["weightedLength"] == weighted
    assert expected["valid"] is valid
    found = x_parse(text)
    assert (found.weighted, found.valid) == (expected["weightedLength"], valid)
    assert fits(text, TextRules.x()) is valid


def test_the_emoji_list_is_twitter_text_s_own() -> None:
    """envol/networks/x_emoji.txt, read at run time, still equals the installed package's list."""
    try:
        sequences = twitter_text.emoji_sequences()
    except twitter_text.TwitterTextNotInstalledError as exc:
        pytest.fail(str(exc), pytrace=False)
    expected = twitter_text.emoji_file_text(sequences)
    assert twitter_text.EMOJI_FILE.read_text() == expected, (
        "regenerate it: python -m envol.testing.twitter_text"
    )
