"""Thin views: parse the request, call one selector or service, render."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from gigaportal import charts
from gigaportal.calendar import Month, fiscal_year_label
from gigaportal.importing import CsvImportView
from gigaportal.params import fiscal_year_param, int_param, month_param
from gigaportal.permissions import (
    AnyRoleMixin,
    StaffRequiredMixin,
    role_required,
    staff_required,
)
from gigaportal.reports import download_if_requested
from gigaportal.roles import LEADER_ROLES, Role
from gigaportal.selectors import current_fiscal_year
from support import feeds, forms, reports, selectors, services
from support.models import Kind, Status
from support.rules import Action, allowed_actions, tally_by_term

SCHOOL_OR_LEADER = frozenset({Role.SCHOOL, *LEADER_ROLES})


def _fiscal_year(request) -> int:
    return fiscal_year_param(request.GET, "fiscal_year") or selectors.default_fiscal_year(
        user=request.user
    )


# --- Records -----------------------------------------------------------------------------


class SupportRecordListView(AnyRoleMixin, ListView):
    template_name = "support/record_list.html"
    context_object_name = "records"
    paginate_by = 50

    def get_queryset(self):
        get = self.request.GET
        kind = get.get("kind") if get.get("kind") in Kind.values else None
        return selectors.record_list(
            user=self.request.user,
            staff_id=int_param(get, "staff"),
            kind=kind,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(kinds=Kind.choices, staff=selectors.staff_list(), **kwargs)


@staff_required
def record_create(request):
    """Logging from a phone: one screen, everything guessable prefilled."""
    user = request.user
    today = timezone.localdate()
    answering = None
    request_id = int_param(request.GET, "request") or int_param(request.POST, "request")
    if request_id:
        answering = selectors.request_open_for_logging(user=user, pk=request_id)
        if answering is None:
            messages.error(request, _("That request is closed or does not exist."))
            return redirect("support:record_create")
    visits = selectors.visits_of_the_day(user=user, day=today)
    suggested = list({v.school_id: v.school for v in visits}.values())
    form_kwargs = {"suggested_schools": suggested}
    if request.method == "POST":
        form = forms.RecordForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                record = services.record_create(actor=user, data=form.to_input(), request=answering)
            except services.SupportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Saved: %(record)s") % {"record": _record_label(record)}
                )
                return redirect("support:record_detail", pk=record.pk)
    else:
        form = forms.RecordForm(
            initial=forms.record_initial(user=user, request=answering), **form_kwargs
        )
    return render(
        request,
        "support/record_form.html",
        {"form": form, "visits": visits, "answering": answering, "editing": None},
        status=400 if request.method == "POST" else 200,
    )


def _record_label(record) -> str:
    return f"{record.date:%m/%d} {record.school.name} {record.get_kind_display()}"


class SupportRecordDetailView(AnyRoleMixin, View):
    def get(self, request, pk):
        record = selectors.record_get(user=request.user, pk=pk)
        may_edit = services.record_may_edit(record=record, user=request.user)
        return render(
            request, "support/record_detail.html", {"record": record, "may_edit": may_edit}
        )


@staff_required
def record_edit(request, pk):
    record = selectors.record_get(user=request.user, pk=pk)
    if not services.record_may_edit(record=record, user=request.user):
        raise PermissionDenied(
            _("You may edit your own records on the day you logged them; ask the leader.")
        )
    if request.method == "POST":
        form = forms.RecordForm(request.POST)
        if form.is_valid():
            try:
                services.record_update(actor=request.user, record=record, data=form.to_input())
            except services.SupportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("support:record_detail", pk=record.pk)
    else:
        form = forms.RecordForm(
            initial={
                "school": record.school_id,
                "kind": record.kind,
                "date": record.date,
                "start_time": record.start_time,
                "duration_minutes": record.duration_minutes,
                "staff": [u.pk for u in record.staff.all()],
                "topics": [t.pk for t in record.topics.all()],
                "what_was_done": record.what_was_done,
                "follow_up_needed": record.follow_up_needed,
            }
        )
    return render(
        request,
        "support/record_form.html",
        {"form": form, "visits": [], "answering": None, "editing": record},
        status=400 if request.method == "POST" else 200,
    )


# --- Requests ---------------------------------------------------------------------------------


class SupportRequestListView(AnyRoleMixin, ListView):
    template_name = "support/request_list.html"
    context_object_name = "support_requests"
    paginate_by = 50

    def status(self) -> str:
        status = self.request.GET.get("status", "open")
        return status if status in {"open", "all", *Status.values} else "open"

    def get_queryset(self):
        status = self.status()
        return selectors.request_list(
            user=self.request.user, status=None if status == "all" else status
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=Status.choices, current_status=self.status(), **kwargs
        )


@role_required(SCHOOL_OR_LEADER)
def request_create(request):
    user = request.user
    if request.method == "POST":
        form = forms.RequestForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                support_request = services.request_create(
                    actor=user,
                    school=user.school if user.school_id else data["school"],
                    kind=data["kind"],
                    topic=data["topic"],
                    preferred_dates=form.preferred_dates(),
                    details=data["details"],
                )
            except services.SupportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your request was sent to the support center."))
                return redirect("support:request_detail", pk=support_request.pk)
    else:
        form = forms.RequestForm(user=user)
    return render(
        request,
        "support/request_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


class SupportRequestDetailView(AnyRoleMixin, View):
    def get(self, request, pk):
        support_request = selectors.request_get(user=request.user, pk=pk)
        actions = allowed_actions(
            request=services._request_facts(support_request),
            actor=services.actor_of(request.user),
        )
        schedule_form = forms.ScheduleForm(
            initial={
                "date": support_request.scheduled_date or support_request.preferred_date_1,
                "time": support_request.scheduled_time,
                "staff": [u.pk for u in support_request.assigned_staff.all()],
            }
        )
        return render(
            request,
            "support/request_detail.html",
            {
                "support_request": support_request,
                "may_schedule": Action.SCHEDULE in actions,
                "may_complete": Action.COMPLETE in actions,
                "may_cancel": Action.CANCEL in actions,
                "schedule_form": schedule_form,
                "cancel_form": forms.CancelForm(),
            },
        )


@require_POST
@role_required(LEADER_ROLES)
def request_schedule(request, pk):
    support_request = selectors.request_get(user=request.user, pk=pk)
    form = forms.ScheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("support:request_detail", pk=pk)
    data = form.cleaned_data
    try:
        services.request_schedule(
            actor=request.user,
            request=support_request,
            staff=list(data["staff"]),
            date=data["date"],
            time=data["time"],
            note=data["note"],
        )
    except services.SupportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Scheduled. The school will be told by e-mail."))
    return redirect("support:request_detail", pk=pk)


@require_POST
@role_required(SCHOOL_OR_LEADER)
def request_cancel(request, pk):
    support_request = selectors.request_get(user=request.user, pk=pk)
    form = forms.CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.request_cancel(actor=request.user, request=support_request, note=note)
    except services.SupportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The request was cancelled."))
    return redirect("support:request_detail", pk=pk)


# --- Campaigns ----------------------------------------------------------------------------------


class CampaignListView(StaffRequiredMixin, ListView):
    template_name = "support/campaign_list.html"
    context_object_name = "campaigns"
    paginate_by = 50

    def get_queryset(self):
        return selectors.campaign_list()


@role_required(LEADER_ROLES)
def campaign_create(request):
    if request.method == "POST":
        form = forms.CampaignForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    name=data["name"],
                    start=data["start"],
                    end=data["end"],
                    kind=data["kind"],
                    topic=data["topic"],
                    schools=list(data["schools"]),
                    staff=list(data["staff"]),
                    details=data["details"],
                    visits_per_staff_per_day=data["visits_per_staff_per_day"],
                )
            except services.SupportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The campaign's visits are scheduled."))
                return redirect("support:campaign_detail", pk=campaign.pk)
    else:
        form = forms.CampaignForm()
    return render(
        request,
        "support/campaign_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


class CampaignDetailView(StaffRequiredMixin, View):
    def get(self, request, pk):
        campaign = selectors.campaign_get(pk=pk)
        visits = (
            selectors.request_list(user=request.user)
            .filter(campaign=campaign)
            .order_by("scheduled_date", "school__code")
        )
        return render(
            request, "support/campaign_detail.html", {"campaign": campaign, "visits": visits}
        )


# --- Schedule ------------------------------------------------------------------------------------


class CalendarView(StaffRequiredMixin, View):
    """A month of scheduled visits; support staff see their own by default."""

    def get(self, request):
        today = timezone.localdate()
        month = month_param(request.GET, "month") or Month.of(today)
        staff_param = request.GET.get("staff")
        if staff_param == "all":
            staff_id = None
        else:
            staff_id = int_param(request.GET, "staff") or (
                request.user.pk if request.user.role == Role.SUPPORT else None
            )
        visits = selectors.schedule(
            user=request.user, start=month.first_day(), end=month.last_day(), staff_id=staff_id
        )
        by_day = defaultdict(list)
        for visit in visits:
            by_day[visit.scheduled_date].append(visit)
        weeks = [
            [
                {"day": day, "in_month": day.month == month.month, "visits": by_day.get(day, [])}
                for day in week
            ]
            for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(
                month.year, month.month
            )
        ]
        staff = list(selectors.staff_list())
        return render(
            request,
            "support/calendar.html",
            {
                "month": month,
                "previous": month.previous(),
                "next": month.next(),
                "weeks": weeks,
                "staff": staff,
                "staff_id": staff_id,
                "selected": next((u for u in staff if u.pk == staff_id), None),
                "today": today,
                "weekdays": ["月", "火", "水", "木", "金", "土", "日"],
            },
        )


FEED_URL_SESSION_KEY = "support_new_feed_url"


class FeedSettingsView(StaffRequiredMixin, View):
    """Where a staff member makes (or revokes) the private address of their calendar."""

    def get(self, request):
        # The new address is shown once, on the page after the POST; only its digest
        # is kept, and a reload shows the page without it (and revokes nothing).
        feed_url = request.session.pop(FEED_URL_SESSION_KEY, None)
        tokens = request.user.calendar_feed_tokens.all()[:10]
        active = next((t for t in tokens if t.revoked_at is None), None)
        return render(
            request,
            "support/feed_settings.html",
            {"active": active, "tokens": tokens, "feed_url": feed_url},
        )

    def post(self, request):
        if request.POST.get("action") == "revoke":
            services.feed_token_revoke(user=request.user)
            request.session.pop(FEED_URL_SESSION_KEY, None)
            messages.success(request, _("The calendar address was revoked."))
            return redirect("support:feed_settings")
        token = services.feed_token_create(user=request.user)
        request.session[FEED_URL_SESSION_KEY] = request.build_absolute_uri(
            reverse("support:feed", kwargs={"token": token})
        )
        return redirect("support:feed_settings")


@require_GET
def feed(request, token):
    """The iCalendar feed a phone subscribes to: no login, the secret is the address."""
    user = services.feed_token_user(token=token)
    if user is None:
        raise Http404
    since = timezone.localdate() - dt.timedelta(days=60)
    body = feeds.visits_ical(
        visits=selectors.feed_visits(staff=user, since=since),
        calendar_name=_("Support visits: %(name)s") % {"name": user.display_name},
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Reports ------------------------------------------------------------------------------------------


def _term_tally(request, year):
    terms, day_counts = selectors.term_day_counts(user=request.user, fiscal_year=year)
    return tally_by_term(day_counts, terms)


class TermReportView(StaffRequiredMixin, View):
    def get(self, request):
        year = _fiscal_year(request)
        tally = _term_tally(request, year)
        report = reports.terms_table(tally, fiscal_year=year)
        if response := download_if_requested(request, report, f"support-terms-{year}"):
            return response
        return render(
            request,
            "support/report_terms.html",
            {
                "report": report,
                "year": year,
                "years": _year_choices(request, year),
                "outside_terms": tally.outside_terms,
                "download_base": f"?fiscal_year={year}&",
            },
        )


def _year_choices(request, year):
    years = set(selectors.fiscal_years_with_records(user=request.user)) | {
        year,
        current_fiscal_year(),
    }
    return sorted(years, reverse=True)


class TermChartView(StaffRequiredMixin, View):
    def get(self, request):
        year = _fiscal_year(request)
        groups, series = reports.terms_chart_series(_term_tally(request, year))
        title = _("Support by term, %(year)s") % {"year": fiscal_year_label(year)}
        data = charts.cached_png(
            ["support-terms", title, groups, series],
            lambda: charts.grouped_bar_chart(
                title=title, groups=groups, series=series, ylabel=_("count")
            ),
        )
        return charts.png_response(data)


class CountsReportView(StaffRequiredMixin, View):
    by = "school"
    titles = {
        "school": gettext_lazy("Support by school"),
        "staff": gettext_lazy("Support by staff member"),
        "topic": gettext_lazy("Support by topic"),
    }

    def get(self, request):
        year = _fiscal_year(request)
        if self.by == "school":
            report = reports.by_school(
                selectors.counts_by_school(user=request.user, fiscal_year=year), fiscal_year=year
            )
        elif self.by == "staff":
            report = reports.by_staff(
                selectors.counts_by_staff(user=request.user, fiscal_year=year), fiscal_year=year
            )
        else:
            report = reports.by_topic(
                selectors.counts_by_topic(user=request.user, fiscal_year=year), fiscal_year=year
            )
        if response := download_if_requested(request, report, f"support-by-{self.by}-{year}"):
            return response
        return render(
            request,
            "support/report_counts.html",
            {
                "report": report,
                "year": year,
                "years": _year_choices(request, year),
                "by": self.by,
                "title": self.titles[self.by],
                "download_base": f"?fiscal_year={year}&",
            },
        )


class SchoolHistoryView(AnyRoleMixin, View):
    def get(self, request, school_pk):
        school = selectors.school_get(user=request.user, pk=school_pk)
        records = selectors.school_history(user=request.user, school=school)
        report = reports.school_history(records, school_name=school.name)
        if response := download_if_requested(request, report, f"support-history-{school.code}"):
            return response
        return render(request, "support/school_history.html", {"school": school, "report": report})


class OpenRequestsReportView(StaffRequiredMixin, View):
    def get(self, request):
        report = reports.open_requests(
            selectors.open_requests(user=request.user), today=timezone.localdate()
        )
        if response := download_if_requested(request, report, "support-open-requests"):
            return response
        return render(request, "support/report_open_requests.html", {"report": report})


class SupportLogImportView(CsvImportView):
    title = gettext_lazy("Import the support log")
    help_text = gettext_lazy(
        "One row per piece of support. Staff by username or full name (several separated "
        "by 、). Nothing is written if any row is wrong."
    )
    columns = services.IMPORT_COLUMNS
    success_url_name = "support:record_list"

    def run_import(self, upload, request):
        return services.record_import(file=upload, actor=request.user)
