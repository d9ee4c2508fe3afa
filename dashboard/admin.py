from django.contrib import admin

from dashboard.models import ReportPack
from gigaportal.admin import ReadOnlyAdmin


@admin.register(ReportPack)
class ReportPackAdmin(ReadOnlyAdmin):
    list_display = ("id", "fiscal_year", "end_month", "status", "requested_by_name", "created_at")
    list_filter = ("status", "fiscal_year")
