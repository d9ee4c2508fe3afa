"""Device pages: thin views over devices.selectors (reads) and devices.services (writes)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from devices import reports, selectors, services
from devices.forms import BreakageForm, ConfirmFaultForm, DeviceFilterForm, FaultReportForm
from devices.models import Device
from devices.serials import normalize_serial
from gigaportal import charts
from gigaportal import selectors as portal_selectors
from gigaportal.calendar import Month, fiscal_months, fiscal_year_label, month_label
from gigaportal.importing import CsvImportView
from gigaportal.params import fiscal_year_param, month_param
from gigaportal.permissions import AnyRoleMixin, any_role_required, role_required, staff_required
from gigaportal.reports import download_if_requested
from gigaportal.roles import Role
from gigaportal.services import ImportResult

PAGE_SIZE = 100


class DeviceListView(AnyRoleMixin, ListView):
    template_name = "devices/device_list.html"
    context_object_name = "devices"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        schools = portal_selectors.school_list(user=self.request.user)
        self.filter_form = DeviceFilterForm(self.request.GET or None, schools=schools)
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        return selectors.device_list(
            user=self.request.user,
            school_id=filters["school"].pk if filters.get("school") else None,
            model_id=filters["model"].pk if filters.get("model") else None,
            status=filters.get("status") or None,
        )

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filter_form=self.filter_form, query=query.urlencode(), **kwargs
        )


class SchoolDevicesView(DeviceListView):
    template_name = "devices/school_devices.html"

    def get_queryset(self):
        self.school = selectors.school_for_devices(user=self.request.user, pk=self.kwargs["pk"])
        self.filter_form = DeviceFilterForm(None)
        return selectors.device_list(user=self.request.user, school_id=self.school.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(school=self.school, **kwargs)


@any_role_required
@require_GET
def device_detail(request, pk: int):
    device = selectors.device_get(user=request.user, pk=pk)
    return render(
        request,
        "devices/device_detail.html",
        {"device": device, "events": selectors.device_history(user=request.user, device=device)},
    )


@any_role_required
@require_GET
def serial_suggestions(request):
    """Serials starting with `q` for the forms' datalists (20 at most), in the user's scope."""
    school = request.GET.get("school")
    status = request.GET.get("status")
    rows = selectors.serial_suggestions(
        user=request.user,
        query=normalize_serial(request.GET.get("q", "")),
        school_id=int(school) if school and school.isdigit() else None,
        status=status if status in Device.Status.values else None,
    )
    return JsonResponse({"results": rows})


def _form_error(form, exc: services.DeviceRuleError) -> None:
    field = exc.field if exc.field in form.fields else None
    if exc.field == "spare" and "spare_serial" in form.fields:
        field = "spare_serial"
    form.add_error(field, str(exc.message))


@staff_required
def breakage_record(request):
    """The phone form: a breakage or failure at a school, with the spare handed over."""
    initial = {}
    if request.GET.get("school", "").isdigit():
        initial["school"] = request.GET["school"]
    form = BreakageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.device_breakage_record(
                user=request.user,
                school=data["school"],
                serial=data["serial"],
                kind=data["kind"],
                cause=data["cause"],
                spare_serial=data["spare_serial"],
                note=data["note"],
                date=data["date"],
            )
        except services.DeviceRuleError as exc:
            _form_error(form, exc)
        else:
            if event.spare_id:
                text = _("Recorded: %(serial)s, spare %(spare)s issued to %(school)s.") % {
                    "serial": event.device.serial,
                    "spare": event.spare.serial,
                    "school": data["school"].name,
                }
            else:
                text = _("Recorded: %(serial)s.") % {"serial": event.device.serial}
            messages.success(request, text)
            return redirect(f"{reverse('devices:record')}?school={data['school'].pk}")
    status = 400 if request.method == "POST" else 200
    return render(request, "devices/breakage_form.html", {"form": form}, status=status)


@role_required({Role.SCHOOL})
def fault_report(request):
    form = FaultReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        device = (
            selectors.device_list(user=request.user, status=Device.Status.DEPLOYED)
            .filter(serial=data["serial"])
            .first()
        )
        if device is None:
            form.add_error("serial", _("No device with this serial is deployed at your school."))
        else:
            try:
                services.device_fault_report(
                    user=request.user,
                    device=device,
                    kind=data["kind"],
                    cause=data["cause"],
                    note=data["note"],
                )
            except services.DeviceRuleError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Reported: %(serial)s. The support center will confirm it.")
                    % {"serial": device.serial},
                )
                return redirect("devices:list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "devices/fault_report.html",
        {"form": form, "school": request.user.school},
        status=status,
    )


@staff_required
@require_GET
def fault_list(request):
    return render(
        request,
        "devices/fault_list.html",
        {"faults": selectors.pending_faults(user=request.user), "form": ConfirmFaultForm()},
    )


@staff_required
@require_POST
def fault_confirm(request, pk: int):
    # A report already confirmed or dismissed (by a colleague a moment ago) is a
    # message from the service, not an error page.
    form = ConfirmFaultForm(request.POST)
    if form.is_valid():
        try:
            event = services.device_fault_confirm(
                event_id=pk, user=request.user, spare_serial=form.cleaned_data["spare_serial"]
            )
        except services.DeviceRuleError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Confirmed: %(serial)s.") % {"serial": event.device.serial})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("devices:faults")


@staff_required
@require_POST
def fault_dismiss(request, pk: int):
    if services.device_fault_dismiss(event_id=pk):
        messages.success(request, _("The report was dismissed."))
    return redirect("devices:faults")


class DeviceImportView(CsvImportView):
    title = gettext_lazy("Import devices")
    help_text = gettext_lazy(
        "The devices as deployed: creates devices or updates them by serial. "
        "Nothing is written if any row is wrong."
    )
    columns = services.DEVICE_COLUMNS
    success_url_name = "devices:list"

    def run_import(self, upload, request):
        return services.device_import(file=upload)


class DeviceEventImportView(CsvImportView):
    title = gettext_lazy("Import device events")
    help_text = gettext_lazy(
        "Breakages, failures, spares issued, repairs and retirements, applied in date order. "
        "A file that breaks a rule is refused whole."
    )
    columns = services.EVENT_COLUMNS
    success_url_name = "devices:breakage"

    def run_import(self, upload, request):
        return services.device_event_import(file=upload, recorded_by=request.user)

    def success_message(self, result: ImportResult) -> str:
        return _("Recorded %(count)s events.") % {"count": result.created}


# --- Reports --------------------------------------------------------------------------------


def _fiscal_year(request) -> int:
    if year := fiscal_year_param(request.GET, "year"):
        return year
    latest = selectors.latest_event_month()
    return latest.fiscal_year() if latest else portal_selectors.current_fiscal_year()


def _breakage_context(year: int):
    months = fiscal_months(year)
    figures = selectors.breakage_figures(start=months[0], end=selectors.fiscal_year_end_shown(year))
    report = reports.fiscal_year_report(
        figures, year=year, previous_totals=selectors.fiscal_year_incident_totals(year - 1)
    )
    return figures, report


@staff_required
@require_GET
def breakage_report(request):
    """The committee's table for a fiscal year, its charts and downloads."""
    year = _fiscal_year(request)
    figures, report = _breakage_context(year)
    if response := download_if_requested(request, report, f"device-breakage-{year}"):
        return response
    return render(
        request,
        "devices/breakage_report.html",
        {
            "year": year,
            "report": report,
            "models": figures.models,
            "download_base": f"?year={year}&",
        },
    )


@staff_required
@require_GET
def breakage_chart(request, model_pk: int):
    year = _fiscal_year(request)
    figures, _report = _breakage_context(year)
    model = next((m for m in figures.models if m.pk == model_pk), None)
    if model is None:
        raise Http404
    rows = [r for r in figures.rows if r.model == model.pk]
    labels = [month_label(r.month) for r in rows]
    bars = [r.incidents for r in rows]
    line = [r.spares_remaining for r in rows]
    title = f"{fiscal_year_label(year)} {model.name}"

    def build():
        return charts.bar_line_chart(
            title=title,
            labels=labels,
            bars=bars,
            bar_label=_("Breakages and failures"),
            line=line,
            line_label=_("Spares remaining"),
        )

    return charts.png_response(charts.cached_png(["devices", title, labels, bars, line], build))


def _period(request) -> tuple[int, Month, Month]:
    year = _fiscal_year(request)
    months = fiscal_months(year)
    return year, months[0], selectors.fiscal_year_end_shown(year)


@staff_required
@require_GET
def rates_report(request):
    year, start, end = _period(request)
    report = reports.rates_report(
        selectors.school_model_rates(start=start, end=end), start=start, end=end
    )
    if response := download_if_requested(request, report, f"device-breakage-rates-{year}"):
        return response
    return render(
        request,
        "devices/report_page.html",
        {"report": report, "year": year, "page": "rates", "download_base": f"?year={year}&"},
    )


@staff_required
@require_GET
def causes_report(request):
    year, start, end = _period(request)
    report = reports.causes_report(
        selectors.causes_by_month(start=start, end=end), start=start, end=end
    )
    if response := download_if_requested(request, report, f"device-breakage-causes-{year}"):
        return response
    return render(
        request,
        "devices/report_page.html",
        {"report": report, "year": year, "page": "causes", "download_base": f"?year={year}&"},
    )


@staff_required
@require_GET
def forecast(request):
    as_of = month_param(request.GET, "month")
    if request.GET.get("month") and as_of is None:
        messages.error(request, _("Give the month as YYYY-MM."))
    return render(
        request,
        "devices/forecast.html",
        {
            "forecasts": selectors.forecasts(as_of=as_of),
            "threshold": selectors.forecast_threshold_months(),
        },
    )
