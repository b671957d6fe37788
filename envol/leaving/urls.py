"""Organisation tools under /o/<org>/leaving/ (every view goes through `org_view`)."""

from django.urls import path

from envol.leaving import views

app_name = "leaving"

urlpatterns = [
    path("", views.index, name="index"),
    path("page/", views.page_edit, name="page"),
    path("page/links/new/", views.link_edit, name="link_add"),
    path("page/links/<int:link_id>/", views.link_edit, name="link_edit"),
    path("page/links/<int:link_id>/delete/", views.link_delete, name="link_delete"),
    path("announce/", views.announce, name="announce"),
    path("announce/publish/", views.publish_announcement, name="publish_announcement"),
    path("checklist/", views.checklist, name="checklist"),
    path("handle/", views.handle, name="handle"),
    path("starter-pack/", views.starter_pack, name="starter_pack"),
    path("starter-pack/mastodon.csv", views.mastodon_csv, name="mastodon_csv"),
]
