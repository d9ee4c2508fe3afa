"""Pages of the traffic app. Thin: parse the request, call a selector or a service,
render. The report pages (usage, its chart, the cohort flow, the MDM recipients) are
registered reports rendered by gigaportal.reports.ReportView (see traffic/urls.py);
which rows a user sees is decided by the models' scope (gigaportal.scope)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from gigaportal import reports as portal_reports
from gigaportal.calendar import Month
from gigaportal.lists import PortalListView
from gigaportal.params import int_param
from gigaportal.permissions import AnyRoleMixin, role_required
from gigaportal.roles import Role
from traffic import escalation, reports, selectors, services
from traffic.models import STAGE_CHOICES
from traffic.parsing import MB_PER_GB


class CaseListView(PortalListView):
    template_name = "traffic/case_list.html"
    context_object_name = "cases"
    paginate_by = 100
    sort_fields = {
        "line": ("line__number", "-cohort"),
        "school": ("line__school__code", "line__number"),
        "cohort": ("cohort", "line__number"),
        "stage": ("stage", "line__number"),
        "improved": ("closed_month", "line__number"),
    }
    default_sort = "-cohort"
    download_name = "traffic-cases"

    def filters(self) -> dict:
        spec = portal_reports.get("traffic.cases")
        return {name: parse(self.request.GET) for name, parse in spec.filters.items()}

    def get_base_queryset(self):
        return selectors.case_list(user=self.request.user, query=self.search, **self.filters())

    def download_report(self, queryset):
        return reports.case_list_report(queryset)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            schools=selectors.schools_with_lines(user=self.request.user),
            stages=STAGE_CHOICES,
            months=list(reversed(selectors.action_months(user=self.request.user))),
            filters=self.filters(),
            **kwargs,
        )


class CaseDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/case_detail.html"
    context_object_name = "case"

    def get_object(self, queryset=None):
        return selectors.case_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        timeline = selectors.case_timeline(user=self.request.user, case=self.object)
        return super().get_context_data(**timeline, **kwargs)


class LineListView(PortalListView):
    template_name = "traffic/line_list.html"
    context_object_name = "lines"
    paginate_by = 100
    sort_fields = {"number": ("number",), "school": ("school__code", "number")}
    default_sort = "number"
    download_name = "traffic-lines"

    def get_base_queryset(self):
        return selectors.line_list(
            user=self.request.user,
            query=self.search,
            school_id=int_param(self.request.GET, "school"),
        )

    def download_report(self, queryset):
        return reports.line_list_report(queryset)

    def get_context_data(self, **kwargs):
        school_id = int_param(self.request.GET, "school")
        schools = selectors.schools_with_lines(user=self.request.user)
        context = super().get_context_data(
            schools=schools,
            school=next((s for s in schools if s.pk == school_id), None),
            **kwargs,
        )
        open_cases = selectors.open_case_counts(user=self.request.user, lines=context["lines"])
        for line in context["lines"]:
            line.open_cases = open_cases.get(line.pk, 0)
        return context


class LineDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/line_detail.html"
    context_object_name = "line"

    def get_object(self, queryset=None):
        return selectors.line_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user = self.request.user
        usage = [
            (Month.of(day), mb / MB_PER_GB)
            for day, mb in selectors.line_usage(user=user, line=self.object)
        ]
        return super().get_context_data(
            usage=usage, cases=selectors.line_cases(user=user, line=self.object), **kwargs
        )


class InboxView(PortalListView):
    template_name = "traffic/inbox.html"
    context_object_name = "notices"
    paginate_by = 50

    def get_base_queryset(self):
        return selectors.notice_list(
            user=self.request.user,
            unacknowledged=self.request.GET.get("open") == "1",
            school_id=int_param(self.request.GET, "school"),
        )


class NoticeDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/notice_detail.html"
    context_object_name = "notice"

    def get_object(self, queryset=None):
        return selectors.notice_get(user=self.request.user, pk=self.kwargs["pk"])


class NoticePrintView(NoticeDetailView):
    """The parents' letter (step ④) as the school prints it; other notices are read on
    their page and have no letter."""

    template_name = "traffic/notice_print.html"

    def get_object(self, queryset=None):
        notice = super().get_object(queryset)
        if notice.action.kind != escalation.ActionKind.PARENT_LETTER:
            raise Http404
        return notice


@require_POST
@role_required({Role.SCHOOL})
def notice_acknowledge(request, pk: int):
    """Only the school acknowledges its own notices (center staff read them)."""
    notice = selectors.notice_get(user=request.user, pk=pk)
    if services.notice_acknowledge(by=request.user, notice=notice):
        messages.success(request, _("Acknowledged. Thank you."))
    return redirect("traffic:notice_detail", pk=notice.pk)
