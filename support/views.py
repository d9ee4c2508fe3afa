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
from django.views import View
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from gigaportal import selectors as portal_selectors
from gigaportal import submits
from gigaportal.calendar import WEEKDAYS, Month
from gigaportal.dates import language
from gigaportal.lists import PortalListView
from gigaportal.params import choice_param, date_param, int_param, month_param
from gigaportal.permissions import (
    AnyRoleMixin,
    StaffRequiredMixin,
    role_required,
    staff_required,
)
from gigaportal.ratelimit import rate_limited
from gigaportal.roles import LEADER_ROLES, STAFF_ROLES, Role
from support import feeds, forms, reports, selectors, services
from support.models import Kind, Status
from support.rules import Action

SCHOOL_OR_LEADER = frozenset({Role.SCHOOL, *LEADER_ROLES})


def _refused(form, exc: services.SupportError) -> None:
    """A service's refusal on the form: at its field when the form has it."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


# --- Records -----------------------------------------------------------------------------


class SupportRecordListView(PortalListView):
    template_name = "support/record_list.html"
    context_object_name = "records"
    paginate_by = 50
    sort_fields = {
        "date": ("date", "start_time", "id"),
        "school": ("school__code", "-date"),
        "kind": ("kind", "-date"),
    }
    default_sort = "-date"
    download_name = "support-records"

    def filters(self) -> dict:
        get = self.request.GET
        staff_id = int_param(get, "staff")
        if get.get("mine") == "1":
            staff_id = self.request.user.pk
        start, end = date_param(get, "from"), date_param(get, "to")
        if start and end and start > end:
            start, end = end, start
        return {
            "school_id": int_param(get, "school"),
            "staff_id": staff_id,
            "kind": choice_param(get, "kind", Kind.values),
            "start": start,
            "end": end,
        }

    def get_base_queryset(self):
        return selectors.record_list(user=self.request.user, query=self.search, **self.filters())

    def download_report(self, queryset):
        return reports.record_list_report(queryset)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            kinds=Kind.choices,
            staff=selectors.staff_list(),
            schools=portal_selectors.school_list(user=self.request.user),
            filters=self.filters(),
            **kwargs,
        )


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
    form_kwargs = {"suggested_schools": suggested, "submitter": user}
    if request.method == "POST":
        form = forms.RecordCreateForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                record = submits.submit_once(
                    token=form.submit_token,
                    user=user,
                    create=lambda: services.record_create(
                        by=user, data=form.to_input(), request=answering
                    ),
                    url=lambda record: reverse("support:record_detail", args=[record.pk]),
                )
            except submits.AlreadySubmitted as exc:
                return submits.redirect_to_first(request, exc)
            except services.SupportError as exc:
                _refused(form, exc)
            else:
                messages.success(
                    request, _("Saved: %(record)s") % {"record": _record_label(record)}
                )
                return redirect("support:record_detail", pk=record.pk)
    else:
        form = forms.RecordCreateForm(
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
                services.record_update(by=request.user, record=record, data=form.to_input())
            except services.SupportError as exc:
                _refused(form, exc)
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


class SupportRequestListView(PortalListView):
    template_name = "support/request_list.html"
    context_object_name = "support_requests"
    paginate_by = 50
    sort_fields = {
        "id": ("id",),
        "created": ("created_at", "id"),
        "school": ("school__code", "-created_at"),
        "status": ("status", "-created_at"),
        "scheduled": ("scheduled_date", "scheduled_time", "id"),
    }
    default_sort = "-created"
    download_name = "support-requests"

    def status(self) -> str:
        status = self.request.GET.get("status", "open")
        return status if status in {"open", "all", *Status.values} else "open"

    def get_base_queryset(self):
        status = self.status()
        return selectors.request_list(
            user=self.request.user,
            status=None if status == "all" else status,
            query=self.search,
            school_id=int_param(self.request.GET, "school"),
        )

    def download_report(self, queryset):
        return reports.request_list_report(queryset)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=Status.choices,
            current_status=self.status(),
            schools=portal_selectors.school_list(user=self.request.user),
            **kwargs,
        )


def _request_url(support_request) -> str:
    return reverse("support:request_detail", args=[support_request.pk])


@role_required(SCHOOL_OR_LEADER)
@rate_limited("support_request")
def request_create(request):
    user = request.user
    if request.method == "POST":
        form = forms.RequestForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                support_request = submits.submit_once(
                    token=form.submit_token,
                    user=user,
                    create=lambda: services.request_create(
                        by=user,
                        school=user.school if user.school_id else data["school"],
                        kind=data["kind"],
                        topic=data["topic"],
                        preferred_dates=form.preferred_dates(),
                        details=data["details"],
                    ),
                    url=_request_url,
                )
            except submits.AlreadySubmitted as exc:
                return submits.redirect_to_first(request, exc)
            except services.SupportError as exc:
                _refused(form, exc)
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
        actions = services.request_allowed_actions(request=support_request, user=request.user)
        schedule_form = forms.ScheduleForm(
            submitter=request.user,
            initial={
                "date": support_request.scheduled_date or support_request.preferred_date_1,
                "time": support_request.scheduled_time,
                "staff": [u.pk for u in support_request.assigned_staff.all()],
            },
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
                "comment_form": forms.CommentForm(submitter=request.user),
            },
        )


@require_POST
@role_required(LEADER_ROLES)
def request_schedule(request, pk):
    support_request = selectors.request_get(user=request.user, pk=pk)
    form = forms.ScheduleForm(request.POST, submitter=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("support:request_detail", pk=pk)
    data = form.cleaned_data
    try:
        submits.submit_once(
            token=form.submit_token,
            user=request.user,
            create=lambda: services.request_schedule(
                by=request.user,
                request=support_request,
                staff=list(data["staff"]),
                date=data["date"],
                time=data["time"],
                note=data["note"],
            ),
            url=_request_url,
        )
    except submits.AlreadySubmitted as exc:
        return submits.redirect_to_first(request, exc)
    except services.AlreadyScheduled as exc:
        messages.info(request, str(exc))
    except services.SupportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Scheduled. The school will be told by e-mail."))
    return redirect("support:request_detail", pk=pk)


@role_required(SCHOOL_OR_LEADER)
def request_cancel(request, pk):
    """Cancelling cannot be undone: a page that asks for the reason and a confirmation
    first (GET), then the cancellation (POST)."""
    support_request = selectors.request_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = forms.CancelForm(request.POST)
        if form.is_valid():
            try:
                services.request_cancel(
                    by=request.user, request=support_request, note=form.cleaned_data["note"]
                )
            except services.SupportError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The request was cancelled."))
            return redirect("support:request_detail", pk=pk)
    else:
        form = forms.CancelForm()
    return render(
        request,
        "support/request_cancel.html",
        {"support_request": support_request, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(SCHOOL_OR_LEADER | STAFF_ROLES)
def request_comment(request, pk):
    """A note on the request's timeline, from the school or the center."""
    support_request = selectors.request_get(user=request.user, pk=pk)
    form = forms.CommentForm(request.POST, submitter=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            submits.submit_once(
                token=form.submit_token,
                user=request.user,
                create=lambda: services.request_comment(
                    by=request.user, request=support_request, text=form.cleaned_data["text"]
                ),
                url=_request_url(support_request),
            )
        except submits.AlreadySubmitted as exc:
            return submits.redirect_to_first(request, exc)
        except services.SupportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your comment was added."))
    return redirect("support:request_detail", pk=pk)


# --- Campaigns ----------------------------------------------------------------------------------


class CampaignListView(StaffRequiredMixin, ListView):
    template_name = "support/campaign_list.html"
    context_object_name = "campaigns"
    paginate_by = 50

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user)


@role_required(LEADER_ROLES)
def campaign_create(request):
    if request.method == "POST":
        form = forms.CampaignForm(request.POST, submitter=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = submits.submit_once(
                    token=form.submit_token,
                    user=request.user,
                    create=lambda: services.campaign_create(
                        by=request.user,
                        name=data["name"],
                        start=data["start"],
                        end=data["end"],
                        kind=data["kind"],
                        topic=data["topic"],
                        schools=list(data["schools"]),
                        staff=list(data["staff"]),
                        details=data["details"],
                        visits_per_staff_per_day=data["visits_per_staff_per_day"],
                    ),
                    url=lambda campaign: reverse("support:campaign_detail", args=[campaign.pk]),
                )
            except submits.AlreadySubmitted as exc:
                return submits.redirect_to_first(request, exc)
            except services.SupportError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("The campaign's visits are scheduled."))
                return redirect("support:campaign_detail", pk=campaign.pk)
    else:
        form = forms.CampaignForm(submitter=request.user)
    return render(
        request,
        "support/campaign_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


class CampaignDetailView(StaffRequiredMixin, View):
    def get(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        visits = selectors.campaign_visits(user=request.user, campaign=campaign)
        return render(
            request, "support/campaign_detail.html", {"campaign": campaign, "visits": visits}
        )


# --- Schedule ------------------------------------------------------------------------------------


def weekday_names() -> list[str]:
    """月 … 日 (Mon … Sun in English)."""
    return list(WEEKDAYS["en" if language().startswith("en") else "ja"])


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
        # A phone shows the month as a list of its days with visits (and today).
        agenda = [
            cell
            for week in weeks
            for cell in week
            if cell["in_month"] and (cell["visits"] or cell["day"] == today)
        ]
        return render(
            request,
            "support/calendar.html",
            {
                "month": month,
                "previous": month.previous(),
                "next": month.next(),
                "weeks": weeks,
                "agenda": agenda,
                "staff": staff,
                "staff_id": staff_id,
                "selected": next((u for u in staff if u.pk == staff_id), None),
                "today": today,
                "weekdays": weekday_names(),
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
