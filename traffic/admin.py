from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin, ReadOnlyInline, month_column
from traffic import services
from traffic.models import (
    Action,
    Case,
    CaseStep,
    Evaluation,
    Line,
    MessageText,
    Policy,
    SchoolNotice,
)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["effective_from", "single_gb", "consecutive_gb", "gb_per_line", "note"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The instance takes the form's values only after clean(): check a copy.
        candidate = Policy(
            pk=self.instance.pk, **{name: data.get(name) for name in self.Meta.fields}
        )
        try:
            services.policy_check(policy=candidate)
        except services.PolicyRefused as exc:
            field = exc.field if exc.field in self.fields else None
            raise forms.ValidationError({field: exc.message} if field else exc.message) from None
        return data


@admin.register(Policy)
class PolicyAdmin(ChangeLoggedAdmin):
    """Versions in force for an evaluated month keep their figures: the form asks the
    service (traffic.services.policy_check) and the service saves and logs."""

    form = PolicyForm
    list_display = ["effective_from", "single_gb", "consecutive_gb", "gb_per_line", "note"]

    def save_with_service(self, request, obj, form, change) -> bool:
        services.policy_save(by=request.user, policy=obj)
        return True

    def has_delete_permission(self, request, obj=None) -> bool:
        # A version that decided a month is part of the record.
        return obj is None or not Evaluation.objects.filter(policy=obj).exists()


@admin.register(Line)
class LineAdmin(ChangeLoggedAdmin):
    list_display = ["number", "school"]
    list_filter = ["school__kind"]
    search_fields = ["number", "school__name", "school__code"]
    list_select_related = ["school"]
    raw_id_fields = ["school"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a line would take its usage with it, evaluated months included.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "school" in form.changed_data:
            # Its usage now counts for the other school, in every month (admin's
            # save runs in one transaction with this).
            services.monthly_totals_refresh()


class CaseStepInline(ReadOnlyInline):
    model = CaseStep
    fields = ["month_text", "transition", "stage", "usage_mb"]
    readonly_fields = fields
    month_text = month_column("month")


class ActionInline(ReadOnlyInline):
    model = Action
    fields = [
        "stage",
        "kind",
        "month_text",
        "state",
        "backend",
        "attempts",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields
    month_text = month_column("month")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["line", "cohort_text", "stage", "closed_month_text"]
    cohort_text = month_column("cohort", Case._meta.get_field("cohort").verbose_name)
    closed_month_text = month_column(
        "closed_month", Case._meta.get_field("closed_month").verbose_name
    )
    list_filter = ["cohort", "stage"]
    search_fields = ["line__number"]
    inlines = [CaseStepInline, ActionInline]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    month_text = month_column("month")
    list_display = [
        "month_text",
        "policy",
        "opened",
        "escalated",
        "continued",
        "improved",
        "evaluated_by",
        "evaluated_at",
    ]


@admin.action(
    description=gettext_lazy("Send again (after checking it was not received)"),
    permissions=["resend"],
)
def send_again(modeladmin, request, queryset):
    count = services.actions_resend(
        by=request.user, action_ids=list(queryset.values_list("id", flat=True))
    )
    modeladmin.message_user(
        request, _("%(count)d action(s) will be sent again.") % {"count": count}
    )


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    """The outbox: read-only; the one change a person makes is "send again"."""

    list_display = ["case", "kind", "month_text", "state", "backend", "attempts", "sent_at"]
    month_text = month_column("month")
    list_filter = ["state", "kind", "month"]
    search_fields = ["case__line__number"]
    actions = [send_again]

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("traffic.change_action")


@admin.register(SchoolNotice)
class SchoolNoticeAdmin(ReadOnlyAdmin):
    """A school's inbox: acknowledged by the school on its page, never here."""

    list_display = ["subject", "school", "created_at", "acknowledged_at", "acknowledged_by"]
    list_filter = ["acknowledged_at"]
    search_fields = ["subject", "school__name"]


@admin.register(MessageText)
class MessageTextAdmin(ChangeLoggedAdmin):
    list_display = ["kind", "subject", "updated_at"]
