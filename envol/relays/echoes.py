"""Never a loop: a post that envol itself published is never relayed back.

Recognised by its identity in the publications table, not by its text: envol can only have
published on an account it has connected, so the source is first matched to connected accounts
(any organisation's: a Bluesky DID; a Mastodon server and account id, or its address). Then:
- a Bluesky record whose key is the idempotency key of one of those accounts' publications
  (envol chooses the record key before the call, so this holds even while the post is being
  sent, before its URI is stored);
- a status or record whose URI is the remote URI of one of those accounts' publications;
- a Mastodon status that might be one of envol's while one of those accounts has a post being
  sent (sent, not yet confirmed, so its URI is not known yet): the poll waits for it to settle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from envol.feeds.items import SourceItem
from envol.orgs.models import ConnectedAccount
from envol.publishing.models import Post, Publication


@dataclass(frozen=True)
class Echoes:
    """What envol published on the source's accounts, for one poll's items."""

    account_ids: tuple[int, ...]

    def of(self, items: Iterable[SourceItem]) -> set[str]:
        """The keys of the items envol published itself."""
        wanted = [item for item in items if item.uri]
        if not self.account_ids or not wanted:
            return set()
        ours = Publication.objects.filter(account_id__in=self.account_ids)
        uris = set(
            ours.filter(remote_uri__in=[i.uri for i in wanted]).values_list("remote_uri", flat=True)
        )
        record_keys = {_rkey(i.uri): i for i in wanted if i.uri.startswith("at://")}
        if record_keys:
            keys = ours.filter(network="bluesky", idempotency_key__in=list(record_keys))
            uris |= {record_keys[k].uri for k in keys.values_list("idempotency_key", flat=True)}
        return {item.key for item in wanted if item.uri in uris}

    def unsettled(self) -> bool:
        """A post to one of these accounts is out and not confirmed: a status of the source
        may be it, with a URI envol does not know yet (Mastodon: its id comes back only with
        the answer). Bluesky needs no wait: the record key is known before the call."""
        return bool(self.account_ids) and (
            Publication.objects.filter(
                account_id__in=self.account_ids,
                network="mastodon",
                state=Publication.State.SENT,
                post__state=Post.State.PUBLISHING,
            )
            .only("pk")
            .exists()
        )


def echoes_for(kind: str, state: dict[str, Any]) -> Echoes:
    """The connected accounts (of any organisation) that are this source."""
    accounts = ConnectedAccount.objects.none()
    if kind == "bluesky" and state.get("did"):
        accounts = ConnectedAccount.objects.filter(network="bluesky", remote_id=state["did"])
    elif kind == "mastodon" and state.get("account_id"):
        host = urlsplit(str(state.get("instance", ""))).netloc.lower()
        candidates = ConnectedAccount.objects.filter(network="mastodon")
        by_id = candidates.filter(remote_id=str(state["account_id"]))
        ids = [a.pk for a in by_id if urlsplit(a.instance_url).netloc.lower() == host]
        acct = str(state.get("acct", ""))
        if acct and "@" not in acct:
            acct = f"{acct}@{host}"
        ids += list(candidates.filter(handle__iexact=acct).values_list("pk", flat=True))
        return Echoes(tuple(sorted(set(ids))))
    return Echoes(tuple(accounts.values_list("pk", flat=True)))


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]
