from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("api/web/<slug:slug>/session", views.session, name="session"),
    path("api/web/<slug:slug>/messages", views.messages, name="messages"),
    path("demo/<slug:slug>/", views.demo_page, name="demo"),
]
