from django.urls import path

from envol.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.upload, name="upload"),
    path("import/columns/", views.assign_columns, name="assign_columns"),
]
