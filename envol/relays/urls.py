"""Relays under /o/<org>/relays/ (every view goes through `org_view`)."""

from django.urls import path

from envol.relays import views

app_name = "relays"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
]
