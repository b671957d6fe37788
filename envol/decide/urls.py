from django.urls import path

from envol.decide import views

app_name = "decide"

urlpatterns = [
    path("", views.index, name="index"),
    path("effort/", views.effort_page, name="effort"),
    path("effort/import/", views.effort_import, name="effort_import"),
    path("effort/estimate/", views.confirm_estimate, name="confirm_estimate"),
    path("costs/", views.costs, name="costs"),
    path("roi/", views.roi_page, name="roi"),
    path("method/", views.method, name="method"),
    path("questions/", views.assessments_page, name="assessments"),
    path("questions/compare/", views.compare, name="compare"),
    path("questions/<int:assessment_id>/", views.assessment_page, name="assessment"),
    path("questions/<slug:network>/new/", views.assess, name="assess"),
    path("networks/<slug:network>/", views.sheet_page, name="sheet"),
    path("scenarios/", views.scenarios, name="scenarios"),
    path("report/", views.report_page, name="report"),
    path("report/file/", views.report_file, name="report_file"),
]
