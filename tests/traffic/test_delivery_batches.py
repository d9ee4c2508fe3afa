"""Delivery in batches: one query loads a batch of actions with what the backends read,
each action costs only its claim, and the batch's sent actions are recorded together."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gigaportal import outbox
from gigaportal.calendar import Month
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action

pytestmark = pytest.mark.django_db
SEP = Month(2022, 9)


def _undelivered_actions(school, size: int) -> list[int]:
    """`size` new cases at ①, each with its tablet action, committed with the test's
    transaction (so nothing publishes their delivery here)."""
    make_policy()
    for _ in range(size):
        set_usage(make_line(school=school), SEP, 250)
    result = services.evaluation_run(month=SEP)
    assert len(result.action_ids) == size
    return list(result.action_ids)


def _count_delivery_queries(ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        outcomes = services.actions_deliver(action_ids=ids)
    assert outcomes == {outbox.Outcome.SENT: len(ids)}
    assert set(Action.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}
    return len(queries)


def test_delivering_actions_costs_one_claim_each_and_a_fixed_number_of_queries_besides(
    school_a,
):
    ids = _undelivered_actions(school_a, 33)
    small = _count_delivery_queries(ids[:3])
    large = _count_delivery_queries(ids[3:])
    # Before batches: a claim, a load, a reload with the line and school, and the
    # sent update per action (4 each, 108 more for 27 more actions).
    assert large - small == 27


def test_a_second_delivery_of_the_same_batch_sends_nothing(school_a):
    ids = _undelivered_actions(school_a, 5)
    assert services.actions_deliver(action_ids=ids) == {outbox.Outcome.SENT: 5}
    assert services.actions_deliver(action_ids=ids) == {outbox.Outcome.SKIPPED: 5}
