"""Admin cannot bypass the rules: cases and outbox actions are read-only (the one
change is "send again"), and a policy version in force for an evaluated month keeps
its figures."""

import pytest
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.outbox import State
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action, Case, Policy

pytestmark = pytest.mark.django_db
SEP = Month(2022, 9)


@pytest.fixture
def evaluated(school_a):
    policy = make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 250)
    services.evaluation_run(month=SEP)
    return policy


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    with translation.override("ja"):
        yield client


def test_a_case_is_shown_but_cannot_be_changed_added_or_deleted(admin_client, evaluated):
    case = Case.objects.get()
    url = f"/admin/traffic/case/{case.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and case.line.number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"stage": 4, "cohort": "2022-09-01"}).status_code == 403
    assert admin_client.get("/admin/traffic/case/add/").status_code == 403
    delete = admin_client.post(f"/admin/traffic/case/{case.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    case.refresh_from_db()
    assert case.stage == 1


def test_an_action_is_read_only_but_can_be_sent_again(admin_client, evaluated):
    action = Action.objects.get()
    url = f"/admin/traffic/action/{action.pk}/change/"
    assert admin_client.post(url, {"state": "sent"}).status_code == 403
    assert Action.objects.get().state == State.PENDING
    Action.objects.update(state=State.FAILED)
    response = admin_client.post(
        "/admin/traffic/action/",
        {"action": "send_again", "_selected_action": [action.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Action.objects.get().state == State.PENDING


def _policy_form(policy, **changes):
    data = {
        "effective_from": f"{policy.effective_from:%Y-%m-%d}",
        "single_gb": policy.single_gb,
        "consecutive_gb": policy.consecutive_gb,
        "gb_per_line": policy.gb_per_line,
        "note": policy.note,
    }
    return data | changes


@pytest.mark.parametrize(
    "change",
    [
        {"single_gb": "300"},
        {"consecutive_gb": "50"},
        {"gb_per_line": "7"},
        {"effective_from": "2022-10-01"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_the_figures_of_a_version_used_by_an_evaluated_month_cannot_be_changed(
    admin_client, evaluated, change
):
    url = f"/admin/traffic/policy/{evaluated.pk}/change/"
    response = admin_client.post(url, _policy_form(evaluated, **change))
    assert response.status_code == 200  # the form again, with the reason
    assert "判定済みの月に適用されている" in response.content.decode()
    stored = Policy.objects.get()
    assert (stored.effective_from, stored.single_gb, stored.consecutive_gb) == (
        evaluated.effective_from,
        evaluated.single_gb,
        evaluated.consecutive_gb,
    )
    assert stored.gb_per_line == evaluated.gb_per_line


def test_its_note_can_still_be_edited(admin_client, evaluated):
    url = f"/admin/traffic/policy/{evaluated.pk}/change/"
    response = admin_client.post(url, _policy_form(evaluated, note="説明を追記"))
    assert response.status_code == 302
    assert Policy.objects.get().note == "説明を追記"


def test_a_new_version_starts_on_the_first_day_of_a_month_after_the_evaluated_ones(
    admin_client, evaluated
):
    add = "/admin/traffic/policy/add/"
    mid_month = admin_client.post(add, _policy_form(evaluated, effective_from="2022-11-15"))
    assert mid_month.status_code == 200 and "月の初日" in mid_month.content.decode()
    in_evaluated = admin_client.post(add, _policy_form(evaluated, effective_from="2022-09-01"))
    assert in_evaluated.status_code == 200
    assert "判定済み" in in_evaluated.content.decode()
    after = admin_client.post(add, _policy_form(evaluated, effective_from="2022-10-01"))
    assert after.status_code == 302
    assert Policy.objects.count() == 2


def test_a_version_not_yet_in_force_for_an_evaluated_month_can_be_changed(admin_client):
    policy = make_policy()
    response = admin_client.post(
        f"/admin/traffic/policy/{policy.pk}/change/", _policy_form(policy, single_gb="250")
    )
    assert response.status_code == 302
    assert Policy.objects.get().single_gb == 250
