from django.urls import path

from envol.portability import views

app_name = "portability"

urlpatterns = [
    path("", views.import_list, name="imports"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
]
