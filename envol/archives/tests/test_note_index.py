"""A long post listed twice in note-tweet.js is one long post: joined once, never reported as
left without its tweet."""

from __future__ import annotations

from envol.archives.x_tweets import Note, NoteIndex


def _note(note_id: str, tweet_id: str = "") -> Note:
    return Note(note_id, tweet_id, 1_700_000_000, "Un long texte", (), (), ())


def test_a_note_listed_twice_counts_once() -> None:
    index = NoteIndex()
    index.add(_note("9", tweet_id="42"))
    index.add(_note("9", tweet_id="42"))
    assert index.total == 1
    assert index.find("42", 1_700_000_000, "Un long") is not None
    assert index.unjoined == 0


def test_a_note_without_its_tweet_is_reported() -> None:
    index = NoteIndex()
    index.add(_note("9", tweet_id="42"))
    index.add(_note("10", tweet_id="43"))
    index.find("42", 1_700_000_000, "Un long")
    assert index.unjoined == 1
