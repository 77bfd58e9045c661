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
    path("console/tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("console/tickets/<int:pk>/thread", views.ticket_thread, name="thread"),
    path("console/tickets/<int:pk>/claim", views.claim, name="claim"),
    path("console/tickets/<int:pk>/release", views.release, name="release"),
    path("console/tickets/<int:pk>/assign", views.assign, name="assign"),
    path("console/tickets/<int:pk>/transfer", views.transfer, name="transfer"),
    path("console/tickets/<int:pk>/preview", views.preview, name="preview"),
    path("console/tickets/<int:pk>/reply", views.reply, name="reply"),
    path("console/tickets/<int:pk>/note", views.note, name="note"),
    path("console/tickets/<int:pk>/resolve", views.resolve, name="resolve"),
    path("console/tickets/<int:pk>/faqs", views.faq_search, name="faq_search"),
    path("console/tickets/<int:pk>/faq-draft", views.faq_draft, name="faq_draft"),
]
