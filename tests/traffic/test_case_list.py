"""The case list's month and step filters, on the page's download as on the selector."""

import pytest
from django.urls import reverse
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.outbox import State
from gigaportal.scope import COMMAND_LINE
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import selectors, services
from traffic.models import Action

pytestmark = pytest.mark.django_db
SEP, OCT, NOV = Month(2022, 9), Month(2022, 10), Month(2022, 11)


@pytest.fixture
def improved_in_november(school_a):
    """A case at ① in September, ② in October, improved in November; and one still open."""
    make_policy()
    improved, still_heavy = make_line(school=school_a), make_line(school=school_a)
    for month, gb in ((SEP, 250), (OCT, 250), (NOV, 1)):
        set_usage(improved, month, gb)
        set_usage(still_heavy, month, 250)
    for month in (SEP, OCT, NOV):
        services.evaluation_run(month=month)
    return improved, still_heavy


def test_a_case_stays_in_the_step_it_had_that_month_after_improving_later(improved_in_november):
    improved, still_heavy = improved_in_november
    at_two_in_october = selectors.case_list(user=COMMAND_LINE, stage=2, month=OCT)
    assert sorted(c.line.number for c in at_two_in_october) == sorted(
        [improved.number, still_heavy.number]
    )
    # November: the improved case's step is the closing one, not "at ②"; the other is at ③.
    assert list(selectors.case_list(user=COMMAND_LINE, stage=2, month=NOV)) == []
    at_three = selectors.case_list(user=COMMAND_LINE, stage=3, month=NOV)
    assert [c.line for c in at_three] == [still_heavy]
    assert len(selectors.case_list(user=COMMAND_LINE, month=NOV)) == 2


def test_the_filtered_download_lists_the_case_improved_later(client, leader, improved_in_november):
    improved, _ = improved_in_november
    client.force_login(leader)
    response = client.get(
        reverse("traffic:case_list"), {"stage": "2", "month": "2022-10", "download": "csv"}
    )
    assert response.status_code == 200
    assert improved.number in response.content.decode("utf-8-sig")


def test_the_case_page_shows_the_state_of_each_outgoing_action(client, leader, school_a):
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 250)
    services.evaluation_run(month=SEP)
    action = Action.objects.get()
    Action.objects.filter(pk=action.pk).update(state=State.SENT)
    action.refresh_from_db()
    client.force_login(leader)
    response = client.get(reverse("traffic:case_detail", args=[action.case_id]))
    assert response.status_code == 200
    with translation.override("ja"):
        label = str(action.get_state_display())
    assert f"<td>{label}</td>" in response.content.decode()
