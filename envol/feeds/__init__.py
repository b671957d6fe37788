"""Readers of live public sources for relays: an RSS or Atom feed, a Bluesky account, a Mastodon
account. Pure Python (no Django), like `envol.archives` for exported files.

Each reader turns what a source publishes into `SourceItem`s with a stable key, and reads only
what changed since the state it was given (conditional requests for feeds, the repository's
revision for Bluesky, the newest status id for Mastodon). Everything it fetches goes through the
one guarded transport (`envol.networks.ssrf`), with a timeout and a size cap read in bounded
memory: a source is a URL someone typed, and its content is untrusted.
"""
