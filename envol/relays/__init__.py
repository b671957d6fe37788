"""Relays: mirror a website's feed, a Bluesky account or a Mastodon account to the
organisation's other accounts (see docs/architecture.md, "Relays")."""
