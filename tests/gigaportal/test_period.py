"""The period every report page reads (gigaportal/reports/period.py): one set of query
parameters everywhere (`?fy=2022`, `?month=2022-09`, `?from=2022-01&to=2022-12`), read
as the kind of period the report asks for. No database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import QueryDict

from gigaportal.calendar import Month
from gigaportal.reports import PARAMETERS, Period, PeriodKind, parse_period
from gigaportal.reports.period import fiscal_years_of

FY, MONTH, RANGE = PeriodKind.FISCAL_YEAR, PeriodKind.MONTH, PeriodKind.RANGE
M = Month


def test_the_parameters_are_one_set_for_every_report():
    assert PARAMETERS == ("fy", "month", "from", "to")
    assert [kind.value for kind in PeriodKind] == ["fy", "month", "range"]


# --- Making and reading a period ------------------------------------------------------


def test_a_fiscal_year_runs_from_april_to_march():
    period = Period.fiscal(2022)
    assert (period.kind, period.start, period.end) == (FY, M(2022, 4), M(2023, 3))
    assert period.fiscal_year == 2022
    assert (period.first_day, period.last_day) == (dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    assert len(period.months()) == 12
    assert period.months()[0] == M(2022, 4) and period.months()[-1] == M(2023, 3)
    assert period.contains(dt.date(2023, 3, 31))
    assert not period.contains(dt.date(2023, 4, 1))
    assert not period.contains(dt.date(2022, 3, 31))
    assert not period.is_default


def test_a_month_is_one_month():
    period = Period.month(M(2024, 2))
    assert (period.kind, period.start, period.end) == (MONTH, M(2024, 2), M(2024, 2))
    assert period.months() == [M(2024, 2)]
    assert period.last_day == dt.date(2024, 2, 29)  # a leap year
    assert period.fiscal_year == 2023


def test_a_range_is_put_in_order():
    period = Period.range(M(2022, 12), M(2022, 1))
    assert (period.kind, period.start, period.end) == (RANGE, M(2022, 1), M(2022, 12))
    assert len(period.months()) == 12
    across = Period.range(M(2022, 11), M(2023, 2))
    assert across.months() == [M(2022, 11), M(2022, 12), M(2023, 1), M(2023, 2)]


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period.fiscal(2022), "令和4年度"),
        (Period.fiscal(2019), "令和元年度"),
        (Period.fiscal(2018), "平成30年度"),
        (Period.month(M(2022, 9)), "2022年9月"),
        (Period.range(M(2022, 1), M(2022, 12)), "2022年1月〜2022年12月"),
        (Period.range(M(2022, 9), M(2022, 9)), "2022年9月"),  # a range of one month
    ],
)
def test_labels(period, label):
    assert period.label == label
    assert str(period) == label


@pytest.mark.parametrize(
    ("period", "params", "slug"),
    [
        (Period.fiscal(2022), {"fy": "2022"}, "2022"),
        (Period.month(M(2022, 9)), {"month": "2022-09"}, "2022-09"),
        (
            Period.range(M(2022, 1), M(2022, 12)),
            {"from": "2022-01", "to": "2022-12"},
            "2022-01_2022-12",
        ),
        (Period.range(M(2022, 9), M(2022, 9)), {"from": "2022-09", "to": "2022-09"}, "2022-09"),
    ],
)
def test_params_name_the_period_and_read_back_as_the_same_period(period, params, slug):
    assert period.params() == params
    assert period.slug == slug
    assert parse_period(period.params(), period.kind) == period


@pytest.mark.parametrize("year", [2000, 2019, 2022, 2025])
@pytest.mark.parametrize("kind", list(PeriodKind))
def test_every_period_round_trips_through_its_params(year, kind):
    period = Period.of_kind(kind, M(year, 4), M(year + 1, 3))
    assert parse_period(period.params(), kind) == period


def test_a_default_period_is_marked_and_otherwise_the_same():
    period = Period.fiscal(2022)
    default = period.as_default()
    assert default.is_default
    assert (default.kind, default.start, default.end) == (period.kind, period.start, period.end)
    assert default.params() == period.params()


def test_the_current_period_contains_today_or_is_this_fiscal_year():
    today = dt.date(2022, 9, 15)
    assert Period.fiscal(2022).is_current(today)
    assert not Period.fiscal(2021).is_current(today)
    assert Period.month(M(2022, 9)).is_current(today)
    assert not Period.month(M(2022, 8)).is_current(today)
    assert Period.range(M(2022, 1), M(2022, 12)).is_current(today)
    assert not Period.range(M(2021, 1), M(2021, 12)).is_current(today)


def test_fiscal_years_of_months_are_newest_first():
    months = [M(2021, 3), M(2021, 4), M(2022, 9), M(2023, 3)]
    assert fiscal_years_of(months) == [2022, 2021, 2020]
    assert fiscal_years_of([]) == []


# --- Coercion between kinds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "start", "end", "expected"),
    [
        # A fiscal-year report opens on the fiscal year of the (last) month.
        (FY, M(2022, 12), None, Period.fiscal(2022)),
        (FY, M(2023, 3), None, Period.fiscal(2022)),
        (FY, M(2023, 4), None, Period.fiscal(2023)),
        (FY, M(2022, 1), M(2022, 12), Period.fiscal(2022)),
        (FY, M(2022, 1), M(2022, 3), Period.fiscal(2021)),
        # A month report opens on the (last) month.
        (MONTH, M(2022, 9), None, Period.month(M(2022, 9))),
        (MONTH, M(2022, 4), M(2023, 3), Period.month(M(2023, 3))),
        # A range report covers what it was given.
        (RANGE, M(2022, 9), None, Period.range(M(2022, 9), M(2022, 9))),
        (RANGE, M(2022, 4), M(2023, 3), Period.range(M(2022, 4), M(2023, 3))),
    ],
)
def test_of_kind_coerces_a_month_or_span_to_the_kind_asked_for(kind, start, end, expected):
    assert Period.of_kind(kind, start, end) == expected


# --- Reading the query string -------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "kind", "expected"),
    [
        # ?fy=
        ({"fy": "2022"}, FY, Period.fiscal(2022)),
        ({"fy": "2022"}, MONTH, Period.month(M(2023, 3))),
        ({"fy": "2022"}, RANGE, Period.range(M(2022, 4), M(2023, 3))),
        # ?month= (a dashboard card's link opens any report sensibly)
        ({"month": "2022-12"}, FY, Period.fiscal(2022)),
        ({"month": "2023-02"}, FY, Period.fiscal(2022)),
        ({"month": "2022-09"}, MONTH, Period.month(M(2022, 9))),
        ({"month": "2022-09"}, RANGE, Period.range(M(2022, 9), M(2022, 9))),
        ({"month": "2022/9"}, MONTH, Period.month(M(2022, 9))),
        ({"month": "2022年9月"}, MONTH, Period.month(M(2022, 9))),
        # ?from=&to=
        ({"from": "2022-01", "to": "2022-12"}, RANGE, Period.range(M(2022, 1), M(2022, 12))),
        ({"from": "2022-12", "to": "2022-01"}, RANGE, Period.range(M(2022, 1), M(2022, 12))),
        ({"from": "2022-01", "to": "2022-12"}, FY, Period.fiscal(2022)),
        ({"from": "2022-01", "to": "2022-12"}, MONTH, Period.month(M(2022, 12))),
        # Only one end of a range: a range of that month.
        ({"from": "2022-05"}, RANGE, Period.range(M(2022, 5), M(2022, 5))),
        ({"to": "2022-05"}, RANGE, Period.range(M(2022, 5), M(2022, 5))),
        ({"from": "2022-05"}, MONTH, Period.month(M(2022, 5))),
        ({"to": "2023-01"}, FY, Period.fiscal(2022)),
    ],
)
def test_parse_period_reads_every_parameter_for_every_kind(params, kind, expected):
    assert parse_period(params, kind) == expected


@pytest.mark.parametrize(
    ("params", "kind", "expected"),
    [
        # A range report takes from/to before anything else.
        (
            {"from": "2022-01", "to": "2022-03", "month": "2022-09"},
            RANGE,
            Period.range(M(2022, 1), M(2022, 3)),
        ),
        (
            {"from": "2022-01", "to": "2022-03", "fy": "2020"},
            RANGE,
            Period.range(M(2022, 1), M(2022, 3)),
        ),
        # Otherwise a month beats a fiscal year, and a fiscal year beats from/to.
        ({"month": "2022-09", "fy": "2020"}, FY, Period.fiscal(2022)),
        ({"month": "2022-09", "fy": "2020"}, MONTH, Period.month(M(2022, 9))),
        ({"fy": "2020", "from": "2022-01", "to": "2022-03"}, FY, Period.fiscal(2020)),
        ({"fy": "2020", "from": "2022-01"}, MONTH, Period.month(M(2021, 3))),
        # The month in a range report's query when from/to are junk.
        ({"from": "junk", "month": "2022-09"}, RANGE, Period.range(M(2022, 9), M(2022, 9))),
        # A junk parameter is ignored when a good one is there.
        ({"month": "2022-13", "fy": "2021"}, FY, Period.fiscal(2021)),
        ({"fy": "abc", "month": "2022-09"}, FY, Period.fiscal(2022)),
    ],
)
def test_which_parameter_wins(params, kind, expected):
    assert parse_period(params, kind) == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"fy": ""},
        {"fy": "abc"},
        {"fy": "1999"},
        {"fy": "2101"},
        {"fy": "-2022"},
        {"fy": "２０２２"},  # full-width digits are not an id-like year
        {"fy": "2022.0"},
        {"month": ""},
        {"month": "abc"},
        {"month": "2022-13"},
        {"month": "2022-00"},
        {"month": "0000-01"},
        {"month": "9999-01"},
        {"from": "junk", "to": "junk"},
        {"from": "2022-13"},
        {"to": "13/2022"},
        {"year": "2022"},  # the old names are redirected by the view, not read here
        {"fiscal_year": "2022"},
        {"page": "2", "download": "csv"},
    ],
)
@pytest.mark.parametrize("kind", list(PeriodKind))
def test_junk_or_no_parameters_give_none(params, kind):
    assert parse_period(params, kind) is None


def test_a_request_query_dict_is_read_like_a_dict():
    assert parse_period(QueryDict("from=2022-01&to=2022-12&page=3"), RANGE) == Period.range(
        M(2022, 1), M(2022, 12)
    )
    assert parse_period(QueryDict("fy=2022&download=csv"), FY) == Period.fiscal(2022)
