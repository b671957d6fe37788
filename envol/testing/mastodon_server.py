"""The Mastodon test server's expected address; it lives in ``envol.testing.mastodon``."""

from envol.testing.mastodon import MastodonTestServer

__all__ = ["MastodonTestServer"]
