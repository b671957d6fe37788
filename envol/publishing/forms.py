"""The desk's forms: the composer, a reviewer's comment, and a new planned time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from envol.orgs.models import ConnectedAccount, Organisation
from envol.orgs.models import Network as NetworkChoice
from envol.publishing.compose import NewImage, PostInput, local_to_utc, utc_to_local
from envol.publishing.models import Post
from envol.publishing.workflow import DeskError

NEW_IMAGE_SLOTS = 4
LANGUAGES = [
    ("fr", "Français"),
    ("en", "English"),
    ("br", "Brezhoneg"),
    ("oc", "Occitan"),
    ("eu", "Euskara"),
    ("ca", "Català"),
    ("co", "Corsu"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
]


class AccountChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: ConnectedAccount) -> str:
        return f"{obj.get_network_display()} — {obj.handle}"


class ComposeForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Written once; each network gets its own variant, cut into a thread if needed."
        ),
    )
    targets = AccountChoices(
        label=_("Accounts"),
        queryset=ConnectedAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    content_warning = forms.CharField(
        label=_("Content warning"),
        required=False,
        max_length=500,
        help_text=_(
            "Optional. Mastodon hides the text behind it; on Bluesky it becomes the first line."
        ),
    )
    lang = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, initial="fr")
    link_url = forms.URLField(
        label=_("Link"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        help_text=_("Optional. Its card is shown below; the link is added to the text if missing."),
    )
    numbering = forms.BooleanField(
        label=_("Number the posts of a thread (1/3, 2/3…)"), required=False, initial=True
    )
    use_short_links = forms.BooleanField(
        label=_("Short links per network (to count the clicks each network sends)"),
        required=False,
    )
    planned_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(
        self, *args: Any, org: Organisation, post: Post | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.org, self.post = org, post
        accounts = ConnectedAccount.objects.filter(organisation=org).exclude(
            network=NetworkChoice.X
        )
        targets: Any = self.fields["targets"]
        targets.queryset = accounts.order_by("network", "handle")
        self.networks = sorted({a.network for a in accounts})
        for network in self.networks:
            label = dict(NetworkChoice.choices)[network]
            self.fields[f"override_{network}"] = forms.CharField(
                label=_("Text for %(network)s only") % {"network": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=_("Empty: the text above. The other networks keep the text above."),
            )
        self.existing = list(post.media.all()) if post is not None else []
        for media in self.existing:
            self.fields[f"alt_{media.pk}"] = forms.CharField(
                label=_("Alternative text of image %(n)d") % {"n": media.position + 1},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"remove_{media.pk}"] = forms.BooleanField(
                label=_("Remove image %(n)d") % {"n": media.position + 1}, required=False
            )
        for slot in range(1, NEW_IMAGE_SLOTS + 1):
            self.fields[f"image_{slot}"] = forms.FileField(
                label=_("New image %(n)d") % {"n": slot},
                required=False,
                widget=forms.ClearableFileInput(
                    attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
                ),
            )
            self.fields[f"image_alt_{slot}"] = forms.CharField(
                label=_("Its alternative text (required)"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("What the image shows, for people who cannot see it."),
            )
        if post is not None and not self.is_bound:
            self.initial.update(initial_of(post))

    # -- groups for the template --

    def override_fields(self) -> list[forms.BoundField]:
        return [self[f"override_{n}"] for n in self.networks]

    def existing_images(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(m, self[f"alt_{m.pk}"], self[f"remove_{m.pk}"]) for m in self.existing]

    def new_image_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"image_{s}"], self[f"image_alt_{s}"]) for s in range(1, NEW_IMAGE_SLOTS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, at = data.get("planned_date"), data.get("planned_time")
        data["planned_at"] = None
        if day and not at:
            self.add_error("planned_time", _("Give the time too."))
        elif at and not day:
            self.add_error("planned_date", _("Give the date too."))
        elif day and at:
            try:
                data["planned_at"] = local_to_utc(self.org, day, at)
            except DeskError as exc:
                self.add_error("planned_time", str(exc))
        for slot in range(1, NEW_IMAGE_SLOTS + 1):
            upload = data.get(f"image_{slot}")
            if upload and not str(data.get(f"image_alt_{slot}", "")).strip():
                self.add_error(
                    f"image_alt_{slot}",
                    _("Describe this image: alternative text is mandatory."),
                )
        return data

    def to_input(self) -> PostInput:
        data = self.cleaned_data
        images = []
        for slot in range(1, NEW_IMAGE_SLOTS + 1):
            upload = data.get(f"image_{slot}")
            if upload:
                images.append(
                    NewImage(upload.name, upload.read(), str(data.get(f"image_alt_{slot}", "")))
                )
        return PostInput(
            text=data.get("text", ""),
            targets=list(data.get("targets") or []),
            content_warning=data.get("content_warning", ""),
            lang=data.get("lang") or "fr",
            link_url=data.get("link_url", ""),
            overrides={n: data.get(f"override_{n}", "") for n in self.networks},
            numbering=bool(data.get("numbering")),
            use_short_links=bool(data.get("use_short_links")),
            planned_at=data.get("planned_at"),
            new_images=images,
            alts={m.pk: data.get(f"alt_{m.pk}", "") for m in self.existing},
            removed={m.pk for m in self.existing if data.get(f"remove_{m.pk}")},
        )


def initial_of(post: Post) -> dict[str, Any]:
    found: dict[str, Any] = {
        "text": post.text,
        "targets": list(post.targets.all()),
        "content_warning": post.content_warning,
        "lang": post.lang,
        "link_url": post.link_url,
        "numbering": post.numbering,
        "use_short_links": post.use_short_links,
    }
    for network, text in (post.overrides or {}).items():
        found[f"override_{network}"] = text
    for media in post.media.all():
        found[f"alt_{media.pk}"] = media.alt_text
    if post.planned_at:
        local: datetime = utc_to_local(post.organisation, post.planned_at)
        found["planned_date"], found["planned_time"] = local.date(), local.time()
    return found


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RejectForm(forms.Form):
    comment = forms.CharField(
        label=_("Why (the author will read it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class UrgentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for publishing without approval"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept in the audit log; another member confirms the publication afterwards."),
    )


class RescheduleForm(forms.Form):
    planned_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    planned_time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
