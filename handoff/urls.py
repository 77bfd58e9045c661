from django.urls import path

from . import views

app_name = "handoff"
urlpatterns = [
    path("console/", views.queue, name="queue"),
    path("console/queue/rows", views.queue_rows, name="queue_rows"),
    path("console/events", views.events, name="events"),
    path("console/stats/", views.stats_view, name="stats"),
    path("console/login/", views.ConsoleLogin.as_view(), name="login"),
    path("console/logout/", views.logout_view, name="logout"),
    path("console/tickets/<id:pk>/", views.ticket_detail, name="ticket"),
    path("console/tickets/<id:pk>/thread", views.ticket_thread, name="thread"),
    path("console/tickets/<id:pk>/claim", views.claim, name="claim"),
    path("console/tickets/<id:pk>/release", views.release, name="release"),
    path("console/tickets/<id:pk>/assign", views.assign, name="assign"),
    path("console/tickets/<id:pk>/transfer", views.transfer, name="transfer"),
    path("console/tickets/<id:pk>/preview", views.preview, name="preview"),
    path("console/tickets/<id:pk>/reply", views.reply, name="reply"),
    path("console/tickets/<id:pk>/note", views.note, name="note"),
    path("console/tickets/<id:pk>/resolve", views.resolve, name="resolve"),
    path("console/tickets/<id:pk>/faqs", views.faq_search, name="faq_search"),
    path("console/tickets/<id:pk>/faq-draft", views.faq_draft, name="faq_draft"),
]
