"""An in-repo Mastodon API server for tests and sandbox demos, faithful to the documented API.

No real Mastodon can be installed here, so envol's tests drive this one (with Mastodon.py, the
client envol uses, or raw httpx). Each handler cites the documentation section it follows
(``docs: methods/statuses#create`` means docs.joinmastodon.org/methods/statuses/#create).
State lives in memory, optionally saved to a JSON file so a sandbox survives a restart.
Counts (statuses, followers, follows, last status, favourites, boosts, replies) follow Mastodon's
counter-cache rules (see store.py). Deliberate simplifications: no federation (remote accounts are
records; WebFinger is simulated by a "remote directory"), no full-text search, no polls, no
timelines, no pins, no hashtag or mention extraction, HTML content is plain paragraphs, and rate
limits apply on loopback too.
"""

from envol.testing.mastodon.server import MastodonTestServer

__all__ = ["MastodonTestServer"]
