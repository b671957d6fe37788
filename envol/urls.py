"""URL map. Everything that belongs to an organisation lives under /o/<org>/ and goes through
`envol.orgs.services.org_view`, which answers 404 to non-members."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from envol.orgs import views as orgs_views
from envol.publishing import views as publishing_views
from envol.web import views
from envol.web.forms import EmailAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("about/<slug:kind>/", views.site_page, name="site_page"),
    path("brand/<slug:org>/style.css", views.brand_css, name="brand_css"),
    path("brand/<slug:org>/logo.png", views.brand_logo, name="brand_logo"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("connect/mastodon/callback/", orgs_views.mastodon_callback, name="mastodon_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("o/switch/", views.switch_organisation, name="switch_organisation"),
    path("o/<slug:org>/", views.dashboard, name="dashboard"),
    path("o/<slug:org>/accounts/", include("envol.orgs.urls")),
    path("o/<slug:org>/leaving/", include("envol.leaving.urls")),
    path("o/<slug:org>/imports/", include("envol.portability.urls")),
    path("o/<slug:org>/matches/", include("envol.crosswalk.urls")),
    path("o/<slug:org>/migration/", include("envol.migration.urls")),
    path(".well-known/envol/", include("envol.sharing.urls")),
    path("", include("envol.people.urls")),
    path("o/<slug:org>/insights/", include("envol.insights.urls")),
    path("o/<slug:org>/decide/", include("envol.decide.urls")),
    path("o/<slug:org>/history/", include("envol.history.urls")),
    path("o/<slug:org>/desk/", include("envol.publishing.urls")),
    # A member's calendar app reads the desk's schedule here, with no session: the secret
    # token is the key (publishing/calendar.py).
    path("calendar/<str:token>.ics", publishing_views.calendar_feed, name="calendar_feed"),
    path("o/<slug:org>/relays/", include("envol.relays.urls")),
    path("<slug:public_slug>/archive/", include("envol.history.public_urls")),
    path("<slug:public_slug>/", include("envol.leaving.public_urls")),  # keep last: catch-all
]

handler400 = "envol.web.views.bad_request"
handler403 = "envol.web.views.permission_denied"
handler404 = "envol.web.views.page_not_found"
handler500 = "envol.web.views.server_error"
