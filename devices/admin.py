from django.contrib import admin

from devices.models import Device, DeviceEvent, DeviceModel, DevicesSettings


@admin.register(DeviceModel)
class DeviceModelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "spares_at_deployment"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["serial", "model", "status", "school", "line_number", "asset_tag"]
    list_filter = ["status", "model"]
    search_fields = ["serial", "line_number", "asset_tag"]
    list_select_related = ["model", "school"]
    # Status and school change only through ledger events (devices.services).
    readonly_fields = ["status", "school", "spare_cycle"]

    def has_add_permission(self, request):
        return False


@admin.register(DeviceEvent)
class DeviceEventAdmin(admin.ModelAdmin):
    """Read-only: the ledger is written by the services, never edited by hand."""

    list_display = [
        "date",
        "device",
        "kind",
        "cause",
        "spare",
        "school",
        "confirmed",
        "recorded_by",
    ]
    list_filter = ["kind", "cause", "confirmed"]
    search_fields = ["device__serial", "spare__serial"]
    list_select_related = ["device", "spare", "school", "recorded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DevicesSettings)
class DevicesSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "forecast_threshold_months"]

    def has_add_permission(self, request):
        return not DevicesSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
