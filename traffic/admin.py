from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from traffic.models import (
    Action,
    Case,
    CaseStep,
    Evaluation,
    ImportJob,
    Line,
    MessageText,
    Policy,
    SchoolNotice,
)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Versions in force for an evaluated month keep their figures (Policy.clean)."""

    list_display = ["effective_from", "single_gb", "consecutive_gb", "gb_per_line", "note"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the evaluation service only: admin shows them, never edits them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ["number", "school"]
    list_filter = ["school__kind"]
    search_fields = ["number", "school__name", "school__code"]
    list_select_related = ["school"]
    raw_id_fields = ["school"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseStepInline(ReadOnlyInline):
    model = CaseStep
    fields = ["month", "transition", "stage", "usage_mb"]


class ActionInline(ReadOnlyInline):
    model = Action
    fields = ["stage", "kind", "month", "status", "backend", "attempts", "sent_at", "last_error"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["line", "cohort", "stage", "closed_month"]
    list_filter = ["cohort", "stage"]
    search_fields = ["line__number"]
    inlines = [CaseStepInline, ActionInline]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = [
        "month",
        "policy",
        "opened",
        "escalated",
        "continued",
        "improved",
        "evaluated_at",
    ]


@admin.action(
    description=_("Send again (after checking it was not received)"), permissions=["resend"]
)
def send_again(modeladmin, request, queryset):
    from traffic import services

    services.actions_requeue(action_ids=list(queryset.values_list("id", flat=True)))


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    """The outbox: read-only; the one change a person makes is "send again"."""

    list_display = ["case", "kind", "month", "status", "backend", "attempts", "sent_at"]
    list_filter = ["status", "kind", "month"]
    search_fields = ["case__line__number"]
    actions = [send_again]

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("traffic.change_action")


@admin.register(SchoolNotice)
class SchoolNoticeAdmin(admin.ModelAdmin):
    list_display = ["subject", "school", "created_at", "acknowledged_at", "acknowledged_by"]
    list_filter = ["acknowledged_at"]
    search_fields = ["subject", "school__name"]
    raw_id_fields = ["action", "school", "acknowledged_by"]


@admin.register(MessageText)
class MessageTextAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject", "updated_at"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "status", "rows", "created_by", "created_at", "finished_at"]
    readonly_fields = ["errors", "months"]
