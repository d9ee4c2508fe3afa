"""Reports open on a year that has records, so a newcomer does not meet empty tables;
the page says when the year it shows is not the current one."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gigaportal import reports
from gigaportal.reports import PeriodKind
from gigaportal.selectors import current_fiscal_year
from support.models import SupportRecord


@pytest.mark.django_db
def test_a_report_opens_on_the_latest_past_year_when_this_year_has_no_records(
    client, support_staff, school_a
):
    spec = reports.get("support.terms")
    today = timezone.localdate()

    def default_year():
        period = spec.default_period(support_staff, today=today)
        assert period.kind is PeriodKind.FISCAL_YEAR and period.is_default
        return period.fiscal_year

    client.force_login(support_staff)
    url = reverse("support:report_terms")
    assert default_year() == current_fiscal_year()
    SupportRecord.objects.create(
        date=dt.date(2022, 10, 3), school=school_a, kind="visit", created_by=support_staff
    )
    assert default_year() == 2022
    page = client.get(url)
    assert page.context["period"].fiscal_year == 2022
    assert page.context["period_note"]
    assert "令和4年度" in page.context["period_note"]
    assert page.context["period_note"] in page.content.decode()
    # The year asked for is shown, with no note.
    asked = client.get(url + f"?fy={current_fiscal_year()}")
    assert asked.context["period"].fiscal_year == current_fiscal_year()
    assert asked.context["period_note"] == ""
    SupportRecord.objects.create(
        date=dt.date(current_fiscal_year(), 4, 10),
        school=school_a,
        kind="visit",
        created_by=support_staff,
    )
    assert default_year() == current_fiscal_year()
    page = client.get(url)
    assert page.context["period"].fiscal_year == current_fiscal_year()
    # A page that chose the period itself says so, the current one too.
    assert "現在の期間" in page.context["period_note"]
