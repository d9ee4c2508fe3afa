"""Pages of the traffic app. Thin: parse the request, call a selector or a service,
render. The report pages (usage, its chart, the cohort flow, the MDM recipients) are
registered reports rendered by gigaportal.reports.ReportView (see traffic/urls.py);
which rows a user sees is decided by the models' scope (gigaportal.scope)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, TemplateView

from gigaportal import reports as portal_reports
from gigaportal.calendar import Month
from gigaportal.lists import PortalListView
from gigaportal.params import int_param
from gigaportal.permissions import AnyRoleMixin, RoleRequiredMixin, role_required
from gigaportal.roles import LEADER_ROLES, Role
from traffic import escalation, reports, selectors, services
from traffic.models import STAGE_CHOICES, UsageMonth
from traffic.parsing import MB_PER_GB
from traffic.services import months


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


# --- The months' states (traffic.services.months) -----------------------------------------


class MonthListView(RoleRequiredMixin, TemplateView):
    """Each imported month with its coverage, its usage against the month it is compared
    with, its state, and the leader's confirm and reopen."""

    allowed_roles = LEADER_ROLES
    template_name = "traffic/month_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            months=months.months_overview(),
            threshold=settings.TRAFFIC_AUTO_CONFIRM_COVERAGE,
            **kwargs,
        )


class _MonthStepView(RoleRequiredMixin, View):
    """A confirm or reopen: GET shows the month's figures again (and what a reopen
    takes back) with the POST form; POST does it through the service."""

    allowed_roles = LEADER_ROLES
    template_name = ""

    def state(self) -> UsageMonth:
        try:
            month = Month.parse(self.kwargs["month"])
        except ValueError:
            raise Http404 from None
        state = UsageMonth.objects.filter(month=month.first_day()).first()
        if state is None:
            raise Http404
        return state

    def context(self, state: UsageMonth) -> dict:
        return {"state": state, "threshold": settings.TRAFFIC_AUTO_CONFIRM_COVERAGE}

    def get(self, request, month):
        state = self.state()
        return render(request, self.template_name, self.context(state))

    def post(self, request, month):
        state = self.state()
        try:
            text = self.apply(state)
        except months.MonthRefused as exc:
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(state), status=409)
        messages.success(request, text)
        return redirect("traffic:months")


class MonthConfirmView(_MonthStepView):
    template_name = "traffic/month_confirm.html"

    def context(self, state):
        refused = None
        if state.status != UsageMonth.Status.IMPORTED:
            refused = _("%(month)s is already confirmed.") % {"month": state.month_value}
        return super().context(state) | {"refused": refused}

    def apply(self, state) -> str:
        months.month_confirm(by=self.request.user, month=state.month_value)
        return _("%(month)s is confirmed; it is evaluated in month order.") % {
            "month": state.month_value
        }


class MonthReopenView(_MonthStepView):
    template_name = "traffic/month_reopen.html"

    def context(self, state):
        return super().context(state) | {
            "refused": months.reopen_problem(state),
            "undo": months.undo_preview(state.month),
        }

    def apply(self, state) -> str:
        _state, undone = months.month_reopen(by=self.request.user, month=state.month_value)
        return _(
            "%(month)s is reopened: %(cases)s new cases, %(moved)s case steps and "
            "%(actions)s unsent actions were taken back. Import its complete file, or "
            "confirm it again."
        ) % {
            "month": state.month_value,
            "cases": undone.cases_opened,
            "moved": undone.cases_moved,
            "actions": undone.actions,
        }
