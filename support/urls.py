from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("records/", views.SupportRecordListView.as_view(), name="record_list"),
    path("records/new/", views.record_create, name="record_create"),
    path("records/<int:pk>/", views.SupportRecordDetailView.as_view(), name="record_detail"),
    path("records/<int:pk>/edit/", views.record_edit, name="record_edit"),
    path("records/import/", views.SupportLogImportView.as_view(), name="import"),
    path("requests/", views.SupportRequestListView.as_view(), name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.SupportRequestDetailView.as_view(), name="request_detail"),
    path("requests/<int:pk>/schedule/", views.request_schedule, name="request_schedule"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("campaigns/", views.CampaignListView.as_view(), name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("calendar/feed/", views.FeedSettingsView.as_view(), name="feed_settings"),
    path("calendar/feed/<str:token>.ics", views.feed, name="feed"),
    path("reports/terms/", views.TermReportView.as_view(), name="report_terms"),
    path("reports/terms/chart.png", views.TermChartView.as_view(), name="report_terms_chart"),
    path("reports/schools/", views.CountsReportView.as_view(by="school"), name="report_schools"),
    path("reports/staff/", views.CountsReportView.as_view(by="staff"), name="report_staff"),
    path("reports/topics/", views.CountsReportView.as_view(by="topic"), name="report_topics"),
    path(
        "reports/open-requests/",
        views.OpenRequestsReportView.as_view(),
        name="report_open_requests",
    ),
    path(
        "schools/<int:school_pk>/history/", views.SchoolHistoryView.as_view(), name="school_history"
    ),
]
