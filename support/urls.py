from django.urls import path

from gigaportal.reports import ReportView
from gigaportal.views import ImportView
from support import views

app_name = "support"

urlpatterns = [
    path("records/", views.SupportRecordListView.as_view(), name="record_list"),
    path("records/new/", views.record_create, name="record_create"),
    path("records/<int:pk>/", views.SupportRecordDetailView.as_view(), name="record_detail"),
    path("records/<int:pk>/edit/", views.record_edit, name="record_edit"),
    path("records/import/", ImportView.as_view(kind="support_log"), name="import"),
    path("requests/", views.SupportRequestListView.as_view(), name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.SupportRequestDetailView.as_view(), name="request_detail"),
    path("requests/<int:pk>/schedule/", views.request_schedule, name="request_schedule"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/comment/", views.request_comment, name="request_comment"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/feed/", views.FeedSettingsView.as_view(), name="feed_settings"),
    path("calendar/feed/<str:token>.ics", views.feed, name="feed"),
    path("reports/terms/", ReportView.as_view(report="support.terms"), name="report_terms"),
    path(
        "reports/terms/chart.png",
        ReportView.as_view(report="support.terms", output="chart"),
        name="report_terms_chart",
    ),
    path("reports/months/", ReportView.as_view(report="support.months"), name="report_months"),
    path("reports/schools/", ReportView.as_view(report="support.schools"), name="report_schools"),
    path("reports/staff/", ReportView.as_view(report="support.staff"), name="report_staff"),
    path("reports/topics/", ReportView.as_view(report="support.topics"), name="report_topics"),
    path(
        "reports/open-requests/",
        ReportView.as_view(report="support.open_requests"),
        name="report_open_requests",
    ),
    path(
        "schools/<int:school_pk>/history/",
        ReportView.as_view(report="support.school_history"),
        name="school_history",
    ),
]
