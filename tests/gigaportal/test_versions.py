"""Versions by effective date (gigaportal.versions): the pure helpers, and the same
rule asked of the database by every model that uses it (traffic's heavy-usage policy,
the security policy's versions, the organisation charts)."""

import datetime as dt
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace

import pytest

from gigaportal import versions
from gigaportal.calendar import Month

APR_2020, SEP_2022, APR_2023 = dt.date(2020, 4, 1), dt.date(2022, 9, 1), dt.date(2023, 4, 1)


def v(day, name=""):
    return SimpleNamespace(effective_from=day, name=name or str(day))


# --- Pure helpers ----------------------------------------------------------------------------


def test_the_version_in_force_is_the_latest_not_after_the_day():
    items = [v(APR_2023), v(APR_2020), v(SEP_2022)]  # in any order
    assert versions.in_force(items, dt.date(2019, 12, 31)) is None
    assert versions.in_force(items, APR_2020).effective_from == APR_2020
    assert versions.in_force(items, dt.date(2023, 3, 31)).effective_from == SEP_2022
    assert versions.in_force(items, APR_2023).effective_from == APR_2023
    assert versions.in_force([], APR_2023) is None


def test_the_upcoming_version_is_the_first_after_the_day():
    items = [v(APR_2020), v(APR_2023), v(SEP_2022)]
    assert versions.upcoming(items, dt.date(2023, 3, 31)).effective_from == APR_2023
    assert versions.upcoming(items, APR_2023) is None
    assert versions.upcoming(items, dt.date(2000, 1, 1)).effective_from == APR_2020


def test_a_version_without_a_date_is_never_in_force_nor_upcoming():
    items = [v(None, "draft"), v(APR_2020)]
    assert versions.in_force(items, APR_2023).name == str(APR_2020)
    assert versions.upcoming(items, dt.date(2000, 1, 1)).name == str(APR_2020)


def test_of_two_versions_of_one_day_the_later_listed_wins():
    items = [v(APR_2023, "first"), v(APR_2023, "second")]
    assert versions.in_force(items, APR_2023).name == "second"
    assert [span.version.name for span in versions.spans(items)] == ["second"]


def test_plain_tuples_with_a_date_key():
    rows = [(APR_2020, Decimal(5)), (APR_2023, Decimal(7))]
    assert versions.in_force(rows, dt.date(2022, 1, 1), date_of=itemgetter(0))[1] == 5
    assert versions.upcoming(rows, dt.date(2022, 1, 1), date_of=itemgetter(0))[1] == 7


def test_spans_give_each_version_its_days():
    spans = versions.spans([v(APR_2023), v(APR_2020)])
    assert [(s.first, s.last) for s in spans] == [
        (APR_2020, dt.date(2023, 3, 31)),
        (APR_2023, None),
    ]
    assert spans[0].contains(dt.date(2023, 3, 31)) and not spans[0].contains(APR_2023)
    assert spans[1].contains(dt.date(2100, 1, 1))


# --- The queryset mixin, on the models that use it ----------------------------------------


@pytest.mark.django_db
def test_traffics_policy_in_force_is_asked_through_the_same_mechanism():
    from tests.traffic.factories import make_policy
    from traffic.models import Policy
    from traffic.services import policy_in_force

    first = make_policy(effective_from=Month(2022, 9))
    second = make_policy(effective_from=Month(2023, 4), single_gb=Decimal(250))
    assert Policy.objects.in_force(dt.date(2022, 8, 31)) is None
    assert policy_in_force(Month(2022, 9)) == first
    assert policy_in_force(Month(2023, 3)) == first
    assert policy_in_force(Month(2023, 4)) == second
    assert Policy.objects.upcoming(dt.date(2023, 1, 1)) == second


@pytest.mark.django_db
def test_in_force_each_picks_one_row_per_group_in_one_query(django_assert_num_queries):
    from security.models import OrgChart

    for slug, day in [
        ("a", APR_2020),
        ("a", APR_2023),
        ("b", SEP_2022),
        ("c", dt.date(2030, 1, 1)),
    ]:
        OrgChart.objects.create(slug=slug, title=slug, kind="security", effective_from=day)
    with django_assert_num_queries(1):
        in_force = {
            c.slug: c.effective_from for c in OrgChart.objects.in_force_each("slug", APR_2023)
        }
    assert in_force == {"a": APR_2023, "b": SEP_2022}
    upcoming = {c.slug: c.effective_from for c in OrgChart.objects.upcoming_each("slug", SEP_2022)}
    assert upcoming == {"a": APR_2023, "c": dt.date(2030, 1, 1)}


@pytest.mark.django_db
def test_a_filter_before_the_mixin_decides_which_rows_are_versions():
    """Only approved policy versions are in force: a draft dated earlier is skipped."""
    from gigaportal.scope import COMMAND_LINE
    from security import services
    from security.models import PolicyVersion
    from tests.security.factories import make_document, make_version

    document = make_document()
    approved = make_version(document=document, effective_from=APR_2020, approved_on=APR_2020)
    services.policy_version_create(
        by=COMMAND_LINE, document=document, label="案", effective_from=SEP_2022
    )
    found = PolicyVersion.objects.filter(status="approved")
    assert found.in_force(APR_2023) == approved
    assert PolicyVersion.objects.in_force(APR_2023).label == "案"
