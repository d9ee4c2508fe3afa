"""The Japanese school calendar (gigaportal/calendar.py): pure, no database, except the
admin-edited terms at the end."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone

from gigaportal import calendar, selectors
from gigaportal.calendar import Month, Term
from gigaportal.models import FiscalTerm


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- Fiscal years and 令和 -------------------------------------------------------------


def test_march_31st_belongs_to_the_previous_fiscal_year_and_april_1st_to_the_new_one():
    assert calendar.fiscal_year(d("2023-03-31")) == 2022
    assert calendar.fiscal_year(d("2023-04-01")) == 2023
    assert calendar.fiscal_year(d("2022-12-31")) == 2022
    assert calendar.fiscal_year(d("2023-01-01")) == 2022


def test_fiscal_year_bounds_run_from_april_1st_to_march_31st():
    assert calendar.fiscal_year_bounds(2022) == (d("2022-04-01"), d("2023-03-31"))


@pytest.mark.parametrize(
    ("year", "label"),
    [
        (2019, "令和元年度"),
        (2020, "令和2年度"),
        (2021, "令和3年度"),
        (2022, "令和4年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
    ],
)
def test_fiscal_years_are_labelled_in_the_japanese_era(year, label):
    assert calendar.fiscal_year_label(year) == label


# --- Months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2022-09",
        "2022-9",
        "2022/09",
        "2022/9",
        "2022.9",
        "2022年9月",
        "2022 年 9 月",
        "202209",
        "２０２２年９月",
        "２０２２－０９",
        "２０２２／９",
        " 2022-09 ",
    ],
)
def test_it_reads_the_ways_people_write_a_month(text):
    assert Month.parse(text) == Month(2022, 9)


@pytest.mark.parametrize(
    "text",
    ["", "2022", "2022-13", "2022-00", "22-09", "2022-09-01", "September 2022", "令和4年9月"],
)
def test_it_refuses_what_is_not_a_month(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_a_month_cannot_be_made_with_a_month_number_outside_1_to_12():
    with pytest.raises(ValueError, match="1..12"):
        Month(2022, 13)


def test_month_arithmetic_crosses_years_both_ways():
    assert Month(2022, 12).next() == Month(2023, 1)
    assert Month(2023, 1).previous() == Month(2022, 12)
    assert Month(2022, 4).add(11) == Month(2023, 3)
    assert Month(2022, 4).add(-16) == Month(2020, 12)
    assert Month(2022, 4).add(24) == Month(2024, 4)


def test_months_know_their_days_including_leap_februaries():
    assert Month(2024, 2).last_day() == d("2024-02-29")
    assert Month(2023, 2).last_day() == d("2023-02-28")
    assert Month(2022, 12).first_day() == d("2022-12-01")
    assert Month(2022, 12).last_day() == d("2022-12-31")
    assert str(Month(2022, 9)) == "2022-09"


def test_a_months_fiscal_year_follows_april():
    assert Month(2023, 3).fiscal_year() == 2022
    assert Month(2023, 4).fiscal_year() == 2023


def test_fiscal_months_run_april_to_march_and_month_range_includes_both_ends():
    months = calendar.fiscal_months(2022)
    assert len(months) == 12
    assert months[0] == Month(2022, 4)
    assert months[-1] == Month(2023, 3)
    assert list(calendar.month_range(Month(2022, 11), Month(2023, 2))) == [
        Month(2022, 11),
        Month(2022, 12),
        Month(2023, 1),
        Month(2023, 2),
    ]
    assert list(calendar.month_range(Month(2023, 2), Month(2022, 11))) == []


def test_month_and_date_labels_are_japanese():
    assert calendar.month_label(Month(2022, 9)) == "9月"
    assert calendar.month_label(Month(2022, 9), with_year=True) == "2022年9月"
    assert calendar.japanese_date(d("2022-04-15")) == "2022年4月15日"
    assert calendar.japanese_date(d("2022-04-15"), weekday=True) == "2022年4月15日(金)"


# --- Terms -------------------------------------------------------------------------------


def test_the_default_terms_are_april_to_august_september_to_december_and_january_to_march():
    terms = calendar.default_terms(2022)
    assert [(t.number, t.start, t.end) for t in terms] == [
        (1, d("2022-04-01"), d("2022-08-31")),
        (2, d("2022-09-01"), d("2022-12-31")),
        (3, d("2023-01-01"), d("2023-03-31")),
    ]
    assert [t.label for t in terms] == ["1学期", "2学期", "3学期"]
    assert calendar.validate_terms(terms) == []


@pytest.mark.parametrize(
    ("day", "number"),
    [
        ("2022-04-01", 1),
        ("2022-08-31", 1),
        ("2022-09-01", 2),
        ("2022-12-31", 2),
        ("2023-01-01", 3),
        ("2023-03-31", 3),
    ],
)
def test_term_of_finds_the_term_at_its_edges(day, number):
    assert calendar.term_of(d(day), calendar.default_terms(2022)).number == number


def test_a_day_between_terms_or_outside_the_year_belongs_to_no_term():
    terms = [
        Term(2022, 1, d("2022-04-06"), d("2022-07-20")),
        Term(2022, 2, d("2022-09-01"), d("2022-12-23")),
        Term(2022, 3, d("2023-01-10"), d("2023-03-24")),
    ]
    assert calendar.validate_terms(terms) == []
    assert calendar.term_of(d("2022-08-01"), terms) is None
    assert calendar.term_of(d("2022-04-05"), terms) is None
    assert calendar.term_of(d("2023-04-01"), terms) is None
    assert calendar.term_of(d("2022-07-20"), terms).number == 1


def test_validate_terms_reports_overlaps_gaps_in_numbering_and_terms_outside_the_year():
    overlapping = [
        Term(2022, 1, d("2022-04-01"), d("2022-09-05")),
        Term(2022, 2, d("2022-09-01"), d("2022-12-31")),
    ]
    assert calendar.validate_terms(overlapping) == ["terms 1 and 2 overlap"]
    assert calendar.validate_terms([Term(2022, 2, d("2022-09-01"), d("2022-12-31"))]) == [
        "terms must be numbered 1, 2, 3 … without gaps"
    ]
    assert calendar.validate_terms([Term(2022, 1, d("2022-03-31"), d("2022-08-31"))]) == [
        "term 1 lies outside fiscal year 2022"
    ]
    assert calendar.validate_terms([Term(2022, 1, d("2022-08-31"), d("2022-04-01"))]) == [
        "term 1 ends before it starts"
    ]


def test_an_edited_term_replaces_only_the_default_term_of_its_number():
    edited = Term(2022, 2, d("2022-09-05"), d("2022-12-20"))
    terms = calendar.merge_terms(2022, [edited])
    defaults = calendar.default_terms(2022)
    assert terms == [defaults[0], edited, defaults[2]]


# --- Template filters --------------------------------------------------------------------


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_calendar_filters_work_in_every_template_without_loading_them():
    day = d("2023-03-31")
    assert render("{{ day|fiscal_year }}", day=day) == "2022"
    assert render("{{ day|fiscal_year_label }}", day=day) == "令和4年度"
    assert render("{{ 2019|fiscal_year_label }}") == "令和元年度"
    assert render("{{ day|jdate }}", day=d("2022-04-15")) == "2022年4月15日"
    assert render("{{ day|jdate:True }}", day=d("2022-04-15")) == "2022年4月15日(金)"
    assert render("{{ m|month_label }}", m=Month(2022, 9)) == "9月"
    assert render("{{ m|month_label:True }}", m=Month(2022, 9)) == "2022年9月"
    assert render("{{ '2023-01'|month_label:True }}") == "2023年1月"
    assert render("{{ day|month_label }}", day=day) == "3月"
    assert render("{{ 2|term_label }}") == "2学期"


def test_the_filters_use_the_tokyo_date_of_an_aware_datetime():
    # 2023-03-31 16:00 UTC is already 1 April in Tokyo: a new fiscal year.
    moment = dt.datetime(2023, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert render("{{ t|fiscal_year }}", t=moment) == "2023"
    assert render("{{ t|jdate }}", t=moment) == "2023年4月1日"
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"


def test_the_filters_render_nothing_for_values_they_cannot_read():
    assert render("{{ x|fiscal_year }}|{{ x|fiscal_year_label }}|{{ x|jdate }}", x=None) == "||"
    assert render("{{ 'abc'|term_label }}") == ""
    assert render("{{ 'not a month'|month_label }}") == "not a month"


# --- Terms edited in admin ---------------------------------------------------------------


@pytest.mark.django_db
def test_without_edited_terms_a_year_has_the_default_terms():
    assert selectors.terms_for_fiscal_year(2022) == calendar.default_terms(2022)


@pytest.mark.django_db
def test_term_of_follows_terms_edited_in_admin_and_keeps_the_others():
    FiscalTerm.objects.create(
        fiscal_year=2022, number=1, start=d("2022-04-06"), end=d("2022-07-20")
    )
    FiscalTerm.objects.create(
        fiscal_year=2023, number=1, start=d("2023-04-10"), end=d("2023-07-25")
    )
    terms = selectors.terms_for_fiscal_year(2022)
    assert [t.number for t in terms] == [1, 2, 3]
    assert calendar.term_of(d("2022-07-25"), terms) is None  # summer holiday now
    assert calendar.term_of(d("2022-07-20"), terms).number == 1
    # Terms 2 and 3 were not edited: they keep the default dates.
    assert calendar.term_of(d("2022-09-01"), terms).number == 2
    assert calendar.term_of(d("2023-03-31"), terms).number == 3


@pytest.mark.django_db
def test_admin_refuses_a_term_that_overlaps_another_or_leaves_its_year():
    FiscalTerm.objects.create(
        fiscal_year=2022, number=2, start=d("2022-09-01"), end=d("2022-12-23")
    )
    overlapping = FiscalTerm(fiscal_year=2022, number=1, start=d("2022-04-01"), end=d("2022-09-02"))
    with pytest.raises(ValidationError):
        overlapping.full_clean()
    outside = FiscalTerm(fiscal_year=2022, number=3, start=d("2023-01-10"), end=d("2023-04-02"))
    with pytest.raises(ValidationError):
        outside.full_clean()


@pytest.mark.django_db
def test_admin_accepts_an_edited_second_or_third_term():
    # A lone term 2 or 3 is not "numbered with gaps": the other terms keep their defaults.
    FiscalTerm(fiscal_year=2022, number=2, start=d("2022-09-01"), end=d("2022-12-23")).full_clean()
    FiscalTerm(fiscal_year=2022, number=3, start=d("2023-01-10"), end=d("2023-03-24")).full_clean()


@pytest.mark.parametrize("text", ["0000-01", "9999-12", "1899-12", "3000-01"])
def test_a_month_outside_any_plausible_year_is_refused_at_parse_time(text):
    with pytest.raises(ValueError):
        Month.parse(text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/traffic/?from=0000-01",
        "/traffic/flow/?from=0000-01",
        "/traffic/cases/?month=0000-01",
        "/devices/forecast/?month=9999-12",
        "/support/calendar/?month=0000-01",
    ],
)
def test_pages_answer_a_month_out_of_range_without_an_error(client, leader, url):
    client.force_login(leader)
    assert client.get(url).status_code in (200, 400, 404)
