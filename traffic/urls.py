from django.urls import path, re_path

from gigaportal.reports import ReportView
from gigaportal.views import ImportView
from traffic import views

app_name = "traffic"

urlpatterns = [
    path("", ReportView.as_view(report="traffic.usage"), name="usage"),
    path(
        "usage/chart.png",
        ReportView.as_view(report="traffic.usage", output="chart"),
        name="usage_chart",
    ),
    path("flow/", ReportView.as_view(report="traffic.flow"), name="flow"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("lines/", views.LineListView.as_view(), name="line_list"),
    path("lines/<int:pk>/", views.LineDetailView.as_view(), name="line_detail"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/<int:pk>/", views.NoticeDetailView.as_view(), name="notice_detail"),
    path("inbox/<int:pk>/print/", views.NoticePrintView.as_view(), name="notice_print"),
    path("inbox/<int:pk>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
    path("import/", ImportView.as_view(kind="traffic_usage"), name="import"),
    path("months/", views.MonthListView.as_view(), name="months"),
    re_path(
        r"^months/(?P<month>\d{4}-\d{2})/confirm/$",
        views.MonthConfirmView.as_view(),
        name="month_confirm",
    ),
    re_path(
        r"^months/(?P<month>\d{4}-\d{2})/reopen/$",
        views.MonthReopenView.as_view(),
        name="month_reopen",
    ),
    path("mdm/", ReportView.as_view(report="traffic.mdm"), name="mdm_csv"),
]
