"""The public page at /<slug>/: included last in envol/urls.py so that it never shadows a route."""

from django.urls import path

from envol.leaving import views

urlpatterns = [path("", views.public_page, name="leaving_public_page")]
