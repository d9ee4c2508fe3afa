"""Pages of the traffic app. Thin: parse the request, call a selector or a service,
render. Which rows a user sees is decided in traffic.selectors (gigaportal.scope)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from devices import selectors as device_selectors
from gigaportal import charts
from gigaportal.calendar import Month, month_label
from gigaportal.importing import CsvImportView, CsvUploadForm
from gigaportal.models import School
from gigaportal.params import month_param
from gigaportal.permissions import AnyRoleMixin, role_required
from gigaportal.reports import download_if_requested, download_requested, download_response
from gigaportal.roles import ALL_ROLES, LEADER_ROLES, STAFF_ROLES, Role
from gigaportal.scope import scope_queryset
from traffic import jobs, reports, selectors, services
from traffic.escalation import TABLET_ACTIONS
from traffic.importing import COLUMNS
from traffic.models import ACTION_KIND_CHOICES, STAGE_CHOICES, ImportJob

# Files up to this size are imported while the browser waits; larger ones by a worker.
SYNC_IMPORT_BYTES = 2 * 1024 * 1024


def _span(request, default) -> tuple[Month, Month] | None:
    start, end = month_param(request.GET, "from"), month_param(request.GET, "to")
    if default is None and not (start and end):
        return None
    start = start or default[0]
    end = end or default[1]
    if start > end:
        start, end = end, start
    return start, end


def _usage_report(user, span):
    rows = selectors.usage_by_month(user=user, start=span[0], end=span[1])
    capacity = selectors.gb_per_line_by_month(r.month for r in rows)
    return reports.usage_report(reports.usage_lines(rows, capacity))


@role_required(ALL_ROLES)
def usage(request):
    span = _span(request, selectors.usage_month_span())
    report = _usage_report(request.user, span) if span else None
    if report and (response := download_if_requested(request, report, "traffic-usage")):
        return response
    return render(
        request,
        "traffic/usage.html",
        {"report": report, "span": span, "query": request.GET.urlencode()},
    )


@role_required(ALL_ROLES)
def usage_chart(request):
    span = _span(request, selectors.usage_month_span())
    if span is None:
        raise Http404
    report = _usage_report(request.user, span)
    rows = report.dicts()

    def build():
        return charts.bar_line_chart(
            title=_("Monthly data usage"),
            labels=[month_label(Month.parse(r["month"])) for r in rows],
            bars=[r["total_gb"] for r in rows],
            bar_label=_("usage (GB)"),
            line=[r["usage_rate_pct"] for r in rows],
            line_label=_("usage rate (%)"),
            line_is_percent=True,
        )

    return charts.png_response(charts.cached_png(["traffic-usage", rows, _("usage (GB)")], build))


@role_required(ALL_ROLES)
def flow(request):
    span = _span(request, selectors.evaluated_months_span())
    rows = selectors.flow_counts(user=request.user, start=span[0], end=span[1]) if span else []
    if download_requested(request):
        return download_if_requested(request, reports.flow_report(rows), "traffic-escalation-flow")
    return render(
        request,
        "traffic/flow.html",
        {
            "matrix": reports.flow_matrix_report(rows, _("improved")),
            "span": span,
            "download_base": f"?from={span[0]}&to={span[1]}&" if span else "?",
        },
    )


class CaseListView(AnyRoleMixin, ListView):
    template_name = "traffic/case_list.html"
    context_object_name = "cases"
    paginate_by = 100

    def filters(self):
        get = self.request.GET
        school = get.get("school")
        stage = get.get("stage")
        return {
            "school_id": int(school) if school and school.isdigit() else None,
            "stage": int(stage) if stage in {"1", "2", "3", "4"} else None,
            "month": month_param(get, "month"),
        }

    def get_queryset(self):
        return selectors.case_list(user=self.request.user, **self.filters())

    def get(self, request, *args, **kwargs):
        if fmt := download_requested(request):
            report = reports.case_list_report(self.get_queryset())
            return download_response(report, fmt, "traffic-cases")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        params.pop("page", None)
        params.pop("download", None)
        return super().get_context_data(
            schools=scope_queryset(
                School.objects.filter(traffic_lines__isnull=False).distinct(),
                self.request.user,
                school_field="pk",
            ),
            stages=STAGE_CHOICES,
            months=selectors.action_months(),
            filters=self.filters(),
            query=params.urlencode(),
            **kwargs,
        )


class CaseDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/case_detail.html"
    context_object_name = "case"

    def get_object(self, queryset=None):
        return selectors.case_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(**selectors.case_timeline(self.object), **kwargs)


class LineListView(AnyRoleMixin, ListView):
    template_name = "traffic/line_list.html"
    context_object_name = "lines"
    paginate_by = 100

    def get_queryset(self):
        return selectors.line_list(
            user=self.request.user, query=self.request.GET.get("q", "").strip()
        )


class LineDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/line_detail.html"
    context_object_name = "line"

    def get_object(self, queryset=None):
        return selectors.line_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        usage = [(Month.of(day), mb / 1024) for day, mb in selectors.line_usage(self.object)]
        return super().get_context_data(
            usage=usage, cases=self.object.cases.order_by("-cohort"), **kwargs
        )


class InboxView(AnyRoleMixin, ListView):
    template_name = "traffic/inbox.html"
    context_object_name = "notices"
    paginate_by = 50

    def get_queryset(self):
        return selectors.notice_list(
            user=self.request.user, unacknowledged=self.request.GET.get("open") == "1"
        )


class NoticeDetailView(AnyRoleMixin, DetailView):
    template_name = "traffic/notice_detail.html"
    context_object_name = "notice"

    def get_object(self, queryset=None):
        return selectors.notice_get(user=self.request.user, pk=self.kwargs["pk"])


class NoticePrintView(NoticeDetailView):
    template_name = "traffic/notice_print.html"


@require_POST
@role_required({Role.SCHOOL})
def notice_acknowledge(request, pk: int):
    """Only the school acknowledges its own notices (center staff read them)."""
    notice = selectors.notice_get(user=request.user, pk=pk)
    if services.notice_acknowledge(notice=notice, user=request.user):
        messages.success(request, _("Acknowledged. Thank you."))
    return redirect("traffic:notice_detail", pk=notice.pk)


class UsageImportView(CsvImportView):
    allowed_roles = LEADER_ROLES
    template_name = "traffic/import.html"
    title = gettext_lazy("Import data usage")
    help_text = gettext_lazy(
        "The carrier's monthly CSV: one or several months. Importing a month again replaces it. "
        "Nothing is written if any row is wrong. Usage in MB is converted at 1 GB = 1,024 MB. "
        "Large files are imported in the background."
    )
    columns = COLUMNS
    success_url_name = "traffic:usage"

    def context(self, form, errors=None):
        context = super().context(form, errors)
        context["jobs"] = ImportJob.objects.select_related("created_by")[:10]
        return context

    def run_import(self, upload, request):
        return services.usage_import_file(file=upload)

    def success_message(self, result) -> str:
        return _("Imported %(rows)s rows for %(months)s.") % {
            "rows": result.rows,
            "months": ", ".join(str(m) for m in result.months),
        }

    def post(self, request):
        form = CsvUploadForm(request.POST, request.FILES)
        if form.is_valid() and form.cleaned_data["file"].size > SYNC_IMPORT_BYTES:
            job = jobs.import_job_create(upload=form.cleaned_data["file"], user=request.user)
            return redirect("traffic:import_job", pk=job.pk)
        return super().post(request)


@role_required(LEADER_ROLES)
def import_job(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request, "traffic/import_job.html", {"job": job, "progress": jobs.job_progress(job)}
    )


@role_required(LEADER_ROLES)
def import_job_status(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk)
    return JsonResponse(jobs.job_progress(job))


@role_required(STAFF_ROLES)
def mdm_csv(request):
    """The recipients of one tablet message, for a center that sends from its MDM console."""
    months = selectors.action_months()
    month = month_param(request.GET, "month") or (months[0] if months else None)
    kinds = [(k, label) for k, label in ACTION_KIND_CHOICES if k in TABLET_ACTIONS]
    kind = request.GET.get("kind") if request.GET.get("kind") in dict(kinds) else kinds[0][0]
    actions = selectors.tablet_actions(user=request.user, month=month, kind=kind) if month else []
    actions = list(actions)
    # The MDM console finds a tablet by its serial; the devices inventory knows which
    # device carries each line.
    serials = device_selectors.serials_for_lines(
        user=request.user, line_numbers=[a.case.line.number for a in actions]
    )
    report = reports.mdm_csv_report(actions, serials)
    if response := download_if_requested(request, report, f"mdm-{kind}-{month}"):
        return response
    return render(
        request,
        "traffic/mdm.html",
        {
            "report": report,
            "months": months,
            "month": month,
            "kinds": kinds,
            "kind": kind,
            "download_base": f"?month={month}&kind={kind}&" if month else "?",
        },
    )
