"""The text rules as each server applies them, the thread split and Bluesky facets.

Counts come from a hand-checked table (text_vectors.json); the split and the facets are also
checked as properties over generated French/English texts with emoji, URLs, mentions and tags.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envol.networks import text as text_rules
from envol.networks.facets import detect_facets, mentioned_handles, to_lexicon
from envol.networks.text import (
    TextRules,
    TextTooLong,
    count,
    entities,
    fits,
    graphemes,
    split_thread,
)

VECTORS = json.loads((Path(__file__).parent / "text_vectors.json").read_text(encoding="utf-8"))
RULES = {"bluesky": TextRules.bluesky(), "mastodon": TextRules.mastodon(), "x": TextRules.x()}
NUMBERING = regex.compile(r" (\d+)/(\d+)$")


@pytest.mark.parametrize("vector", VECTORS["counts"], ids=lambda v: v["case"])
@pytest.mark.parametrize("network", ["bluesky", "mastodon", "x"])
def test_count_matches_the_server(vector: dict[str, Any], network: str) -> None:
    assert count(vector["text"], RULES[network], vector.get("spoiler", "")) == vector[network]


@pytest.mark.parametrize("vector", VECTORS["facets"], ids=lambda v: v["case"])
def test_facets_match_the_official_app(vector: dict[str, Any]) -> None:
    utf8 = vector["text"].encode()
    found = [
        [facet.kind, facet.value, utf8[facet.byte_start : facet.byte_end].decode()]
        for facet in detect_facets(vector["text"])
    ]
    assert found == vector["facets"]


def test_limits_and_instance_settings() -> None:
    assert fits("a" * 300, RULES["bluesky"]) and not fits("a" * 301, RULES["bluesky"])
    family = "👨‍👩‍👧‍👦"  # 25 UTF-8 bytes, one grapheme
    assert count(family * 150, RULES["bluesky"]) == 150
    assert not fits(family * 150, RULES["bluesky"])  # 3,750 bytes: over Bluesky's 3,000
    assert fits("x" * 280, RULES["x"]) and not fits("日" * 141, RULES["x"])
    instance = TextRules.mastodon(max_characters=1000, url_weight=30)
    assert count("https://example.org/page", instance) == 30
    assert fits("a" * 1000, instance) and not fits("a" * 501, RULES["mastodon"])
    assert fits("CW", RULES["mastodon"], spoiler="a" * 498)
    assert not fits("CW", RULES["mastodon"], spoiler="a" * 499)


def test_text_that_fits_is_returned_as_it_is() -> None:
    text = "  Bonjour 👋 \n"
    assert split_thread(text, RULES["bluesky"], numbering=True) == [text]


def test_paragraphs_first_then_sentences() -> None:
    first = "Premier paragraphe. " + "Il parle de la ville. " * 8
    second = "Second paragraphe, plus court."
    rules = TextRules.mastodon(max_characters=200)
    parts = split_thread(f"{first.strip()}\n\n{second}", rules)
    assert parts[-1] == second
    assert all(part.endswith(".") for part in parts)  # cut after sentences, not mid-sentence


def test_french_punctuation_stays_with_its_word() -> None:
    text = "« Bonjour ! » dit-elle. Vraiment ? Oui : c’est fini… " * 12
    for part in split_thread(text, TextRules.mastodon(max_characters=60)):
        assert not part.startswith(("!", "?", ":", "»", "…")), part
        assert not part.endswith("«"), part


def test_numbering_is_counted_and_its_width_settles() -> None:
    text = " ".join(f"mot{i}" for i in range(400))
    rules = TextRules.mastodon(max_characters=40)
    parts = split_thread(text, rules, numbering=True)
    assert len(parts) >= 10  # the suffix grew from " 9/9" to " 10/NN" while splitting
    for index, part in enumerate(parts, start=1):
        assert part.endswith(f" {index}/{len(parts)}")
        assert fits(part, rules)


def test_long_word_is_cut_by_grapheme_but_a_url_never() -> None:
    word = "é👩🏽‍🚀" * 200  # 400 graphemes, no space anywhere
    parts = split_thread(word, RULES["bluesky"])
    assert "".join(parts) == word
    assert [g for part in parts for g in graphemes(part)] == graphemes(word)
    url = "https://example.org/" + "a" * 300
    with pytest.raises(TextTooLong) as error:
        split_thread(f"Lien : {url}", RULES["bluesky"])
    assert error.value.code == "url_too_long" and error.value.piece == url
    assert "URL" in str(error.value) and "Bluesky" in str(error.value)
    # On X and Mastodon the same URL weighs 23, so it fits.
    parts = split_thread(f"Lien : {url} " + "mot " * 200, RULES["x"])
    assert len(parts) == 3 and url in parts[0]  # 7 + 23 + 800 weighted characters


def test_lexicon_facets_use_resolved_dids_and_drop_the_others() -> None:
    facets = detect_facets("Salut @Alice.bsky.social et @bob.test ! #Envol")
    assert mentioned_handles(facets) == ["alice.bsky.social", "bob.test"]
    records = to_lexicon(facets, {"alice.bsky.social": "did:plc:alice"})
    assert records == [
        {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": 6, "byteEnd": 24},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"}],
        },
        {
            "$type": "app.bsky.richtext.facet",
            "index": {"byteStart": 40, "byteEnd": 46},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Envol"}],
        },
    ]


# --- Properties ---------------------------------------------------------------------------------

WORDS = [
    "Bonjour", "à", "tous", "l’équipe", "déménage", "Thanks", "everyone", "leaving",
    "«", "»", "!", "?", ":", "…", "—", "e\u0301te\u0301", "👨‍👩‍👧‍👦", "🇫🇷", "👍🏽", "1️⃣", "日本語",
    "https://www.service-public.fr/particuliers/vosdroits/F1234", "rennes.fr",
    "https://example.org/a_(b)?q=1#x", "@mairie@mastodon.social", "@alice.bsky.social",
    "#Rennes", "#ÉtéCulturel", "contact@rennes.fr", "Anticonstitutionnellement" * 13,
]  # fmt: skip
SEPARATORS = [" ", " ", " ", ". ", " ! ", "? ", "… ", ", ", "\n", "\n\n", ".\n\n", " « ", " » "]
texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=160
).map(lambda pairs: "".join(word + separator for word, separator in pairs).strip())
rules_strategy = st.sampled_from(
    [
        RULES["bluesky"],
        RULES["x"],
        RULES["mastodon"],
        TextRules.mastodon(max_characters=120),
        TextRules.for_network("bluesky", limit=80),
    ]
)


def _part_spans(text: str, parts: list[str]) -> list[tuple[int, int]]:
    """Where each part sits in the text; fails if the parts are not the text in order."""
    spans, position = [], 0
    for part in parts:
        start = text.index(part, position)
        assert not text[position:start].strip(), "only whitespace may be dropped at a cut"
        spans.append((start, start + len(part)))
        position = start + len(part)
    assert not text[position:].strip()
    return spans


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, rules=rules_strategy, numbering=st.booleans())
def test_split_properties(text: str, rules: TextRules, numbering: bool) -> None:
    try:
        parts = split_thread(text, rules, numbering=numbering)
    except TextTooLong as error:  # only when one URL/mention/tag alone is over the limit
        assert not fits(error.piece, rules) and error.piece in text
        return
    assert all(fits(part, rules) for part in parts)
    if numbering and len(parts) > 1:
        suffixes = [NUMBERING.search(part) for part in parts]
        assert [int(m.group(1)) for m in suffixes if m] == list(range(1, len(parts) + 1))
        assert {int(m.group(2)) for m in suffixes if m} == {len(parts)}
        parts = [NUMBERING.sub("", part) for part in parts]
    spans = _part_spans(text, parts)
    assert regex.sub(r"\s+", "", "".join(parts)) == regex.sub(r"\s+", "", text)
    boundaries = {end for _, end in spans[:-1]} | {start for start, _ in spans[1:]}
    for entity in entities(text, rules.network):
        assert not any(entity.start < cut < entity.end for cut in boundaries), entity
    for cluster in regex.finditer(r"\X", text):
        assert not any(cluster.start() < cut < cluster.end() for cut in boundaries)


@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_facet_byte_ranges_slice_exactly_the_entity(text: str) -> None:
    utf8 = text.encode()
    previous_end = 0
    for facet in detect_facets(text):
        assert previous_end <= facet.byte_start < facet.byte_end <= len(utf8)
        previous_end = facet.byte_end
        written = utf8[facet.byte_start : facet.byte_end].decode()  # never cuts a character
        if facet.kind == "mention":
            assert written == f"@{facet.value}"
        elif facet.kind == "tag":
            assert written[0] in "#＃" and written[1:] == facet.value
        else:
            assert facet.value in (written, f"https://{written}")


@settings(max_examples=200, deadline=None)
@given(
    text=texts
    | st.lists(st.sampled_from([*"ab.-_/:@é日 ", "https://", "co", "fr", "\u202a"])).map("".join)
)
def test_fast_url_scan_finds_what_a_plain_regex_search_finds(text: str) -> None:
    every_position = text_rules._scan_x_urls(text, lambda _text, position: position)
    assert text_rules.x_urls(text) == every_position
    for flavour in (text_rules._MASTODON_URLS,):
        plain, fast = [], []
        position = 0
        while match := flavour.start.search(text, position):
            plain.append(match.span())
            position = match.start() + 1
        position = 0
        while match := text_rules._next_candidate(text, flavour, position):
            fast.append(match.span())
            position = match.start() + 1
        assert fast == plain
