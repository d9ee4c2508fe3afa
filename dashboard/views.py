"""The leader's monthly dashboard and the committee report packs."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dashboard import selectors, services
from dashboard.forms import PackForm
from dashboard.models import ReportPack
from gigaportal import submits
from gigaportal.params import month_param
from gigaportal.permissions import role_required
from gigaportal.reports.tables import content_disposition
from gigaportal.roles import LEADER_ROLES, STAFF_ROLES


@require_GET
@role_required(STAFF_ROLES)
def monthly(request):
    today = timezone.localdate()
    area_months = selectors.months_with_records(user=request.user)
    months = selectors.all_months(area_months)
    # A month outside the date window (year 2999) is None: shown as the default month.
    month = month_param(request.GET, "month")
    note = ""
    if month is None:
        month, found = selectors.default_month(months=months, today=today)
        note = (
            _("Showing %(month)s, the latest month with records.")
            if found
            else _("Showing %(month)s, the current month; there are no records yet.")
        )
    from gigaportal.dates import month_text

    context = {
        "month": month,
        "month_label": month_text(month),
        "period_note": note % {"month": month_text(month)} if note else "",
        "choices": sorted(set(months) | {month}, reverse=True),
        "cards": selectors.monthly(user=request.user, month=month, months=area_months, today=today),
        "packs": ReportPack.objects.all()[:5] if request.user.role in LEADER_ROLES else [],
        "can_pack": request.user.role in LEADER_ROLES,
        "pack_form": PackForm(submitter=request.user)
        if request.user.role in LEADER_ROLES
        else None,
    }
    return render(request, "dashboard/monthly.html", context)


@require_POST
@role_required(LEADER_ROLES)
def pack_create(request):
    month = month_param(request.POST, "month")
    if month is None:
        messages.error(request, _("Choose the month the pack runs to."))
        return redirect("dashboard:monthly")
    form = PackForm(request.POST, submitter=request.user)
    if not form.is_valid():
        # A stale or foreign token: the dashboard again, with a fresh one.
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect(f"{reverse('dashboard:monthly')}?month={month}")
    try:
        pack = submits.submit_once(
            token=form.submit_token,
            user=request.user,
            create=lambda: services.pack_request(
                by=request.user, fiscal_year=month.fiscal_year(), end=month
            ),
            url=lambda pack: reverse("dashboard:pack_detail", args=[pack.pk]),
        )
    except submits.AlreadySubmitted as exc:
        return submits.redirect_to_first(request, exc)
    except services.PackError as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:monthly")
    return redirect("dashboard:pack_detail", pk=pack.pk)


@require_GET
@role_required(LEADER_ROLES)
def pack_list(request):
    return render(
        request, "dashboard/reportpack_list.html", {"packs": ReportPack.objects.all()[:100]}
    )


@require_GET
@role_required(LEADER_ROLES)
def pack_detail(request, pk: int):
    pack = get_object_or_404(ReportPack, pk=pk)
    return render(request, "dashboard/reportpack_detail.html", {"pack": pack})


@require_GET
@role_required(LEADER_ROLES)
def pack_status(request, pk: int):
    pack = get_object_or_404(ReportPack, pk=pk)
    return JsonResponse(
        {
            "status": pack.status,
            "status_label": str(pack.get_status_display()),
            "progress": pack.progress,
            "step": pack.step,
            "finished": pack.is_finished,
            "error": pack.error,
        }
    )


@require_GET
@role_required(LEADER_ROLES)
def pack_download(request, pk: int, fmt: str):
    pack = get_object_or_404(ReportPack, pk=pk, status=ReportPack.Status.DONE)
    stored = pack.pdf if fmt == "pdf" else pack.xlsx if fmt == "xlsx" else None
    if not stored:
        raise Http404
    try:
        opened = stored.open("rb")
    except OSError:
        # The media folder lost the file (a restore without it, a disk replaced).
        messages.error(request, _("This pack's file is missing. Please make the pack again."))
        return redirect("dashboard:pack_detail", pk=pack.pk)
    response = FileResponse(opened)
    response["Content-Disposition"] = content_disposition(
        f"committee-pack-{pack.fiscal_year}-{pack.end_month}.{fmt}"
    )
    response["Content-Type"] = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return response
