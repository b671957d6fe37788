"""The crosswalk of identities: X ids linked to Bluesky and Mastodon accounts, and the matching."""
