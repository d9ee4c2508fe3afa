"""One view for every report page: the period picker, the table, the chart drawn from
the same rows, and the CSV/Excel downloads of exactly what the page shows.

    path("", ReportView.as_view(report="traffic.usage"), name="usage"),
    path("usage/chart.png", ReportView.as_view(report="traffic.usage", output="chart"),
         name="usage_chart"),
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from gigaportal.permissions import has_role
from gigaportal.reports.period import PARAMETERS, parse_period
from gigaportal.reports.registry import ReportSpec, get
from gigaportal.reports.tables import download_requested, download_response

# Period parameters of older links (bookmarks, e-mails) and the one name they now have.
LEGACY_PARAMETERS = {"year": "fy", "fiscal_year": "fy"}


class ReportView(View):
    report = ""  # the registered slug
    output = "page"  # or "chart"
    http_method_names = ["get", "head", "options"]

    @property
    def spec(self) -> ReportSpec:
        return get(self.report)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user, self.spec.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        spec = self.spec
        if legacy := self._legacy_redirect(request):
            return legacy
        today = timezone.localdate()
        period = None
        months = spec.available_months(request.user) if spec.period is not None else []
        if spec.period is not None:
            period = parse_period(self._open_range(request.GET, spec, months), spec.period)
            period = period or spec.default_period(request.user, today=today, months=months)
        filters = {name: parse(request.GET) for name, parse in spec.filters.items()}
        chart_kwargs = {}
        for name, value in kwargs.items():
            (chart_kwargs if self.output == "chart" else filters)[name] = value
        if self.output == "chart" and spec.version is not None:
            return self._versioned_chart(request, spec, period, filters, chart_kwargs)
        report = spec.run(user=request.user, period=period, **filters)
        if self.output == "chart":
            return self._chart(spec, report, chart_kwargs)
        if fmt := download_requested(request):
            name = report.extra.get("download_name") or spec.download_name(period)
            return download_response(report, fmt, name)
        return render(
            request, spec.template, self._context(request, spec, report, period, today, months)
        )

    @staticmethod
    def _open_range(params, spec, months):
        """`?from=2022-05` alone means from May to the latest month with records, and
        `?to=` alone from the first (as the range pages always read them)."""
        from gigaportal.reports.period import PeriodKind

        if spec.period is not PeriodKind.RANGE or not months:
            return params
        has_from, has_to = bool(params.get("from")), bool(params.get("to"))
        if has_from == has_to:
            return params
        params = params.copy()
        if has_from:
            params["to"] = str(months[-1])
        else:
            params["from"] = str(months[0])
        return params

    def _legacy_redirect(self, request):
        params = request.GET.copy()
        moved = False
        for old, new in LEGACY_PARAMETERS.items():
            if old in params:
                value = params.pop(old)[-1]
                params.setdefault(new, value)
                moved = True
        if not moved:
            return None
        return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")

    def _chart(self, spec: ReportSpec, report, kwargs):
        from gigaportal import charts

        if spec.chart is None:
            raise Http404
        key = [spec.slug, kwargs, report.columns, report.rows, report.footer, str(report.title)]
        return charts.png_response(charts.cached_png(key, lambda: spec.chart(report, **kwargs)))

    def _versioned_chart(self, request, spec: ReportSpec, period, filters, kwargs):
        """The chart cached under the data's version, the request's period, filters,
        scope and language: a hit reads the version and nothing else."""
        from django.utils import translation

        from gigaportal import charts
        from gigaportal.scope import school_of, sees_all_schools

        if spec.chart is None:
            raise Http404
        key = [
            spec.slug,
            kwargs,
            period.params() if period else {},
            filters,
            "all" if sees_all_schools(request.user) else school_of(request.user),
            translation.get_language(),
            spec.version(),
        ]

        def build():
            return spec.chart(spec.run(user=request.user, period=period, **filters), **kwargs)

        return charts.png_response(charts.cached_png(key, build))

    def _context(self, request, spec, report, period, today, months) -> dict:
        params = request.GET.copy()
        for name in ("download", "page"):
            params.pop(name, None)
        period_params = "&".join(f"{k}={v}" for k, v in (period.params() if period else {}).items())
        other = params.copy()
        for name in PARAMETERS:
            other.pop(name, None)
        query = "&".join(filter(None, [period_params, other.urlencode()]))
        # The picker's form carries the other parameters along, except those its own
        # controls send.
        kept = other.copy()
        for name in spec.filters:
            kept.pop(name, None)
        return {
            "spec": spec,
            "report": report,
            "period": period,
            "period_kind": spec.period.value if spec.period else "",
            "period_choices": spec.choices(
                request.user, selected=period, today=today, months=months
            )
            if period
            else {},
            "period_note": self._period_note(period, today),
            "kept_params": list(kept.items()),
            "query": query,
            "download_base": f"?{query}&" if query else "?",
            "chart_query": query,
            "title": report.title or spec.title,
            "section": self._section(spec),
        }

    @staticmethod
    def _section(spec: ReportSpec) -> str:
        """The area a report belongs to, for the breadcrumbs ("Devices" for devices.*)."""
        from django.apps import apps

        label = spec.slug.split(".", 1)[0]
        try:
            return str(apps.get_app_config(label).verbose_name)
        except LookupError:
            return ""

    @staticmethod
    def _period_note(period, today) -> str:
        """Said whenever the page chose the period: which one, and why."""
        if period is None or not period.is_default:
            return ""
        if period.is_current(today):
            return _("Showing %(period)s, the current period; choose another above.") % {
                "period": period.label
            }
        return _("Showing %(period)s, the latest period with records.") % {"period": period.label}
