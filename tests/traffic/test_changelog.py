"""Every write of the traffic app leaves exactly one change-log entry
(gigaportal.models.ObjectChange) saying who did what, through whichever door it came:
the system's monthly evaluation (one entry for the month, whatever the number of cases
and actions), a school acknowledging a notice on its page, a usage import (one entry
for its batch, whatever the number of rows), the policy command, and Django admin (a
policy edited in its change form, failed actions sent again)."""

from __future__ import annotations

import getpass
import io
import re
from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.models import ImportBatch, ObjectChange
from gigaportal.outbox import State
from gigaportal.scope import SYSTEM
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import (
    Action,
    Case,
    Evaluation,
    Line,
    MonthlyUsage,
    Policy,
    SchoolNotice,
)

pytestmark = pytest.mark.django_db
SEP, OCT = Month(2022, 9), Month(2022, 10)
Via = ObjectChange.Via
Act = ObjectChange.Action


@contextmanager
def new_entries():
    """The change-log entries written inside the block, oldest first."""
    before = set(ObjectChange.objects.values_list("id", flat=True))
    entries: list[ObjectChange] = []
    yield entries
    entries.extend(
        ObjectChange.objects.exclude(id__in=before).select_related("content_type").order_by("id")
    )


def is_about(entry: ObjectChange, obj) -> bool:
    return entry.content_type == ContentType.objects.get_for_model(
        type(obj)
    ) and entry.object_id == str(obj.pk)


def logged_models(entries) -> set[type]:
    return {entry.content_type.model_class() for entry in entries}


# --- The evaluation -------------------------------------------------------------------


def test_an_evaluation_is_one_entry_for_the_month_not_one_per_case(school_a, school_b):
    make_policy()
    for school in (school_a, school_b):
        for _ in range(3):
            set_usage(make_line(school=school), SEP, 250)
    set_usage(make_line(school=school_a), SEP, 1)  # quiet: no case

    with new_entries() as entries:
        result = services.evaluation_run(month=SEP, by=SYSTEM)

    assert (result.opened, len(result.action_ids)) == (6, 6)
    assert Case.objects.count() == 6 and Action.objects.count() == 6
    [entry] = entries
    evaluation = Evaluation.objects.get()
    assert is_about(entry, evaluation)
    assert entry.action == Act.EVALUATE
    # Who: the portal itself, never a person.
    assert (entry.by, entry.by_name, entry.via) == (None, "", Via.SYSTEM)
    assert entry.by_display == "自動処理"
    # What: the month's figures.
    assert entry.changes == {
        "opened": [None, 6],
        "escalated": [None, 0],
        "continued": [None, 0],
        "improved": [None, 0],
        "actions": [None, 6],
    }
    assert entry.object_repr == "2022年9月"
    # Evaluating the month again changes nothing, and logs nothing.
    with new_entries() as again:
        assert not services.evaluation_run(month=SEP).created
    assert again == []


def test_an_evaluation_run_from_the_command_as_a_user_is_logged_as_that_user(school_a, leader):
    make_policy()
    set_usage(make_line(school=school_a), SEP, 250)
    with new_entries() as entries:
        call_command("run_escalation", "--month", "2022-09", "--as", "leader", stdout=io.StringIO())
    [entry] = entries
    assert is_about(entry, Evaluation.objects.get())
    assert (entry.by, entry.by_name, entry.via) == (leader, leader.display_name, Via.COMMAND)
    assert Evaluation.objects.get().evaluated_by == leader.display_name


# --- A school acknowledges a notice on its page ---------------------------------------------


@pytest.fixture
def notice(school_a):
    """A step-② notice in school A's inbox (September ①, October ②)."""
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 250)
    set_usage(line, OCT, 250)
    services.evaluation_run(month=SEP)
    services.evaluation_run(month=OCT)
    return SchoolNotice.objects.get()


def test_a_notice_acknowledged_on_its_page_is_one_entry_by_the_school_user(
    client, school_a, school_a_user, notice
):
    client.force_login(school_a_user)
    url = reverse("traffic:notice_acknowledge", args=[notice.pk])
    with new_entries() as entries:
        response = client.post(url)
    assert response.status_code == 302

    [entry] = entries
    assert is_about(entry, notice) and entry.action == Act.ACKNOWLEDGE
    assert (entry.by, entry.by_name, entry.via) == (
        school_a_user,
        school_a_user.display_name,
        Via.WEB,
    )
    # The entry belongs to the school (its users see it) and to the request that made it.
    assert entry.school == school_a
    assert entry.request_id and entry.request_id == response["X-Request-ID"]
    notice.refresh_from_db()
    assert notice.acknowledged_by == school_a_user
    assert entry.changes["acknowledged_at"][0] is None
    assert entry.changes["acknowledged_at"][1].startswith(f"{notice.acknowledged_at:%Y-%m-%d}")

    # A second click changes nothing and logs nothing.
    with new_entries() as again:
        client.post(url)
    assert again == []


# --- A usage import -----------------------------------------------------------------------------


def usage_file(rows: int) -> bytes:
    body = "".join(
        f"070-6{i // 10000:03d}-{i % 10000:04d},2022-09,{i % 7}.5\n" for i in range(rows)
    )
    return ("line_number,month,usage_gb\n" + body).encode()


@pytest.mark.parametrize("rows", [1, 250])
def test_a_usage_import_is_one_entry_for_its_batch_whatever_the_rows(client, leader, rows):
    data = usage_file(rows)
    client.force_login(leader)
    with new_entries() as entries:
        response = client.post(
            reverse("traffic:import"), {"file": SimpleUploadedFile("usage-2022-09.csv", data)}
        )
    assert response.status_code == 302
    assert MonthlyUsage.objects.count() == rows and Line.objects.count() == rows

    [entry] = entries
    batch = ImportBatch.objects.get()
    assert is_about(entry, batch) and entry.action == Act.IMPORT
    assert (entry.by, entry.by_name, entry.via) == (leader, leader.display_name, Via.WEB)
    assert entry.changes == {
        "kind": [None, "traffic_usage"],
        "file_name": [None, "usage-2022-09.csv"],
        "sha256": [None, batch.sha256],
        "created": [None, rows],
        "updated": [None, 0],
    }
    assert logged_models(entries).isdisjoint({Line, MonthlyUsage})

    # The same file again is a no-op: a batch that says so, and no entry.
    with new_entries() as again:
        client.post(reverse("traffic:import"), {"file": SimpleUploadedFile("again.csv", data)})
    assert again == []
    assert ImportBatch.objects.filter(status=ImportBatch.Status.UNCHANGED).count() == 1


# --- The policy, through the command and through Django admin ----------------------------------


def test_the_policy_command_is_one_entry_by_the_command_line(db):
    with new_entries() as entries:
        call_command(
            "traffic_policy",
            "--effective-from",
            "2022-09",
            "--single-gb",
            "180",
            stdout=io.StringIO(),
        )
    [entry] = entries
    policy = Policy.objects.get()
    assert is_about(entry, policy) and entry.action == Act.CREATE
    assert entry.by is None and entry.via == Via.COMMAND
    assert entry.by_name == getpass.getuser()  # the login that ran the command
    assert entry.by_display == f"コマンド ({getpass.getuser()})"
    assert entry.changes == {
        "effective_from": [None, "2022-09-01"],
        "single_gb": [None, "180"],
        "consecutive_gb": [None, "100"],
        "gb_per_line": [None, "5"],
        "note": [None, ""],
    }

    # Changing the version of the same month: one entry with just what changed.
    with new_entries() as entries:
        call_command(
            "traffic_policy",
            "--effective-from",
            "2022-09",
            "--single-gb",
            "190",
            stdout=io.StringIO(),
        )
    [entry] = entries
    assert is_about(entry, policy) and entry.action == Act.UPDATE
    assert entry.changes == {"single_gb": ["180", "190"]}
    assert entry.via == Via.COMMAND


def test_the_policy_command_as_a_user_is_logged_as_that_user(leader):
    with new_entries() as entries:
        call_command(
            "traffic_policy", "--effective-from", "2022-09", "--as", "leader", stdout=io.StringIO()
        )
    [entry] = entries
    assert (entry.by, entry.by_name, entry.via) == (leader, leader.display_name, Via.COMMAND)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    with translation.override("ja"):
        yield client


def policy_form(policy, **changes) -> dict:
    data = {
        "effective_from": f"{policy.effective_from:%Y-%m-%d}",
        "single_gb": policy.single_gb,
        "consecutive_gb": policy.consecutive_gb,
        "gb_per_line": policy.gb_per_line,
        "note": policy.note,
    }
    return data | changes


def test_a_policy_edited_in_admin_is_one_entry_via_admin_by_the_admin_user(admin_client, admin):
    policy = make_policy()
    url = reverse("admin:traffic_policy_change", args=[policy.pk])
    with new_entries() as entries:
        response = admin_client.post(url, policy_form(policy, single_gb="250", note="見直し"))
    assert response.status_code == 302

    [entry] = entries  # the service logs it; admin does not log it a second time
    assert is_about(entry, policy) and entry.action == Act.UPDATE
    assert (entry.by, entry.by_name, entry.via) == (admin, admin.display_name, Via.ADMIN)
    assert entry.changes == {"single_gb": ["200", "250"], "note": ["", "見直し"]}
    assert entry.request_id == response["X-Request-ID"]
    assert Policy.objects.get().single_gb == 250


def test_a_policy_added_in_admin_is_one_entry(admin_client, admin):
    make_policy()
    with new_entries() as entries:
        response = admin_client.post(
            reverse("admin:traffic_policy_add"),
            {
                "effective_from": "2023-04-01",
                "single_gb": "150",
                "consecutive_gb": "80",
                "gb_per_line": "7",
                "note": "",
            },
        )
    assert response.status_code == 302
    [entry] = entries
    assert is_about(entry, Policy.objects.get(effective_from="2023-04-01"))
    assert (entry.action, entry.by, entry.via) == (Act.CREATE, admin, Via.ADMIN)


def test_a_refused_admin_edit_writes_no_entry(admin_client, school_a):
    policy = make_policy()
    set_usage(make_line(school=school_a), SEP, 250)
    services.evaluation_run(month=SEP)
    with new_entries() as entries:
        response = admin_client.post(
            reverse("admin:traffic_policy_change", args=[policy.pk]),
            policy_form(policy, single_gb="300"),
        )
    assert response.status_code == 200  # the form again, with the reason
    assert entries == []


def test_send_again_in_admin_is_one_entry_per_failed_action_by_the_admin_user(
    admin_client, admin, school_a, school_b
):
    make_policy()
    failed_line, sent_line = make_line(school=school_a), make_line(school=school_b)
    set_usage(failed_line, SEP, 250)
    set_usage(sent_line, SEP, 250)
    services.evaluation_run(month=SEP)
    failed = Action.objects.get(case__line=failed_line)
    sent = Action.objects.get(case__line=sent_line)
    Action.objects.filter(pk=failed.pk).update(
        state=State.FAILED, last_error="webhook answered 503"
    )
    Action.objects.filter(pk=sent.pk).update(state=State.SENT)

    with new_entries() as entries:
        response = admin_client.post(
            reverse("admin:traffic_action_changelist"),
            {"action": "send_again", "_selected_action": [failed.pk, sent.pk]},
        )
    assert response.status_code == 302

    [entry] = entries  # the sent one is not sent again, so nothing is logged for it
    assert is_about(entry, failed) and entry.action == Act.RESEND
    assert (entry.by, entry.by_name, entry.via) == (admin, admin.display_name, Via.ADMIN)
    assert entry.changes == {"state": ["failed", "pending"]}
    assert entry.school == school_a
    assert dict(Action.objects.values_list("pk", "state")) == {
        failed.pk: State.PENDING,
        sent.pk: State.SENT,
    }


# --- A threshold that is not positive, in admin's form --------------------------------------------


def field_errors(html: str, field: str) -> str:
    match = re.search(
        rf'<ul class="errorlist"[^>]*id="id_{field}_error"[^>]*>(.*?)</ul>', html, re.S
    )
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


THRESHOLDS = ["single_gb", "consecutive_gb", "gb_per_line"]


@pytest.mark.parametrize("value", ["-5", "0"])
@pytest.mark.parametrize("field", THRESHOLDS)
def test_a_threshold_that_is_not_positive_is_refused_on_its_field_not_by_the_constraint(
    admin_client, field, value
):
    policy = make_policy()
    with new_entries() as entries:
        response = admin_client.post(
            reverse("admin:traffic_policy_change", args=[policy.pk]),
            policy_form(policy, **{field: value}),
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "traffic_policy_positive" not in html  # never the constraint's name
    assert field_errors(html, field), f"no error shown on {field}"
    stored = Policy.objects.get()
    assert (stored.single_gb, stored.consecutive_gb, stored.gb_per_line) == (200, 100, 5)
    assert entries == []


@pytest.mark.parametrize("field", THRESHOLDS)
def test_a_negative_threshold_in_admin_shows_a_japanese_error(admin_client, field):
    policy = make_policy()
    response = admin_client.post(
        reverse("admin:traffic_policy_change", args=[policy.pk]),
        policy_form(policy, **{field: "-1"}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "traffic_policy_positive" not in html
    error = field_errors(html, field)
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", error), f"not Japanese: {error!r}"
    assert "greater than" not in error
