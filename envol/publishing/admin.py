"""Posts in the Django admin: read, and approve or reject through the desk's workflow only.

Why no editable fields: a post's state, reviewer and publications move only through
`envol.publishing.workflow`, whose rule is that nobody approves their own post, admins
included. A form that let a superuser set `state` would be a door around that rule, so the
admin offers the workflow's own moves as actions, and shows each refusal as a message."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from envol.publishing import workflow
from envol.publishing.models import Post, Publication


class PublicationInline(admin.TabularInline[Publication, Post]):
    model = Publication
    extra = 0
    can_delete = False
    fields = ("account", "part_index", "state", "public_url", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Post | None = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    list_display = ("id", "organisation", "state", "author", "planned_at", "reviewed_by")
    list_filter = ("state", "organisation")
    search_fields = ("text",)
    actions = ("approve_posts", "reject_posts")
    inlines = [PublicationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Post | None = None) -> Any:
        return [field.name for field in Post._meta.fields] + ["targets"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # posts are written on the desk (or `envol post`), never here

    @admin.action(description=_("Approve the selected posts"), permissions=["change"])
    def approve_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        done = self._each(request, queryset, lambda post: workflow.approve(post, request.user))
        if done:
            message = ngettext("%(count)d post approved.", "%(count)d posts approved.", done)
            self.message_user(request, message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Reject the selected posts"), permissions=["change"])
    def reject_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> HttpResponse | None:
        """Asks for the reviewer's comment first (the author needs to know why)."""
        comment = request.POST.get("comment", "").strip()
        if "apply" not in request.POST or not comment:
            context = {
                **self.admin_site.each_context(request),
                "title": _("Reject posts"),
                "opts": self.model._meta,
                "posts": queryset,
                "action": "reject_posts",
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "missing_comment": "apply" in request.POST,
            }
            return TemplateResponse(request, "admin/publishing/post/reject.html", context)
        done = self._each(
            request, queryset, lambda post: workflow.reject(post, request.user, comment)
        )
        if done:
            message = ngettext("%(count)d post rejected.", "%(count)d posts rejected.", done)
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        return None

    def _each(self, request: HttpRequest, queryset: QuerySet[Post], move: Any) -> int:
        """The move on each post, each refusal said with the post it concerns; how many moved."""
        done = 0
        for post in queryset.select_related("organisation"):
            try:
                move(post)
            except workflow.DeskError as refusal:
                self.message_user(request, f"#{post.pk}: {refusal}", messages.ERROR)
            else:
                done += 1
        return done
