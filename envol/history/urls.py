"""Organisation tools under /o/<org>/history/ (every view goes through `org_view`)."""

from django.urls import path

from envol.history import views

app_name = "history"

urlpatterns = [
    path("site/", views.site_page, name="site"),
    path("bluesky/", views.move_page, name="move"),
    path("bluesky/<int:job_id>/", views.move_action, name="move_action"),
]
