from django.urls import path

from envol.sharing import views

app_name = "sharing"
urlpatterns = [
    path("crosswalk-feed.jsonl", views.feed, name="feed"),
    path("crosswalk-key", views.key, name="key"),
]
