from django.urls import path

from envol.orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("organisation/", views.organisation_settings, name="settings"),
    path("bluesky/", views.connect_bluesky, name="connect_bluesky"),
    path("mastodon/", views.connect_mastodon, name="connect_mastodon"),
    path("<int:account_id>/recheck/", views.recheck_account, name="recheck_account"),
    path("<int:account_id>/disconnect/", views.disconnect_account, name="disconnect_account"),
]
