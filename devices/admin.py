from django.contrib import admin

from devices.models import Device, DeviceEvent, DeviceModel, DevicesSettings
from devices.serials import normalize_serial
from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin


@admin.register(DeviceModel)
class DeviceModelAdmin(ChangeLoggedAdmin):
    list_display = ["name", "kind", "spares_at_deployment"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A model with devices is protected (on_delete=PROTECT): offering the delete page
        # would only list its thousands of devices to say it cannot be deleted.
        if obj is not None and obj.devices.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Device)
class DeviceAdmin(ChangeLoggedAdmin):
    list_display = ["serial", "model", "status", "school", "line_number", "asset_tag"]
    list_filter = ["status", "model"]
    search_fields = ["serial", "line_number", "asset_tag"]
    list_select_related = ["model", "school"]
    # Status and school change only through ledger events (devices.services); a device
    # with events keeps its serial and model too (past months' spare counts are worked
    # out back from today through its events).
    readonly_fields = ["status", "school", "spare_cycle"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and (obj.events.exists() or obj.issued_events.exists()):
            fields += ["serial", "model"]
        return fields

    def save_model(self, request, obj, form, change):
        obj.serial = normalize_serial(obj.serial)
        super().save_model(request, obj, form, change)

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
