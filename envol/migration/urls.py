from django.urls import path

from envol.migration import views

app_name = "migration"

urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start, name="start"),
    path("<int:job_id>/", views.detail, name="detail"),
    path("<int:job_id>/<str:action>/", views.change, name="change"),
    path("<int:job_id>/report.csv", views.report, name="report"),
]
