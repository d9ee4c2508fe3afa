"""The security app in Django admin, through the same services as everything else.

- A policy version is saved by security.services.policy_version_save, which refuses
  a frozen version (approved, its date come); admin shows a frozen version read-only
  and offers "new version" instead. Drafts are approved with an action.
- A chart is edited with its boxes inline (each box's links on the box's page); one
  change-log entry holds what changed in the chart, its boxes and links, and a
  reorganisation starts from "new version" (a copy taking effect on another day).
- Acknowledgements, reminders and software requests are written on the portal's
  pages only: shown here, never edited (failed reminders can be sent again).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal.admin import ChangeLoggedAdmin, ReadOnlyAdmin
from gigaportal.forms import WindowDateField
from security import services
from security.models import (
    Acknowledgement,
    AcknowledgementReminder,
    ChartKind,
    OrgChart,
    OrgLink,
    OrgNode,
    PolicyDocument,
    PolicySection,
    PolicyVersion,
    RevisionReason,
    SoftwareRequest,
    VersionStatus,
    WorkingGroupTopic,
)


def _as_form_error(exc: services.SecurityError, form) -> forms.ValidationError:
    field = exc.field if exc.field in form.fields else None
    return forms.ValidationError({field: exc.message} if field else exc.message)


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(ChangeLoggedAdmin):
    list_display = ["title", "kind", "order"]
    list_editable = ["order"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.versions.exists()


# --- Policy versions -----------------------------------------------------------------------------


class _FrozenAware:
    """An inline of a version: shown read-only once the version is frozen."""

    def _editable(self, obj) -> bool:
        return obj is None or not obj.is_frozen()

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class SectionFormSet(forms.BaseInlineFormSet):
    def inputs(self) -> list[services.SectionInput]:
        return [
            services.SectionInput(
                article=data["article"],
                body=data.get("body") or "",
                heading=data.get("heading") or "",
                chapter=data.get("chapter") or "",
            )
            for data in self._kept()
        ]

    def _kept(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        numbers = [data["article"] for data in self._kept()]
        if len(numbers) != len(set(numbers)):
            raise forms.ValidationError(_("Two articles have the same number."))


class ReasonFormSet(forms.BaseInlineFormSet):
    def inputs(self) -> list[services.ReasonInput]:
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        kept.sort(key=lambda data: data.get("order") or 0)
        return [
            services.ReasonInput(
                category=data["category"], title=data["title"], items=data.get("items") or ""
            )
            for data in kept
        ]


class PolicySectionInline(_FrozenAware, admin.StackedInline):
    model = PolicySection
    formset = SectionFormSet
    fields = [("chapter", "article", "heading"), "body"]
    extra = 0


class RevisionReasonInline(_FrozenAware, admin.StackedInline):
    model = RevisionReason
    formset = ReasonFormSet
    fields = [("order", "category"), "title", "items"]
    extra = 0


class PolicyVersionForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["document", "label", "effective_from", "note", "original_file"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.policy_version_check(
                version=self.instance, effective_from=data.get("effective_from")
            )
        except services.SecurityError as exc:
            raise _as_form_error(exc, self) from None
        return data


@admin.action(description=gettext_lazy("Approve the chosen drafts (approved today)"))
def approve(modeladmin, request, queryset):
    approved = 0
    for version in queryset.filter(status=VersionStatus.DRAFT):
        try:
            services.policy_version_approve(by=request.user, version=version)
        except services.SecurityError as exc:
            modeladmin.message_user(request, f"{version}: {exc.message}", messages.ERROR)
        else:
            approved += 1
    if approved:
        modeladmin.message_user(
            request, _("%(count)d version(s) approved.") % {"count": approved}, messages.SUCCESS
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ChangeLoggedAdmin):
    """Saved through policy_version_save (the freeze rule), articles and reasons with
    it; a frozen version is read-only here and "new version" copies it into a draft."""

    form = PolicyVersionForm
    list_display = ["document", "label", "status", "approved_on", "effective_from", "frozen"]
    list_filter = ["document", "status"]
    readonly_fields = ["status", "approved_on", "approved_by", "created_at"]
    inlines = [PolicySectionInline, RevisionReasonInline]
    actions = [approve]
    change_form_template = "security/admin/policyversion_change_form.html"

    @admin.display(boolean=True, description=gettext_lazy("frozen (in force)"))
    def frozen(self, obj) -> bool:
        return obj.is_frozen()

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_frozen():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_approved:
            return False
        return super().has_delete_permission(request, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="security_policyversion_new_version",
            ),
            *super().get_urls(),
        ]

    def new_version_view(self, request, pk: int):
        """POST: a draft copying the version's articles, opened for editing."""
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(PolicyVersion, pk=pk)
        try:
            draft = services.policy_version_new(by=request.user, source=source)
        except services.SecurityError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return redirect("admin:security_policyversion_change", source.pk)
        self.message_user(
            request,
            _("A new draft was made from %(version)s: edit it, then approve it.")
            % {"version": source},
            messages.SUCCESS,
        )
        return redirect("admin:security_policyversion_change", draft.pk)

    def save_model(self, request, obj, form, change):
        # Saved with its articles and reasons in save_related, by the service.
        form._changelog = None

    def save_related(self, request, form, formsets, change):
        sections = reasons = None
        for formset in formsets:
            if isinstance(formset, SectionFormSet):
                sections = formset.inputs()
            elif isinstance(formset, ReasonFormSet):
                reasons = formset.inputs()
        try:
            services.policy_version_save(
                by=request.user, version=form.instance, sections=sections, reasons=reasons
            )
        except services.SecurityError as exc:
            # Only when the version changed state while the form was open (it came
            # into force at midnight): nothing is saved.
            raise PermissionDenied(str(exc.message)) from None

    def construct_change_message(self, request, form, formsets, add=False):
        # The formsets were read, not saved (the service replaced the rows).
        return super().construct_change_message(request, form, [], add)

    def delete_model(self, request, obj):
        services.policy_version_delete(by=request.user, version=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for version in queryset:
                services.policy_version_delete(by=request.user, version=version)


# --- Organisation charts -----------------------------------------------------------------------


class NodeFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        # The boxes' parents as they will be saved: the loop check sees the whole tree.
        parents: dict = {}
        if self.instance.pk:
            parents.update(
                OrgNode.objects.filter(chart=self.instance).values_list("pk", "parent_id")
            )
        for form in self.forms:
            data = form.cleaned_data
            if not data or not form.instance.pk:
                continue
            if data.get("DELETE"):
                parents.pop(form.instance.pk, None)
                continue
            parent = data.get("parent")
            parents[form.instance.pk] = parent.pk if parent else None
        try:
            services.orgchart_check_parents(chart=self.instance, parents=parents)
        except services.SecurityError as exc:
            raise forms.ValidationError(exc.message) from None


class OrgNodeInline(admin.TabularInline):
    model = OrgNode
    formset = NodeFormSet
    fk_name = "chart"
    fields = ["order", "position", "parent", "holders", "duties", "members"]
    extra = 1
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        self._chart = obj
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            chart = getattr(self, "_chart", None)
            kwargs["queryset"] = (
                OrgNode.objects.filter(chart=chart) if chart else OrgNode.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("holders", "duties", "members"):
            field.widget = forms.Textarea(attrs={"rows": 2, "cols": 24})
        return field


class NewChartVersionForm(forms.Form):
    effective_from = WindowDateField(label=gettext_lazy("effective date"))
    title = forms.CharField(label=gettext_lazy("chart title"), max_length=200, required=False)


class _ChartLogged:
    """Admin saves of a chart's rows, recorded as one entry on the chart by the
    service (what changed in the chart, its boxes and links)."""

    def chart_of(self, obj) -> OrgChart | None:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        chart = self.chart_of(obj)
        # The chart as stored: `obj` already holds the form's values.
        stored = OrgChart.objects.filter(pk=chart.pk).first() if chart.pk else None
        form._chart_before = services.orgchart_snapshot(stored) if stored else None
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        form._changelog = None

    def save_related(self, request, form, formsets, change):
        admin.ModelAdmin.save_related(self, request, form, formsets, change)
        services.orgchart_record_edit(
            by=request.user,
            chart=self.chart_of(form.instance),
            before=getattr(form, "_chart_before", None),
        )


@admin.register(OrgChart)
class OrgChartAdmin(_ChartLogged, ChangeLoggedAdmin):
    list_display = ["title", "slug", "kind", "effective_from"]
    list_filter = ["kind", "slug"]
    search_fields = ["title", "slug"]
    inlines = [OrgNodeInline]
    change_form_template = "security/admin/orgchart_change_form.html"

    def chart_of(self, obj) -> OrgChart:
        return obj

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="security_orgchart_new_version",
            ),
            *super().get_urls(),
        ]

    def new_version_view(self, request, pk: int):
        """A copy of the chart taking effect on another day (a reorganisation)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        chart = get_object_or_404(OrgChart, pk=pk)
        form = NewChartVersionForm(request.POST or None, initial={"title": chart.title})
        if request.method == "POST" and form.is_valid():
            try:
                copy = services.orgchart_new_version(
                    by=request.user,
                    chart=chart,
                    effective_from=form.cleaned_data["effective_from"],
                    title=form.cleaned_data["title"],
                )
            except services.SecurityError as exc:
                form.add_error("effective_from", str(exc.message))
            else:
                self.message_user(
                    request,
                    _("A new version of the chart was made: edit it for the new organisation."),
                    messages.SUCCESS,
                )
                return redirect("admin:security_orgchart_change", copy.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "chart": chart,
            "form": form,
            "title": _("New version of %(chart)s") % {"chart": chart.title},
        }
        return TemplateResponse(request, "security/admin/orgchart_new_version.html", context)


class BoxChoiceField(forms.ModelChoiceField):
    """A box named with its chart: positions repeat across charts."""

    def label_from_instance(self, obj):
        return f"{obj.position}（{obj.chart.title} {obj.chart.effective_from:%Y-%m-%d}〜）"


class OrgLinkInline(admin.TabularInline):
    model = OrgLink
    fk_name = "node"
    fields = ["kind", "label", "target", "order"]
    extra = 1

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "target":
            return BoxChoiceField(
                queryset=OrgNode.objects.select_related("chart").order_by(
                    "chart__slug", "-chart__effective_from", "order", "id"
                ),
                required=False,
                label=db_field.verbose_name,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(OrgNode)
class OrgNodeAdmin(_ChartLogged, ChangeLoggedAdmin):
    """A box with its links (reached from its chart's page)."""

    list_display = ["position", "chart", "parent", "order"]
    list_filter = ["chart"]
    search_fields = ["position", "holders", "chart__title"]
    fields = ["chart", "parent", "position", "holders", "duties", "members", "order"]
    readonly_fields = ["chart"]
    inlines = [OrgLinkInline]

    def chart_of(self, obj) -> OrgChart:
        return obj.chart

    def has_add_permission(self, request) -> bool:
        return False  # boxes are added on their chart's page

    def has_module_permission(self, request) -> bool:
        return False  # reached from the chart, not the index

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            node_id = request.resolver_match.kwargs.get("object_id")
            node = OrgNode.objects.filter(pk=node_id).first() if node_id else None
            kwargs["queryset"] = (
                OrgNode.objects.filter(chart_id=node.chart_id).exclude(pk=node.pk)
                if node
                else OrgNode.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class Checked(form_class):
            def clean(self):
                data = super().clean()
                if self.errors or self.instance.pk is None:
                    return data
                parents = dict(
                    OrgNode.objects.filter(chart_id=self.instance.chart_id).values_list(
                        "pk", "parent_id"
                    )
                )
                parent = data.get("parent")
                parents[self.instance.pk] = parent.pk if parent else None
                try:
                    services.orgchart_check_parents(chart=self.instance.chart, parents=parents)
                except services.SecurityError as exc:
                    raise forms.ValidationError({"parent": exc.message}) from None
                return data

        return Checked

    def delete_model(self, request, obj):
        with transaction.atomic():
            chart = obj.chart
            before = services.orgchart_snapshot(chart)
            admin.ModelAdmin.delete_model(self, request, obj)
            services.orgchart_record_edit(by=request.user, chart=chart, before=before)

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        return {}


# --- Topics ------------------------------------------------------------------------------------


class WorkingGroupTopicForm(forms.ModelForm):
    class Meta:
        model = WorkingGroupTopic
        fields = ["group", "theme", "title", "summary", "status", "meeting_date", "order"]


@admin.register(WorkingGroupTopic)
class WorkingGroupTopicAdmin(ChangeLoggedAdmin):
    form = WorkingGroupTopicForm
    list_display = ["title", "group", "status", "meeting_date"]
    list_filter = ["status", "group__position"]
    search_fields = ["title", "summary", "theme"]
    date_hierarchy = "meeting_date"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            kwargs["queryset"] = OrgNode.objects.filter(
                chart__kind=ChartKind.COMMITTEE
            ).select_related("chart")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Written on the portal's pages only --------------------------------------------------------


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["version", "school", "acknowledged_by", "acknowledged_at"]
    list_filter = ["version"]
    search_fields = ["school__name", "school__code"]


@admin.action(description=gettext_lazy("Send the chosen failed reminders again"))
def send_again(modeladmin, request, queryset):
    count = services.reminders_resend(
        by=request.user, reminder_ids=list(queryset.values_list("id", flat=True))
    )
    modeladmin.message_user(
        request, _("%(count)d reminder(s) will be sent again.") % {"count": count}
    )


@admin.register(AcknowledgementReminder)
class AcknowledgementReminderAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "school", "version", "state", "reminded_on", "sent_at", "attempts"]
    list_filter = ["state", "version"]
    actions = [send_again]


@admin.register(SoftwareRequest)
class SoftwareRequestAdmin(ReadOnlyAdmin):
    """Asked by schools and decided by the center on the portal's pages."""

    list_display = ["name", "school", "status", "decided_on", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["status", "cost", "needs_google_sign_in"]
    search_fields = ["name", "school__name", "url"]

    def view_on_site(self, obj):
        return reverse("security:software_detail", args=[obj.pk])
