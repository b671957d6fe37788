"""Which requests to a short link are not people: their clicks are not counted.

A post with a link is fetched by machines before any person clicks: every Mastodon server that
receives the post fetches its link card (user agent `http.rb/<v> (Mastodon/<v>; +https://<its
domain>/)`, Mastodon's `app/helpers/http_helper.rb`; other fediverse servers announce
themselves alike), Bluesky's card service (`… Bluesky Cardyb/<v> …`), other networks' preview
fetchers, search engines' crawlers, and scripts. A request with no user agent is a script too.
The list below is matched case-insensitively anywhere in the user agent; a HEAD request is
never counted either (see `shortlinks.follow`).
"""

from __future__ import annotations

import re

BOT_MARKERS: tuple[str, ...] = (
    # Fediverse servers fetching link cards: Mastodon and its forks, Pleroma/Akkoma, Misskey…
    "(mastodon/",
    "http.rb/",
    "pleroma",
    "akkoma",
    "misskey",
    "friendica",
    "gotosocial",
    "pixelfed",
    "peertube",
    "lemmy",
    "wildebeest",
    # Bluesky's card fetcher and the other networks' preview fetchers
    "cardyb",
    "bluesky",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "twitterbot",
    "linkedinbot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "telegrambot",
    "whatsapp",
    "skypeuripreview",
    "redditbot",
    "embedly",
    "iframely",
    "pinterest",
    "vkshare",
    "applebot",
    # Search engines and generic crawlers
    "googlebot",
    "google-inspectiontool",
    "googleother",
    "adsbot-google",
    "bingbot",
    "bingpreview",
    "duckduckbot",
    "yandex",
    "baiduspider",
    "qwantify",
    "qwantbot",
    "ecosia",
    "seznambot",
    "petalbot",
    "sogou",
    "exabot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "gptbot",
    "chatgpt-user",
    "claudebot",
    "ccbot",
    "bytespider",
    "crawler",
    "spider",
    "bot/",
    "bot;",
    "+http",  # a contact URL in the user agent is the mark of a robot
    # Scripts and libraries
    "curl/",
    "wget/",
    "python-requests",
    "python-httpx",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "headlesschrome",
    "lighthouse",
)
_PATTERN = re.compile("|".join(re.escape(m) for m in BOT_MARKERS), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or _PATTERN.search(user_agent) is not None
