from django.urls import path

from gigaportal.reports import ReportView
from security import views

app_name = "security"

urlpatterns = [
    path("", ReportView.as_view(report="security.policy"), name="policy"),
    path("revision/", ReportView.as_view(report="security.revision"), name="revision"),
    path("policy/<int:pk>/", views.document_detail, name="document_detail"),
    path("policy/<int:pk>/history/", views.document_history, name="document_history"),
    path("policy/<int:pk>/diff/", views.document_diff, name="document_diff"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/acknowledge/", views.version_acknowledge, name="version_acknowledge"),
    path(
        "versions/<int:pk>/not-acknowledged/",
        ReportView.as_view(report="security.unacknowledged"),
        name="unacknowledged",
    ),
    path("versions/<int:pk>/remind/", views.version_remind, name="version_remind"),
    path(
        "acknowledgements/",
        ReportView.as_view(report="security.acknowledgements"),
        name="acknowledgements",
    ),
    path("charts/", ReportView.as_view(report="security.charts"), name="chart_list"),
    path(
        "charts/<slug:slug>/",
        ReportView.as_view(report="security.orgchart"),
        name="chart_detail",
    ),
    path("charts/<slug:slug>/chart.svg", views.chart_svg, name="chart_svg"),
    path("topics/", ReportView.as_view(report="security.topics"), name="topics"),
    path("software/", views.SoftwareRequestListView.as_view(), name="software_list"),
    path("software/new/", views.software_create, name="software_create"),
    path(
        "software/register/",
        ReportView.as_view(report="security.software_register"),
        name="software_register",
    ),
    path("software/<int:pk>/", views.software_detail, name="software_detail"),
    path("software/<int:pk>/review/", views.software_review, name="software_review"),
]
