import pytest

from gigaportal.calendar import Month
from gigaportal.params import fiscal_year_param, int_param, month_param


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-09", Month(2022, 9)),
        ("２０２２年９月", Month(2022, 9)),
        ("abc", None),
        ("0000-01", None),
        ("", None),
    ],
)
def test_a_month_in_the_query_string_is_a_month_or_nothing(value, expected):
    assert month_param({"month": value}, "month") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2022", 2022), ("1999", None), ("9999", None), ("x", None), ("-5", None)],
)
def test_a_fiscal_year_outside_2000_to_2100_is_nothing(value, expected):
    assert fiscal_year_param({"fiscal_year": value}, "fiscal_year") == expected


def test_an_id_too_long_for_the_database_is_nothing():
    assert int_param({"staff": "99999999999999999999"}, "staff") is None
    assert int_param({"staff": "42"}, "staff") == 42
    assert int_param({}, "staff") is None
