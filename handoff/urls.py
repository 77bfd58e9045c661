app_name = "handoff"
urlpatterns: list = []
