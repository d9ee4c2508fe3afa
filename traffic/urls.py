app_name = "traffic"

urlpatterns: list = []
