"""The published archive site at /<org-slug>/archive/…: included before the public page's
catch-all in envol/urls.py."""

from django.urls import path

from envol.history import views

urlpatterns = [
    path("", views.archive_file, {"relative": ""}, name="history_archive"),
    path("<path:relative>", views.archive_file, name="history_archive_file"),
]
