from django.urls import path

from devices import views
from gigaportal.reports import ReportView
from gigaportal.views import ImportView

app_name = "devices"

urlpatterns = [
    path("", views.DeviceListView.as_view(), name="list"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("<int:pk>/step/", views.device_step, name="step"),
    path("school/<int:pk>/", views.SchoolDevicesView.as_view(), name="school"),
    path("serials.json", views.serial_suggestions, name="serials"),
    path("record/", views.breakage_record, name="record"),
    path("report-fault/", views.fault_report, name="report_fault"),
    path("faults/", views.fault_list, name="faults"),
    path("faults/<int:pk>/confirm/", views.fault_confirm, name="confirm_fault"),
    path("faults/<int:pk>/dismiss/", views.fault_dismiss, name="dismiss_fault"),
    path("import/", ImportView.as_view(kind="devices"), name="import"),
    path("import/events/", ImportView.as_view(kind="device_events"), name="import_events"),
    path("breakage/", ReportView.as_view(report="devices.breakage"), name="breakage"),
    path(
        "breakage/chart/<int:model_pk>.png",
        ReportView.as_view(report="devices.breakage", output="chart"),
        name="breakage_chart",
    ),
    path("rates/", ReportView.as_view(report="devices.rates"), name="rates"),
    path("causes/", ReportView.as_view(report="devices.causes"), name="causes"),
    path("forecast/", ReportView.as_view(report="devices.forecast"), name="forecast"),
]
