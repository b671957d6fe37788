from django.urls import path

from envol.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.compose, name="new"),
    path("preview/", views.live_preview, name="preview"),
    path("review/", views.review, name="review"),
    path("published/", views.published, name="published"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/new/", views.feed_new, name="feed_new"),
    path("calendar/feed/revoke/", views.feed_revoke, name="feed_revoke"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
    path("media/<int:media_id>/", views.media, name="media"),
    path("<int:post_id>/", views.post_page, name="post"),
    path("<int:post_id>/edit/", views.compose, name="edit"),
    path("<int:post_id>/comment/", views.add_comment, name="comment"),
    path("<int:post_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:post_id>/<slug:action>/", views.act, name="act"),
]
