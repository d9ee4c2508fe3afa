"""Thin views: parse the request, call one selector or service, render. Report pages
(the policy in force, the charts, topics, the register, acknowledgements) are
gigaportal.reports.ReportView in urls.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from gigaportal import reports as portal_reports
from gigaportal.params import choice_param, int_param
from gigaportal.permissions import AnyRoleMixin, any_role_required, role_required, staff_required
from gigaportal.reports.tables import content_disposition
from gigaportal.roles import LEADER_ROLES, Role
from security import drawing, forms, rules, selectors, services
from security.models import RequestStatus
from security.reports import chart_boxes, on_param, on_text_param

SCHOOL = frozenset({Role.SCHOOL})


def _refused(form, exc: services.SecurityError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


# --- The policy ---------------------------------------------------------------------------------


def _version_context(request, version, *, document, day=None, upcoming=None) -> dict:
    user = request.user
    targets = {v.pk for v in selectors.acknowledgement_targets()}
    acknowledgement = selectors.acknowledgement_of(user=user, version=version) if version else None
    return {
        "document": document,
        "version": version,
        "day": day,
        "upcoming": upcoming,
        "sees_drafts": selectors.sees_drafts(user),
        "frozen": version.is_frozen() if version else False,
        "acknowledgement": acknowledgement,
        "may_acknowledge": bool(
            version
            and user.role == Role.SCHOOL
            and version.pk in targets
            and acknowledgement is None
        ),
        "asks_acknowledgement": bool(version and version.pk in targets),
        "previous": selectors.previous_version(version=version) if version else None,
    }


@require_GET
@any_role_required
def document_detail(request, pk: int):
    """The version of a document in force on `?on=` (today by default), with a banner
    for the one to come."""
    document = selectors.document_get(user=request.user, pk=pk)
    on, on_text = on_param(request.GET), on_text_param(request.GET)
    day = on or timezone.localdate()
    version = selectors.version_in_force(document=document, day=day)
    if version is not None:
        version = selectors.version_get(user=request.user, pk=version.pk)
    context = _version_context(
        request,
        version,
        document=document,
        day=day,
        upcoming=selectors.version_upcoming(document=document, day=day),
    )
    context["bad_day"] = on_text if on is None and on_text else ""
    context["on"] = day
    return render(request, "security/version_detail.html", context)


@require_GET
@any_role_required
def version_detail(request, pk: int):
    """One version (a draft only for the center), in force or not."""
    version = selectors.version_get(user=request.user, pk=pk)
    today = timezone.localdate()
    context = _version_context(request, version, document=version.document)
    in_force = selectors.version_in_force(document=version.document, day=today)
    context["in_force_now"] = in_force
    context["on"] = today
    return render(request, "security/version_detail.html", context)


@require_GET
@any_role_required
def document_history(request, pk: int):
    document = selectors.document_get(user=request.user, pk=pk)
    history = selectors.version_history(user=request.user, document=document)
    return render(
        request,
        "security/version_history.html",
        {
            "document": document,
            "history": history,
            "today": timezone.localdate(),
            "sees_drafts": selectors.sees_drafts(request.user),
        },
    )


@require_GET
@staff_required
def document_diff(request, pk: int):
    """Two versions side by side, article by article: added, removed, changed. `?a=`
    and `?b=` name them; by default the version in force and the one before it."""
    document = selectors.document_get(user=request.user, pk=pk)
    history = list(selectors.version_history(user=request.user, document=document))
    by_pk = {v.pk: v for v in history}
    a = by_pk.get(int_param(request.GET, "a") or 0)
    b = by_pk.get(int_param(request.GET, "b") or 0)
    if b is None:
        b = selectors.version_in_force(document=document, day=timezone.localdate()) or (
            history[0] if history else None
        )
        b = by_pk.get(b.pk) if b else None
    if a is None and b is not None:
        previous = selectors.previous_version(version=b)
        a = by_pk.get(previous.pk) if previous else None
    diffs = []
    if a is not None and b is not None:
        diffs = rules.diff_sections(selectors.section_texts(a), selectors.section_texts(b))
    counts = rules.diff_counts(diffs)
    only_changes = request.GET.get("all") != "1"
    return render(
        request,
        "security/version_diff.html",
        {
            "document": document,
            "history": history,
            "a": a,
            "b": b,
            "diffs": [d for d in diffs if d.change != rules.Change.SAME] if only_changes else diffs,
            "counts": counts,
            "only_changes": only_changes,
        },
    )


@require_POST
@role_required(SCHOOL)
def version_acknowledge(request, pk: int):
    """The school's account: "we have read it"."""
    version = selectors.version_get(user=request.user, pk=pk)
    try:
        done = services.acknowledgement_record(by=request.user, version=version)
    except services.SecurityError as exc:
        messages.error(request, str(exc.message))
    else:
        if done is not None:
            messages.success(request, _("Thank you: your school's acknowledgement is recorded."))
    return redirect("security:version_detail", pk=version.pk)


@require_POST
@role_required(LEADER_ROLES)
def version_remind(request, pk: int):
    """The leader e-mails the schools that have not acknowledged yet (once a day)."""
    version = selectors.version_get(user=request.user, pk=pk)
    if not version.is_approved:
        raise Http404
    schools = list(selectors.schools_not_acknowledged(user=request.user, version=version))
    try:
        ids = services.reminders_queue(by=request.user, version=version, schools=schools)
    except services.SecurityError as exc:
        messages.error(request, str(exc.message))
    else:
        if ids:
            messages.success(
                request,
                _("A reminder will be e-mailed to %(count)d school(s).") % {"count": len(ids)},
            )
        else:
            messages.info(
                request,
                _(
                    "No reminder was needed: every school left was reminded today or has no address."
                ),
            )
    return redirect("security:unacknowledged", pk=version.pk)


# --- Charts -------------------------------------------------------------------------------------


@require_GET
@any_role_required
def chart_svg(request, slug: str):
    """The chart in force on `?on=` as a vector image, for the committee pack."""
    report = portal_reports.get("security.orgchart").run(
        user=request.user, slug=slug, on=on_param(request.GET), on_text=on_text_param(request.GET)
    )
    chart = report.extra["chart"]
    title = str(report.title)
    if chart is not None:
        title = f"{title}（{chart.effective_from:%Y-%m-%d}〜）"
    svg = drawing.orgchart_svg(chart_boxes(report), title=title)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    day = report.extra["day"]
    response["Content-Disposition"] = content_disposition(
        f"orgchart-{slug}-{day:%Y-%m-%d}.svg", disposition="inline"
    )
    # Opened on its own, the image may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- Software requests ---------------------------------------------------------------------------


class SoftwareRequestListView(AnyRoleMixin, ListView):
    template_name = "security/software_list.html"
    context_object_name = "software_requests"
    paginate_by = 50

    def status(self) -> str | None:
        return choice_param(self.request.GET, "status", RequestStatus.values)

    def get_queryset(self):
        return selectors.software_requests(user=self.request.user, status=self.status())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=RequestStatus.choices, current_status=self.status() or "", **kwargs
        )


@role_required(SCHOOL)
def software_create(request):
    if request.method == "POST":
        form = forms.SoftwareRequestForm(request.POST)
        if form.is_valid():
            try:
                software = services.software_request_create(
                    by=request.user, school=request.user.school, data=form.to_input()
                )
            except services.AlreadyRequested as exc:
                messages.info(request, exc.message)
                return redirect("security:software_detail", pk=exc.existing.pk)
            except services.SecurityError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Your request was sent to the support center."))
                return redirect("security:software_detail", pk=software.pk)
    else:
        form = forms.SoftwareRequestForm()
    return render(
        request,
        "security/software_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _review_form(software, data=None) -> forms.ReviewForm:
    return forms.ReviewForm(
        data,
        initial={
            "check_sign_on": software.check_sign_on,
            "check_personal_data": software.check_personal_data,
            "check_security_terms": software.check_security_terms,
            "review_notes": software.review_notes,
            "conditions": software.conditions,
        },
    )


@require_GET
@any_role_required
def software_detail(request, pk: int):
    software = selectors.software_request_get(user=request.user, pk=pk)
    may_review = request.user.role in LEADER_ROLES and software.is_open
    return render(
        request,
        "security/software_detail.html",
        {
            "software": software,
            "may_review": may_review,
            "review_form": _review_form(software) if may_review else None,
        },
    )


@require_POST
@role_required(LEADER_ROLES)
def software_review(request, pk: int):
    software = selectors.software_request_get(user=request.user, pk=pk)
    form = _review_form(software, request.POST)
    if form.is_valid():
        try:
            services.software_request_review(
                by=request.user,
                request=software,
                checks=form.checklist(),
                decision=form.decision_value(),
                conditions=form.cleaned_data["conditions"],
                notes=form.cleaned_data["review_notes"],
            )
        except services.SecurityError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("security:software_detail", pk=software.pk)
    return render(
        request,
        "security/software_detail.html",
        {"software": software, "may_review": software.is_open, "review_form": form},
        status=400,
    )
