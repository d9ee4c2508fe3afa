"""One date window for every date that comes in (issue 13, finding 9): 0001-01-01 and
9999-12-31 were accepted for events and records, and the year pickers then offered
years 0 and 9999."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation

from devices.forms import BreakageForm, DeviceStepForm
from gigaportal import reports
from gigaportal.admin import ChangeLoggedAdmin
from gigaportal.calendar import Month
from gigaportal.dates import date_window, months_in_window
from gigaportal.env import Env
from gigaportal.models import User
from gigaportal.params import date_param, fiscal_year_param, month_param
from gigaportal.roles import Role
from security.admin import NewChartVersionForm
from support.forms import CampaignForm, RecordForm, RequestForm, ScheduleForm
from support.models import SupportRecord
from surveys.forms import SurveyForm, SurveyImportForm
from tests.factories import make_user
from tests.support.factories import make_record

OUTSIDE = ("0001-01-01", "9999-12-31")


def test_the_window_runs_from_2000_to_the_end_of_next_year_by_default():
    window = date_window(today=dt.date(2022, 9, 15))
    assert (window.start, window.end) == (dt.date(2000, 1, 1), dt.date(2023, 12, 31))
    assert dt.date(1999, 12, 31) not in window and dt.date(2024, 1, 1) not in window
    assert window.fiscal_years == range(2000, 2024)
    assert (window.first_month, window.last_month) == (Month(2000, 1), Month(2023, 12))


def test_the_window_follows_its_two_settings(settings):
    settings.DATE_WINDOW_START = dt.date(2015, 4, 1)
    settings.DATE_WINDOW_YEARS_AHEAD = 0
    window = date_window(today=dt.date(2022, 9, 15))
    assert (window.start, window.end) == (dt.date(2015, 4, 1), dt.date(2022, 12, 31))
    assert window.fiscal_years == range(2015, 2023)


@pytest.mark.parametrize("raw", ["2000/01/01", "2000-1-1", "20000101", "2000-02-30", "soon"])
def test_the_window_start_setting_is_a_strict_iso_date(raw):
    assert Env({"D": "2001-04-01"}).date("D", dt.date(2000, 1, 1)) == dt.date(2001, 4, 1)
    assert Env({}).date("D", dt.date(2000, 1, 1)) == dt.date(2000, 1, 1)
    with pytest.raises(ImproperlyConfigured, match="D=.* is not a date"):
        Env({"D": raw}).date("D", dt.date(2000, 1, 1))


# --- Every form with a date ------------------------------------------------------------


def _request_form(data):
    return RequestForm(data, user=User(role=Role.LEADER))


def _sent_once(form_class, **kwargs):
    """A form that creates something is shown with its one-time token (gigaportal.submits)
    for the person it is shown to."""
    return lambda data: form_class(data, submitter=make_user(role=Role.LEADER), **kwargs)


PAGE_FORMS = [
    pytest.param(RecordForm, ["date"], id="support-record"),
    pytest.param(
        _request_form,
        ["preferred_date_1", "preferred_date_2", "preferred_date_3"],
        id="support-request",
    ),
    pytest.param(_sent_once(ScheduleForm), ["date"], id="support-schedule"),
    pytest.param(_sent_once(CampaignForm), ["start", "end"], id="support-campaign"),
    pytest.param(_sent_once(BreakageForm), ["date"], id="devices-breakage"),
    pytest.param(_sent_once(DeviceStepForm, kind="repair"), ["date"], id="devices-step"),
    pytest.param(SurveyForm, ["opens_on", "closes_on"], id="surveys-survey"),
    pytest.param(NewChartVersionForm, ["effective_from"], id="security-chart-version"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("value", OUTSIDE)
@pytest.mark.parametrize(("make_form", "fields"), PAGE_FORMS)
def test_every_page_form_refuses_a_date_outside_the_window(make_form, fields, value):
    with translation.override("ja"):
        form = make_form(dict.fromkeys(fields, value))
        assert not form.is_valid()
        for name in fields:
            assert "受け付ける日付の範囲外です" in " ".join(form.errors[name]), name
            assert "2000-01-01 から" in " ".join(form.errors[name])


@pytest.mark.django_db
@pytest.mark.parametrize(("make_form", "fields"), PAGE_FORMS)
def test_a_date_inside_the_window_is_no_error_of_its_field(make_form, fields):
    form = make_form(dict.fromkeys(fields, "2022-04-15"))
    form.is_valid()
    assert not set(fields) & set(form.errors)


@pytest.mark.django_db
@pytest.mark.parametrize(("make_form", "fields"), PAGE_FORMS)
def test_the_date_picker_is_given_the_window(make_form, fields):
    form = make_form(None)
    window = date_window()
    for name in fields:
        attrs = form.fields[name].widget.attrs
        assert attrs["min"] == window.start.isoformat()
        # The device forms stop the picker at today: a later date is refused anyway.
        assert attrs["max"] in (window.end.isoformat(), timezone.localdate().isoformat())


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["1999", "9999", "99999"])
def test_the_survey_import_form_refuses_a_fiscal_year_outside_the_window(year):
    form = SurveyImportForm({"survey": "__new__", "fiscal_year": year})
    form.is_valid()
    assert "fiscal_year" in form.errors


def test_every_date_field_of_django_admin_refuses_a_date_outside_the_window(admin):
    """Admin edits the models directly: each of its date fields, whatever the model,
    gets the window's validator (ChangeLoggedAdmin.formfield_for_dbfield)."""
    from django.contrib.admin import site

    request = RequestFactory().get("/admin/")
    request.user = admin
    request.resolver_match = resolve(reverse("admin:index"))
    seen, failures = [], []
    for model, model_admin in site._registry.items():
        if not isinstance(model_admin, ChangeLoggedAdmin):
            continue
        form_class = model_admin.get_form(request)
        for name, field in form_class.base_fields.items():
            if not isinstance(field, forms.DateField) or isinstance(field, forms.DateTimeField):
                continue
            seen.append(f"{model._meta.label}.{name}")
            for value in OUTSIDE:
                form = form_class({name: value})
                form.is_valid()
                if not any("outside" in e or "範囲外" in e for e in form.errors.get(name, [])):
                    failures.append(f"{model._meta.label}.{name}={value}")
    # The walk found the admin date fields it is about (policy dates, terms, topics, …).
    assert len(seen) >= 5, seen
    assert not failures, failures


# --- Query parameters ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2099-04-01", "1999-12-31"])
def test_a_date_parameter_outside_the_window_is_nothing(value):
    assert date_param({"on": value}, "on") is None
    assert date_param({"on": "2022-04-01"}, "on") == dt.date(2022, 4, 1)


@pytest.mark.parametrize("value", ["0001-01", "9999-12", "2099-04", "1999-12"])
def test_a_month_parameter_outside_the_window_is_nothing(value):
    assert month_param({"month": value}, "month") is None


@pytest.mark.parametrize("value", ["1999", "2099", "9999", "99999", "0"])
def test_a_fiscal_year_parameter_outside_the_window_is_nothing(value):
    assert fiscal_year_param({"fy": value}, "fy") is None
    assert fiscal_year_param({"fy": "2022"}, "fy") == 2022


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01", "9999-12", "2099-01"])
def test_a_report_page_given_a_month_outside_the_window_shows_its_default(client, leader, value):
    client.force_login(leader)
    response = client.get(reverse("dashboard:monthly"), {"month": value})
    assert response.status_code == 200
    assert response.context["month"] == Month.of(timezone.localdate())


# --- The year pickers ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_year_picker_offers_only_years_inside_the_window_that_have_records(
    client, leader, support_staff, school_a
):
    """Rows dated 0001 and 9999 stored before the window existed (or by a raw write)
    are not offered as years, and the page still opens."""
    for day in (dt.date(1, 1, 1), dt.date(2021, 6, 1), dt.date(9999, 12, 31)):
        make_record(school=school_a, staff=support_staff, date=day)
    assert SupportRecord.objects.count() == 3
    today = timezone.localdate()
    spec = reports.get("support.terms")
    years = spec.choices(leader, selected=None, today=today)["years"]
    assert years == sorted({2021, Month.of(today).fiscal_year()}, reverse=True)

    client.force_login(leader)
    response = client.get(reverse("support:report_terms"))
    assert response.status_code == 200
    assert response.context["period"].fiscal_year == 2021
    page = response.content.decode()
    assert 'value="9999"' not in page and 'value="1"' not in page and 'value="0"' not in page


def test_months_in_window_leaves_out_the_days_outside_it():
    days = [dt.date(1, 1, 1), dt.date(2022, 4, 1), dt.date(2022, 4, 20), dt.date(9999, 12, 1)]
    assert months_in_window(days) == [Month(2022, 4)]


# --- A form page in the browser's language ------------------------------------------------


@pytest.mark.django_db
def test_a_visit_logged_on_9999_12_31_is_refused_in_japanese_and_not_stored(
    client, support_staff, school_a
):
    client.force_login(support_staff)
    response = client.post(
        reverse("support:record_create"),
        {
            "school": school_a.pk,
            "kind": "visit",
            "date": "9999-12-31",
            "staff": [support_staff.pk],
            "duration_minutes": 60,
        },
        headers={"accept-language": "ja"},
    )
    assert response.status_code in (200, 400)
    assert "9999-12-31 は受け付ける日付の範囲外です" in response.content.decode()
    assert not SupportRecord.objects.exists()


# --- Commands take the same window ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["support_report", "terms", "--fiscal-year", "9999"],
        ["support_report", "terms", "--fiscal-year", "1999"],
        ["survey_report", "rates", "--fiscal-year", "99999"],
        ["security_report", "topics", "--fiscal-year", "0"],
        ["security_report", "policy", "--on", "9999-12-31"],
        ["security_report", "policy", "--on", "0001-01-01"],
        ["devices_report", "breakage", "--from", "0001-01", "--to", "2022-12"],
        ["traffic_report", "usage", "--from", "2022-01", "--to", "9999-12"],
        ["report_pack", "--fiscal-year", "9999"],
    ],
    ids=lambda args: " ".join(args),
)
def test_a_command_refuses_a_date_month_or_fiscal_year_outside_the_window(args):
    with pytest.raises(CommandError, match="accepted are"):
        call_command(*args)
