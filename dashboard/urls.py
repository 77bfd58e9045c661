from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("dashboard/", views.index, name="index"),
    path("dashboard/<slug:slug>/", views.overview, name="overview"),
    path("dashboard/<slug:slug>/unanswered/", views.unanswered, name="unanswered"),
    path("dashboard/<slug:slug>/content/", views.content, name="content"),
    path("dashboard/<slug:slug>/export/<slug:key>.csv", views.export, name="export"),
    path("dashboard/<slug:slug>/erase/", views.erase, name="erase"),
]
