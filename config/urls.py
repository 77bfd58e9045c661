from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("channels.web.urls")),
    path("", include("channels.line.urls")),
    path("", include("handoff.urls")),
    path("", include("dashboard.urls")),
]

if settings.DEMO_SITE_ENABLED:
    # The demo city's homepage (static files in the repository), so source links open offline.
    urlpatterns.append(
        re_path(
            r"^demo-site/(?P<path>.*)$",
            serve,
            {"document_root": settings.BASE_DIR / "faq" / "demo" / "site", "show_indexes": False},
        ),
    )
