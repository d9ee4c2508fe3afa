"""Device pages: thin views over devices.selectors (reads) and devices.services (writes)."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from devices import ledger, reports, selectors, services
from devices.forms import (
    BreakageForm,
    ConfirmFaultForm,
    DeviceFilterForm,
    DeviceStepForm,
    DismissFaultForm,
    FaultReportForm,
)
from devices.models import Device
from devices.serials import normalize_serial
from gigaportal import selectors as portal_selectors
from gigaportal import submits
from gigaportal.lists import PortalListView
from gigaportal.params import choice_param, clean_text, int_param, search_param
from gigaportal.permissions import any_role_required, role_required, staff_required
from gigaportal.roles import Role

PAGE_SIZE = 100


class DeviceListView(PortalListView):
    template_name = "devices/device_list.html"
    context_object_name = "devices"
    paginate_by = PAGE_SIZE
    sort_fields = {
        "serial": ("serial",),
        "model": ("model__name", "serial"),
        "status": ("status", "serial"),
        "school": ("school__code", "serial"),
        "line": ("line_number", "serial"),
        "asset_tag": ("asset_tag", "serial"),
    }
    default_sort = "serial"
    download_name = "devices"

    def get_base_queryset(self):
        schools = portal_selectors.school_list(user=self.request.user)
        self.filter_form = DeviceFilterForm(self.request.GET or None, schools=schools)
        filters = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        return selectors.device_list(
            user=self.request.user,
            school_id=filters["school"].pk if filters.get("school") else None,
            model_id=filters["model"].pk if filters.get("model") else None,
            status=filters.get("status") or None,
            query=self.search,
        )

    def download_report(self, queryset):
        return reports.device_list_report(queryset)

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter_form=self.filter_form, **kwargs)


class SchoolDevicesView(DeviceListView):
    template_name = "devices/school_devices.html"

    def get_base_queryset(self):
        self.school = portal_selectors.school_get(user=self.request.user, pk=self.kwargs["pk"])
        self.filter_form = DeviceFilterForm(None)
        return selectors.device_list(
            user=self.request.user, school_id=self.school.pk, query=self.search
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(school=self.school, **kwargs)


@any_role_required
@require_GET
def device_detail(request, pk: int):
    device = selectors.device_get(user=request.user, pk=pk)
    steps = ledger.next_steps(device.status) if request.user.sees_all_schools else ()
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "events": selectors.device_history(user=request.user, device=device),
            "step_forms": [DeviceStepForm(kind=kind, submitter=request.user) for kind in steps],
        },
    )


@staff_required
@require_POST
def device_step(request, pk: int):
    """The device's next ledger step (back from repair, retire, issue to a school),
    confirmed on its page, through the one ledger service."""
    device = selectors.device_get(user=request.user, pk=pk)
    form = DeviceStepForm(request.POST, kind=request.POST.get("kind"), submitter=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("devices:detail", pk=device.pk)
    data = form.cleaned_data
    try:
        event = submits.submit_once(
            token=form.submit_token,
            user=request.user,
            create=lambda: services.device_step_record(
                by=request.user,
                serial=device.serial,
                kind=data["kind"],
                date=data["date"],
                school=data.get("school"),
                note=data.get("note") or "",
            ),
            url=reverse("devices:detail", args=[device.pk]),
        )
    except submits.AlreadySubmitted as exc:
        return submits.redirect_to_first(request, exc)
    except services.DeviceRuleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Recorded: %(serial)s, %(event)s.")
            % {"serial": device.serial, "event": event.get_kind_display()},
        )
    return redirect("devices:detail", pk=device.pk)


@any_role_required
@require_GET
def serial_suggestions(request):
    """Serials starting with `q` for the forms' datalists (20 at most), in the user's scope."""
    rows = selectors.serial_suggestions(
        user=request.user,
        query=normalize_serial(search_param(request.GET, "q")),
        school_id=int_param(request.GET, "school"),
        status=choice_param(request.GET, "status", Device.Status.values),
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
    if school_id := int_param(request.GET, "school"):
        initial["school"] = school_id
    if serial := normalize_serial(clean_text(request.GET.get("serial", ""), limit=40)):
        initial["serial"] = serial
    form = BreakageForm(request.POST or None, initial=initial, submitter=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = submits.submit_once(
                token=form.submit_token,
                user=request.user,
                create=lambda: services.device_breakage_record(
                    by=request.user,
                    school=data["school"],
                    serial=data["serial"],
                    kind=data["kind"],
                    cause=data["cause"],
                    spare_serial=data["spare_serial"],
                    note=data["note"],
                    date=data["date"],
                ),
                url=f"{reverse('devices:record')}?school={data['school'].pk}",
            )
        except submits.AlreadySubmitted as exc:
            return submits.redirect_to_first(request, exc)
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
    form = FaultReportForm(request.POST or None, submitter=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = submits.submit_once(
                token=form.submit_token,
                user=request.user,
                create=lambda: services.device_fault_report(
                    by=request.user,
                    serial=data["serial"],
                    kind=data["kind"],
                    cause=data["cause"],
                    note=data["note"],
                ),
                url=reverse("devices:list"),
            )
        except submits.AlreadySubmitted as exc:
            return submits.redirect_to_first(request, exc)
        except services.DeviceRuleError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Reported: %(serial)s. The support center will confirm it.")
                % {"serial": event.device.serial},
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
        {
            "faults": selectors.pending_faults(user=request.user),
            "form": ConfirmFaultForm(),
            "dismiss_form": DismissFaultForm(),
        },
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
                by=request.user, event_id=pk, spare_serial=form.cleaned_data["spare_serial"]
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
    form = DismissFaultForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("devices:faults")
    try:
        services.device_fault_dismiss(
            by=request.user, event_id=pk, reason=form.cleaned_data["reason"]
        )
    except services.DeviceRuleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The report was dismissed."))
    return redirect("devices:faults")
