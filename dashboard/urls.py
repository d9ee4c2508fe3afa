from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.monthly, name="monthly"),
    path("packs/", views.pack_list, name="pack_list"),
    path("packs/new/", views.pack_create, name="pack_create"),
    path("packs/<int:pk>/", views.pack_detail, name="pack_detail"),
    path("packs/<int:pk>/status/", views.pack_status, name="pack_status"),
    path("packs/<int:pk>/<str:fmt>/", views.pack_download, name="pack_download"),
]
