from django.urls import path

from devices import views

app_name = "devices"

urlpatterns = [
    path("", views.DeviceListView.as_view(), name="list"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("school/<int:pk>/", views.SchoolDevicesView.as_view(), name="school"),
    path("serials.json", views.serial_suggestions, name="serials"),
    path("record/", views.breakage_record, name="record"),
    path("report-fault/", views.fault_report, name="report_fault"),
    path("faults/", views.fault_list, name="faults"),
    path("faults/<int:pk>/confirm/", views.fault_confirm, name="confirm_fault"),
    path("faults/<int:pk>/dismiss/", views.fault_dismiss, name="dismiss_fault"),
    path("import/", views.DeviceImportView.as_view(), name="import"),
    path("import/events/", views.DeviceEventImportView.as_view(), name="import_events"),
    path("breakage/", views.breakage_report, name="breakage"),
    path("breakage/chart/<int:model_pk>.png", views.breakage_chart, name="breakage_chart"),
    path("rates/", views.rates_report, name="rates"),
    path("causes/", views.causes_report, name="causes"),
    path("forecast/", views.forecast, name="forecast"),
]
