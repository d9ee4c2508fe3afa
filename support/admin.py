"""Support in Django admin, through the same services as the pages: a request's date,
staff or school is changed by scheduling it (the school is e-mailed, the change is on
the request's timeline and in the change log); a record is edited by record_update;
e-mails are sent again through the outbox."""

import contextlib

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin, ReadOnlyInline
from support import services
from support.models import (
    CalendarFeedToken,
    Campaign,
    RequestComment,
    RequestEmail,
    RequestEvent,
    Status,
    SupportRecord,
    SupportRequest,
    Topic,
)


def _form_refusal(exc: services.SupportError, form) -> forms.ValidationError:
    field = exc.field if exc.field in form.fields else None
    return forms.ValidationError({field: exc.message} if field else exc.message)


@admin.register(Topic)
class TopicAdmin(ChangeLoggedAdmin):
    list_display = ["name", "code", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    prepopulated_fields = {"code": ("name",)}

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a topic would silently take it off every record and past report
        # (requests and campaigns already protect theirs); a topic no longer used is
        # made inactive instead.
        if obj is not None and obj.supportrecord_set.exists():
            return False
        return super().has_delete_permission(request, obj)


class SupportRecordForm(forms.ModelForm):
    """The page's rules, checked when admin validates: who may edit, and the staff."""

    class Meta:
        model = SupportRecord
        fields = [name for name in services.RECORD_FIELDS if name != "request"]

    def input(self) -> services.RecordInput:
        data = self.cleaned_data
        return services.RecordInput(
            date=data["date"],
            school=data["school"],
            kind=data["kind"],
            staff=list(data["staff"]),
            topics=list(data.get("topics") or []),
            start_time=data.get("start_time"),
            duration_minutes=data.get("duration_minutes"),
            what_was_done=data.get("what_was_done") or "",
            follow_up_needed=bool(data.get("follow_up_needed")),
        )


@admin.register(SupportRecord)
class SupportRecordAdmin(ChangeLoggedAdmin):
    """Records are logged on the portal's page; admin corrects them through
    record_update, under the same rules (the administrator, like the leader, may
    correct any record)."""

    form = SupportRecordForm
    list_display = ["date", "start_time", "school", "kind", "duration_minutes", "follow_up_needed"]
    list_filter = ["kind", "follow_up_needed", "date"]
    search_fields = ["school__name", "school__code", "what_was_done"]
    autocomplete_fields = ["school"]
    filter_horizontal = ["staff", "topics"]
    date_hierarchy = "date"
    readonly_fields = ["request", "created_by", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # support is logged on the portal's page (it closes requests)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class Checked(form_class):
            def clean(self):
                data = super().clean()
                if self.errors or self.instance.pk is None:
                    return data
                stored = SupportRecord.objects.select_related("request").get(pk=self.instance.pk)
                try:
                    services.record_check(by=user, record=stored, data=self.input())
                except services.SupportError as exc:
                    raise _form_refusal(exc, self) from None
                return data

        return Checked

    def save_model(self, request, obj, form, change):
        # record_update saves the record, its staff and topics, and logs the change.
        stored = SupportRecord.objects.get(pk=obj.pk)
        services.record_update(by=request.user, record=stored, data=form.input())
        form._changelog = None

    def save_related(self, request, form, formsets, change):
        pass  # the service saved the staff and topics


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["by", "at", "from_status", "to_status", "note"]
    readonly_fields = fields


class RequestCommentInline(ReadOnlyInline):
    model = RequestComment
    fields = ["created_at", "by", "text"]
    readonly_fields = fields


class SupportRequestForm(forms.ModelForm):
    note = forms.CharField(label=gettext_lazy("note"), required=False, max_length=300)

    class Meta:
        model = SupportRequest
        fields = ["school", "scheduled_date", "scheduled_time", "assigned_staff"]

    def scheduling(self) -> bool:
        """Whether the form sets the visit (date, time or staff changed, or the request
        is already scheduled and is being changed at all)."""
        return bool({"scheduled_date", "scheduled_time", "assigned_staff"} & set(self.changed_data))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.instance.status not in (Status.REQUESTED, Status.SCHEDULED):
            raise forms.ValidationError(_("A closed request cannot be changed."))
        if self.scheduling():
            if not data.get("scheduled_date"):
                raise forms.ValidationError({"scheduled_date": _("Give the date of the visit.")})
            try:
                services.check_staff(list(data.get("assigned_staff") or []))
            except services.SupportError as exc:
                raise forms.ValidationError({"assigned_staff": exc.message}) from None
        return data


@admin.register(SupportRequest)
class SupportRequestAdmin(ChangeLoggedAdmin):
    """A request's date, staff or school is changed by scheduling it, exactly as the
    request's page does; its status changes only on the portal's pages."""

    form = SupportRequestForm
    list_display = ["id", "school", "kind", "status", "scheduled_date", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["school__name", "school__code", "details"]
    readonly_fields = [
        "status",
        "kind",
        "topic",
        "details",
        "requested_by",
        "created_at",
        "closed_at",
    ]
    autocomplete_fields = ["school"]
    filter_horizontal = ["assigned_staff"]
    inlines = [RequestEventInline, RequestCommentInline]

    def has_add_permission(self, request) -> bool:
        return False  # schools (or the leader) ask on the portal's page

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a request is cancelled, never deleted

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status in (Status.REQUESTED, Status.SCHEDULED)

    def save_model(self, request, obj, form, change):
        """Through the page's services: scheduling (the timeline, the school's e-mail and
        the log follow) when the visit changes, a move when only the school does, and
        nothing at all when nothing changed (no second e-mail to the school)."""
        stored = SupportRequest.objects.get(pk=obj.pk)
        data = form.cleaned_data
        moved = data["school"].pk != stored.school_id
        if form.scheduling():
            # The same schedule saved a moment ago by someone else: nothing to do.
            with contextlib.suppress(services.AlreadyScheduled):
                services.request_schedule(
                    by=request.user,
                    request=stored,
                    staff=list(data["assigned_staff"]),
                    date=data["scheduled_date"],
                    time=data.get("scheduled_time"),
                    note=data.get("note") or "",
                    school=data["school"] if moved else None,
                )
        elif moved:
            services.request_move(
                by=request.user, request=stored, school=data["school"], note=data.get("note") or ""
            )
        form._changelog = None

    def save_related(self, request, form, formsets, change):
        # request_schedule saved the staff (no form.save_m2m()). The timeline inline is
        # read-only and saves nothing, but admin's change message reads what each
        # formset saved, so the formsets must still go through save().
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Campaign)
class CampaignAdmin(ChangeLoggedAdmin):
    """A campaign's plan is made on its page; admin corrects its name and details.
    Its visits are requests, moved one by one."""

    list_display = ["name", "start", "end", "kind"]
    fields = ["name", "details", "start", "end", "kind", "topic", "schools", "staff"]
    readonly_fields = ["start", "end", "kind", "topic", "schools", "staff", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.action(description=gettext_lazy("Send the chosen failed e-mails again"))
def send_again(modeladmin, request, queryset):
    count = services.emails_resend(
        by=request.user, email_ids=list(queryset.values_list("id", flat=True))
    )
    modeladmin.message_user(
        request, _("%(count)d e-mail(s) will be sent again.") % {"count": count}
    )


@admin.register(RequestEmail)
class RequestEmailAdmin(ReadOnlyAdmin):
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
    actions = [send_again]


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "revoked_at", "last_used_at"]
