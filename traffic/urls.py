from django.urls import path

from traffic import views

app_name = "traffic"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("usage/chart.png", views.usage_chart, name="usage_chart"),
    path("flow/", views.flow, name="flow"),
    path("cases/", views.CaseListView.as_view(), name="case_list"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("lines/", views.LineListView.as_view(), name="line_list"),
    path("lines/<int:pk>/", views.LineDetailView.as_view(), name="line_detail"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/<int:pk>/", views.NoticeDetailView.as_view(), name="notice_detail"),
    path("inbox/<int:pk>/print/", views.NoticePrintView.as_view(), name="notice_print"),
    path("inbox/<int:pk>/acknowledge/", views.notice_acknowledge, name="notice_acknowledge"),
    path("import/", views.UsageImportView.as_view(), name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("mdm/", views.mdm_csv, name="mdm_csv"),
]
