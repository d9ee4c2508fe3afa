from django.contrib import admin

from devices.models import Device, DeviceEvent, DeviceModel, DevicesSettings
from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin


@admin.register(DeviceModel)
class DeviceModelAdmin(ChangeLoggedAdmin):
    list_display = ["name", "kind", "spares_at_deployment"]


@admin.register(Device)
class DeviceAdmin(ChangeLoggedAdmin):
    list_display = ["serial", "model", "status", "school", "line_number", "asset_tag"]
    list_filter = ["status", "model"]
    search_fields = ["serial", "line_number", "asset_tag"]
    list_select_related = ["model", "school"]
    # Status and school change only through ledger events (devices.services).
    readonly_fields = ["status", "school", "spare_cycle"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeviceEvent)
class DeviceEventAdmin(ReadOnlyAdmin):
    """The ledger is written by the services, never edited by hand."""

    list_display = [
        "date",
        "device",
        "kind",
        "cause",
        "spare",
        "school",
        "confirmed",
        "dismissed_at",
        "recorded_by",
    ]
    list_filter = ["kind", "cause", "confirmed"]
    search_fields = ["device__serial", "spare__serial"]
    list_select_related = ["device", "spare", "school", "recorded_by"]


@admin.register(DevicesSettings)
class DevicesSettingsAdmin(ChangeLoggedAdmin):
    list_display = ["__str__", "forecast_threshold_months"]

    def has_add_permission(self, request):
        return not DevicesSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
