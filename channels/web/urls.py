from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("widget.js", views.widget_script, name="widget"),
    path("api/web/openapi.json", views.openapi, name="openapi"),
    path("api/web/<slug:slug>/config", views.widget_config, name="config"),
    path("api/web/<slug:slug>/session", views.session, name="session"),
    path("api/web/<slug:slug>/messages", views.messages, name="messages"),
    path("api/web/<slug:slug>/stream-ticket", views.stream_ticket, name="stream-ticket"),
    path("api/web/<slug:slug>/events", views.events, name="events"),
    path("demo/<slug:slug>/", views.demo_page, name="demo"),
]
