from django.urls import path

from envol.insights import pages, views

app_name = "insights"

urlpatterns = [
    path("", pages.index, name="index"),
    path("channels/<int:channel_id>/", pages.channel, name="channel"),
    path("channels/<int:channel_id>/readings/", views.readings, name="readings"),
    path("campaigns/<int:campaign_id>/", pages.campaign, name="campaign"),
    path("import/", views.upload, name="upload"),
    path("import/columns/", views.assign_columns, name="assign_columns"),
]
