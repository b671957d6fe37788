"""How an import's summary reads: what was left aside in words people use, and whether the
archive is another account's than the organisation's earlier imports."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from envol.archives.errors import ArchiveWarning
from envol.portability.models import ArchiveImport, SourceAccount

# Data types of the X archive that envol does not import, named as X's own help pages name them.
DATA_TYPE_NAMES = {
    "ad_engagements": gettext_lazy("ad engagements"),
    "ad_impressions": gettext_lazy("ad impressions (the ads X showed you)"),
    "ad_mobile_conversions_attributed": gettext_lazy("ad conversions"),
    "ad_online_conversions_attributed": gettext_lazy("ad conversions"),
    "like": gettext_lazy("likes"),
    "direct_messages": gettext_lazy("direct messages"),
    "direct_messages_group": gettext_lazy("group direct messages"),
    "direct_message_headers": gettext_lazy("direct messages"),
    "personalization": gettext_lazy("interests X inferred"),
    "ip_audit": gettext_lazy("sign-in addresses"),
    "connected_application": gettext_lazy("connected applications"),
    "device_token": gettext_lazy("devices"),
    "email_address_change": gettext_lazy("e-mail address changes"),
    "screen_name_change": gettext_lazy("username changes"),
    "phone_number": gettext_lazy("phone number"),
    "saved_search": gettext_lazy("saved searches"),
    "periscope_account_information": gettext_lazy("Periscope account"),
    "community_tweet": gettext_lazy("community posts"),
    "deleted_tweets": gettext_lazy("deleted posts"),
    "deleted_tweet_headers": gettext_lazy("deleted posts"),
    "moment": gettext_lazy("moments"),
    "spaces_metadata": gettext_lazy("Spaces"),
    "grok_chat_item": gettext_lazy("Grok conversations"),
}


def data_type_name(data_type: str) -> str:
    """A data type's name for people ("ad_impressions" → "ad impressions (…)")."""
    known = DATA_TYPE_NAMES.get(data_type)
    return str(known) if known is not None else data_type.replace("_", " ").replace("-", " ")


def warning_messages(archive_import: ArchiveImport, language: str) -> list[str]:
    messages = []
    for w in archive_import.warnings:
        if not isinstance(w, dict):
            continue
        detail = w.get("detail", "")
        if w.get("code") == "unread_data_type":
            detail = data_type_name(detail)
        messages.append(
            ArchiveWarning(w.get("code", ""), w.get("file", ""), detail).message(language)
        )
    return messages


def other_accounts(archive_import: ArchiveImport) -> list[SourceAccount]:
    """The X accounts of the organisation's other finished imports, when this import's account
    is not among them: importing another account's archive is allowed but rarely meant."""
    mine = archive_import.source_account_id
    if mine is None:
        return []
    others = (
        SourceAccount.objects.filter(
            organisation=archive_import.organisation_id,
            imports__state=ArchiveImport.State.DONE,
        )
        .exclude(pk=mine)
        .distinct()
        .order_by("username")
    )
    return list(others)


def imported_accounts(organisation_id: int) -> list[str]:
    """Usernames of the X accounts already imported into the organisation (upload page)."""
    return list(
        SourceAccount.objects.filter(
            organisation=organisation_id, imports__state=ArchiveImport.State.DONE
        )
        .values_list("username", flat=True)
        .distinct()
        .order_by("username")
    )


def another_account_warning(archive_import: ArchiveImport) -> str:
    others = other_accounts(archive_import)
    if not others or archive_import.source_account is None:
        return ""
    return _(
        "This archive is the X account @%(this)s's, while this organisation's earlier imports "
        "are @%(others)s's. Both are kept side by side, each with its own matches: check that "
        "this is the account you meant to import."
    ) % {
        "this": archive_import.source_account.username,
        "others": ", @".join(o.username for o in others),
    }
