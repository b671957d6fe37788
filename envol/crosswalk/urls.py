from django.urls import path

from envol.crosswalk import views

app_name = "crosswalk"

urlpatterns = [
    path("", views.match_list, name="matches"),
    path("decide/", views.decide, name="decide"),
    path("compute/", views.compute, name="compute"),
    path("export/", views.download, name="export"),
    path("own/", views.own_links, name="own_links"),
    path("own/consent/", views.consent, name="consent"),
]
