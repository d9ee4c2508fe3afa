"""Report functions over records: the numbers, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from devices import ledger, reports, selectors, services
from devices.models import DevicesSettings
from gigaportal.calendar import Month
from gigaportal.scope import COMMAND_LINE
from tests.devices.factories import make_device, make_device_model, make_spares
from tests.factories import make_school

pytestmark = pytest.mark.django_db
# The committee's figures are the center's: every school's rows (as staff see them).
STAFF = COMMAND_LINE


def breakages(school, count, month: Month, *, model=None, spares=True, cause=""):
    model = model or make_device_model()
    pool = make_spares(count, model=model) if spares else [None] * count
    events = []
    for i, spare in enumerate(pool):
        device = make_device(school=school, model=model)
        events.append(
            ledger.Event(
                month.first_day() + dt.timedelta(days=i % 27),
                device.serial,
                ledger.Kind.BREAKAGE,
                spare_serial=spare.serial if spare else None,
                cause=cause,
            )
        )
    services.device_events_record(events=events)


def test_the_fiscal_year_table_has_totals_and_the_previous_years_total(school_a):
    model = make_device_model()
    make_spares(10, model=model)
    breakages(school_a, 3, Month(2021, 10), model=model)
    breakages(school_a, 2, Month(2022, 4), model=model)
    breakages(school_a, 1, Month(2022, 6), model=model)
    figures = selectors.breakage_figures(user=STAFF, start=Month(2022, 4), end=Month(2022, 6))
    report = reports.fiscal_year_report(
        figures,
        year=2022,
        previous_totals=selectors.fiscal_year_incident_totals(user=STAFF, year=2021),
    )
    # 10 spares kept plus one per breakage, each issued: 10 left now, 11 before June.
    assert [row[1:] for row in report.rows] == [(2, 11), (0, 11), (1, 10)]
    assert report.footer[0][1] == 3
    assert report.footer[1][1] == 3
    assert "令和3年度" in str(report.footer[1][0])


def test_the_rate_report_puts_the_unusual_school_first(school_a, school_b):
    model = make_device_model()
    for _ in range(8):
        make_device(school=school_a, model=model)
    breakages(school_a, 2, Month(2022, 5), model=model)  # 2 of 10 deployed (spares in place)
    breakages(school_b, 1, Month(2022, 5), model=model)
    for _ in range(99):
        make_device(school=school_b, model=model)
    rows = selectors.school_model_rates(user=STAFF, start=Month(2022, 4), end=Month(2023, 3))
    report = reports.rates_report(rows, start=Month(2022, 4), end=Month(2023, 3))
    assert [(r[0], r[3], r[4], r[5]) for r in report.rows] == [
        (school_a.code, 10, 2, Decimal("200.0")),
        (school_b.code, 100, 1, Decimal("10.0")),
    ]
    assert report.footer[0][3:] == (110, 3, Decimal("27.3"))


def test_causes_by_month_counts_each_cause(school_a):
    breakages(school_a, 2, Month(2022, 5), cause="dropped")
    breakages(school_a, 1, Month(2022, 5), cause="water", spares=False)
    breakages(school_a, 1, Month(2022, 6))
    counts = selectors.causes_by_month(user=STAFF, start=Month(2022, 5), end=Month(2022, 6))
    report = reports.causes_report(counts, start=Month(2022, 5), end=Month(2022, 6))
    row = dict(zip(report.keys, report.rows[0], strict=True))
    assert (row["dropped"], row["water"], row["total"]) == (2, 1, 3)
    assert dict(zip(report.keys, report.rows[1], strict=True))["unknown"] == 1
    assert report.footer[0][-1] == 4


def test_the_forecast_warns_under_the_threshold_set_in_admin(school_a):
    model = make_device_model()
    make_spares(30, model=model)
    for month in range(7, 13):
        breakages(school_a, 5, Month(2022, month), model=model, spares=False)
    # No spare issued: the stock does not shrink, so no warning.
    assert not selectors.forecasts(user=STAFF)[0].forecast.warning
    breakages(school_a, 10, Month(2022, 12), model=model)
    [result] = selectors.forecasts(user=STAFF)
    # 40 spares at first, 10 issued in December: 30 left at 10/6 a month → 18 months.
    assert result.forecast.spares == 30 and result.forecast.months_left == Decimal("18.0")
    assert not result.forecast.warning
    DevicesSettings.objects.update_or_create(pk=1, defaults={"forecast_threshold_months": 24})
    assert selectors.forecasts(user=STAFF)[0].forecast.warning


def _all_reports():
    selectors.breakage_figures(user=STAFF, start=Month(2022, 4), end=Month(2022, 12))
    selectors.causes_by_month(user=STAFF, start=Month(2022, 4), end=Month(2022, 12))
    selectors.fiscal_year_incident_totals(user=STAFF, year=2021)
    selectors.school_model_rates(user=STAFF, start=Month(2022, 4), end=Month(2022, 12))
    selectors.forecasts(user=STAFF)


def test_the_reports_make_the_same_queries_however_much_data(django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_device_model()
    make_device_model(name="Chromebook", kind="chromebook")
    breakages(make_school(), 2, Month(2022, 5))
    with CaptureQueriesContext(connection) as small:
        _all_reports()
    for month in range(4, 13):
        breakages(make_school(), 6, Month(2022, month))
    breakages(make_school(), 3, Month(2022, 7), model=make_device_model(name="Chromebook"))
    with django_assert_num_queries(len(small)):
        _all_reports()
    assert len(small) <= 20
