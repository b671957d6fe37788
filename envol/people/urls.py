"""Personal spaces: signing in (signed out), then a person's own pages under /o/<space>/me/."""

from django.urls import path

from envol.people import views

app_name = "people"
urlpatterns = [
    path("signin/", views.signin_page, name="signin"),
    path("signin/bluesky/callback/", views.bluesky_callback, name="bluesky_callback"),
    path("signin/mastodon/callback/", views.mastodon_callback, name="mastodon_callback"),
    path("oauth/client-metadata.json", views.client_metadata, name="client_metadata"),
    path("o/<slug:org>/me/", views.journey, name="journey"),
    path("o/<slug:org>/me/archive/", views.archive_upload, name="archive"),
    path("o/<slug:org>/me/found/", views.found, name="found"),
    path("o/<slug:org>/me/follow/", views.follow, name="follow"),
    path("o/<slug:org>/me/accounts/", views.accounts, name="accounts"),
    path("o/<slug:org>/me/accounts/<int:account_id>/", views.consent, name="consent"),
    path("o/<slug:org>/me/email/", views.email, name="email"),
    path("o/<slug:org>/me/data/", views.data, name="data"),
    path("o/<slug:org>/me/data/envol-my-data.json", views.download, name="download"),
    path("o/<slug:org>/me/data/delete/", views.delete, name="delete"),
]
