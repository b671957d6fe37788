"""Domain handle check with injected lookups, the item diff, the Mastodon CSV and the TIDs."""

from __future__ import annotations

import csv
import io

import pytest

from envol.leaving.handle_check import HandleStatus, check_domain_handle, domain_of
from envol.leaving.services import SelectedAccount, mastodon_follow_csv
from envol.leaving.starter_pack import plan_items

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def lookups(txt: dict[str, list[str]], served: dict[str, str]) -> dict[str, object]:
    return {"txt_lookup": lambda name: txt.get(name, []), "well_known": served.get}


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.ville-exemple.fr/accueil", "ville-exemple.fr"),
        ("https://mairie.ville.fr", "mairie.ville.fr"),
        ("http://192.168.1.1/", ""),
        ("", ""),
    ],
)
def test_domain_of_website(website: str, domain: str) -> None:
    assert domain_of(website) == domain


def test_missing_record_gives_the_exact_record_to_add() -> None:
    check = check_domain_handle("ville-exemple.fr", "ville.bsky.social", DID, **lookups({}, {}))  # type: ignore[arg-type]
    assert check.status == HandleStatus.MISSING
    assert (check.record_name, check.record_value) == ("_atproto.ville-exemple.fr", f"did={DID}")


def test_dns_record_present_but_handle_not_switched_yet() -> None:
    check = check_domain_handle(
        "ville-exemple.fr",
        "ville.bsky.social",
        DID,
        **lookups({"_atproto.ville-exemple.fr": [f"did={DID}"]}, {}),  # type: ignore[arg-type]
    )
    assert check.status == HandleStatus.READY


def test_well_known_file_counts_too_and_handle_is_the_domain() -> None:
    check = check_domain_handle(
        "ville-exemple.fr", "@ville-exemple.fr", DID, **lookups({}, {"ville-exemple.fr": DID})
    )  # type: ignore[arg-type]
    assert check.status == HandleStatus.OK


def test_record_for_another_account_is_a_mismatch() -> None:
    check = check_domain_handle(
        "ville-exemple.fr",
        "ville-exemple.fr",
        DID,
        **lookups({"_atproto.ville-exemple.fr": ["did=did:plc:other"]}, {}),  # type: ignore[arg-type]
    )
    assert check.status == HandleStatus.MISMATCH and check.found_dids == ["did:plc:other"]


def test_plan_creates_missing_deletes_unwanted_and_duplicates_adopts_lost_keys() -> None:
    wanted = {"did:a": "k1", "did:b": "k2", "did:c": "k3"}
    remote = [("k1", "did:a"), ("k9", "did:b"), ("k8", "did:b"), ("k7", "did:z")]
    to_create, to_delete, adopted = plan_items(wanted, remote)
    assert to_create == [("k3", "did:c")]
    assert sorted(to_delete) == ["k7", "k9"]  # did:z unwanted; did:b kept once (k8)
    assert adopted == {"did:b": "k8"}


def test_plan_is_empty_when_in_sync() -> None:
    wanted = {"did:a": "k1"}
    assert plan_items(wanted, [("k1", "did:a")]) == ([], [], {})


def test_mastodon_csv_has_the_import_header_and_one_row_per_address() -> None:
    selection = [
        SelectedAccount("1", "A", "did:a", "a.test", "@Culture@Social.Example"),
        SelectedAccount("2", "B", "did:b", "b.test", ""),
        SelectedAccount("3", "C", "", "", "culture@social.example"),
    ]
    rows = list(csv.reader(io.StringIO(mastodon_follow_csv(selection))))
    assert rows[0] == ["Account address", "Show boosts", "Notify on new posts", "Languages"]
    assert rows[1:] == [["culture@social.example", "true", "false", ""]]
