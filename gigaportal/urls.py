from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from gigaportal import views

schools_patterns = (
    [
        path("", views.SchoolListView.as_view(), name="list"),
        path("import/", views.ImportView.as_view(kind="schools"), name="import"),
        path("<int:pk>/", views.SchoolDetailView.as_view(), name="detail"),
    ],
    "schools",
)
imports_patterns = (
    [
        path("", views.ImportBatchListView.as_view(), name="list"),
        path("<int:pk>/", views.ImportBatchDetailView.as_view(), name="detail"),
        path("<int:pk>/status/", views.ImportBatchStatusView.as_view(), name="status"),
    ],
    "imports",
)
changes_patterns = (
    [
        path("", views.ObjectChangeListView.as_view(), name="list"),
        path("<str:model>/<str:object_id>/", views.ObjectHistoryView.as_view(), name="object"),
    ],
    "changes",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("schools/", include(schools_patterns)),
    path("imports/", include(imports_patterns)),
    path("changes/", include(changes_patterns)),
    path("devices/", include("devices.urls")),
    path("traffic/", include("traffic.urls")),
    path("support/", include("support.urls")),
    path("surveys/", include("surveys.urls")),
    path("security/", include("security.urls")),
    path("dashboard/", include("dashboard.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
