"""Reports open on a year that has records, so a newcomer does not meet empty tables."""

import datetime as dt

import pytest

from gigaportal.selectors import current_fiscal_year
from support import selectors
from support.models import SupportRecord


@pytest.mark.django_db
def test_a_report_opens_on_the_latest_past_year_when_this_year_has_no_records(
    support_staff, school_a
):
    assert selectors.default_fiscal_year(user=support_staff) == current_fiscal_year()
    SupportRecord.objects.create(
        date=dt.date(2022, 10, 3), school=school_a, kind="visit", created_by=support_staff
    )
    assert selectors.default_fiscal_year(user=support_staff) == 2022
    SupportRecord.objects.create(
        date=dt.date(current_fiscal_year(), 4, 10),
        school=school_a,
        kind="visit",
        created_by=support_staff,
    )
    assert selectors.default_fiscal_year(user=support_staff) == current_fiscal_year()
