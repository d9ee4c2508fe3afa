from django.contrib import admin
from django.utils.translation import gettext as _

from support.models import (
    CalendarFeedToken,
    Campaign,
    RequestEvent,
    RequestNotice,
    SupportLogImport,
    SupportRecord,
    SupportRequest,
    Topic,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    prepopulated_fields = {"code": ("name",)}


@admin.register(SupportRecord)
class SupportRecordAdmin(admin.ModelAdmin):
    list_display = ["date", "start_time", "school", "kind", "duration_minutes", "follow_up_needed"]
    list_filter = ["kind", "follow_up_needed", "date"]
    search_fields = ["school__name", "school__code", "what_was_done"]
    autocomplete_fields = ["school", "request"]
    filter_horizontal = ["staff", "topics"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    readonly_fields = ["actor", "at", "from_status", "to_status", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    # State changes go through the portal's pages so that each one is logged; admin
    # shows the request and its history but does not move it.
    list_display = ["id", "school", "kind", "status", "scheduled_date", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["school__name", "school__code", "details"]
    readonly_fields = ["status", "requested_by", "created_at", "closed_at"]
    autocomplete_fields = ["school"]
    filter_horizontal = ["assigned_staff"]
    inlines = [RequestEventInline]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "kind"]
    filter_horizontal = ["schools", "staff"]
    readonly_fields = ["created_by", "created_at"]


@admin.action(description=_("Send the chosen failed e-mails again"))
def send_again(modeladmin, request, queryset):
    from support import services

    count = services.notice_requeue(notice_ids=list(queryset.values_list("id", flat=True)))
    modeladmin.message_user(
        request, _("%(count)d e-mail(s) will be sent again.") % {"count": count}
    )


@admin.register(RequestNotice)
class RequestNoticeAdmin(admin.ModelAdmin):
    list_display = [
        "recipient",
        "subject",
        "state",
        "created_at",
        "sent_at",
        "attempts",
        "last_error",
    ]
    list_filter = ["state"]
    readonly_fields = [f.name for f in RequestNotice._meta.fields]
    actions = [send_again]


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "revoked_at", "last_used_at"]
    readonly_fields = ["user", "digest", "created_at", "last_used_at"]


@admin.register(SupportLogImport)
class SupportLogImportAdmin(admin.ModelAdmin):
    # Deleting a row here lets the same file be imported again (after its records were
    # removed, for instance).
    list_display = ["file_name", "rows", "created_by", "created_at"]
    readonly_fields = ["sha256", "file_name", "rows", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False
