"""A partial usage file never freezes its month (issue 13, finding 4).

Each imported month has a state (traffic.services.months): a month whose file covers
too few of the lines under contract stays "imported" with a warning and is never
evaluated on its own; a complete file replaces it; the leader confirms or reopens a
month on /traffic/months/ until its actions have gone out. The worker tests run the
post-import evaluation in a real Celery worker on the real Redis broker.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from gigaportal import imports
from gigaportal.calendar import Month
from gigaportal.models import ImportBatch, ObjectChange
from gigaportal.outbox import State
from gigaportal.tabular import TabularError
from tests.factories import PASSWORD
from tests.traffic.factories import make_policy
from traffic import services, tasks
from traffic.models import (
    Action,
    Case,
    CaseStep,
    Evaluation,
    MonthlyUsage,
    SchoolNotice,
    UsageMonth,
)
from traffic.services.months import month_reopen
from traffic.services.usage import usage_import

AUG, SEP, OCT = Month(2022, 8), Month(2022, 9), Month(2022, 10)
CONTRACT = [f"070-6000-{n:04d}" for n in range(40)]
OTHERS = [f"070-6100-{n:04d}" for n in range(40)]
# Three lines are heavy in September; in October the first two stay heavy (step ②) and
# the third falls back (improved).
SEPTEMBER = {CONTRACT[0]: 250, CONTRACT[1]: 250, CONTRACT[2]: 250}
OCTOBER = {CONTRACT[0]: 250, CONTRACT[1]: 230}


def usage_csv(month: Month, numbers, heavy=None, school="A001") -> bytes:
    heavy = heavy or {}
    rows = [f"{n},{month},{heavy.get(n, 1)},{school}" for n in numbers]
    return ("line_number,month,usage_gb,school_code\n" + "\n".join(rows) + "\n").encode()


def run_import(user, body: bytes, name: str = "usage.csv") -> ImportBatch:
    """A leader's import, through the import batch (its evaluation task after commit)."""
    batch = imports.batch_import(kind="traffic_usage", file=io.BytesIO(body), by=user, name=name)
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    return batch


def state(month: Month) -> UsageMonth:
    return UsageMonth.objects.get(month=month.first_day())


def evaluated(month: Month) -> bool:
    return Evaluation.objects.filter(month=month.first_day()).exists()


def open_cases() -> set[str]:
    return set(
        Case.objects.filter(closed_month__isnull=True).values_list("line__number", flat=True)
    )


def login(client, username: str) -> None:
    assert client.login(request=HttpRequest(), username=username, password=PASSWORD)


def august_and_september(user) -> None:
    """The contract's forty lines for August and September in one file; both months are
    complete, so they are confirmed on their own (and September evaluated)."""
    make_policy()  # from 2022-09
    body = usage_csv(AUG, CONTRACT) + usage_csv(SEP, CONTRACT, SEPTEMBER).split(b"\n", 1)[1]
    run_import(user, body, "usage-2022-08-09.csv")


# --- With the real worker ---------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_two_row_file_for_a_new_month_is_not_evaluated_and_the_full_file_replaces_it(
    celery_worker, leader, school_a
):
    from tests.traffic.test_reliability import drain

    august_and_september(leader)
    drain()
    assert evaluated(SEP) and open_cases() == set(SEPTEMBER)

    partial = run_import(leader, usage_csv(OCT, CONTRACT[:2], OCTOBER), "two-rows.csv")
    drain()
    october = state(OCT)
    assert (october.status, october.lines, october.contracted_lines) == ("imported", 2, 40)
    assert october.coverage_pct == 5
    assert not evaluated(OCT)
    assert open_cases() == set(SEPTEMBER)
    assert not CaseStep.objects.filter(month=OCT.first_day()).exists()
    with translation.override("ja"):
        [warning] = imports.warnings(ImportBatch.objects.get(pk=partial.pk))
    assert "5%" in warning and "2022年10月" in warning and "判定しません" in warning

    # The carrier's complete file for October replaces the two rows and, complete, is
    # confirmed and evaluated on its own.
    run_import(leader, usage_csv(OCT, CONTRACT, OCTOBER), "usage-2022-10.csv")
    drain()
    assert MonthlyUsage.objects.filter(month=OCT.first_day()).count() == 40
    assert state(OCT).status == "evaluated" and state(OCT).coverage_pct == 100
    assert evaluated(OCT)
    stages = dict(
        Case.objects.filter(closed_month__isnull=True).values_list("line__number", "stage")
    )
    assert stages == {CONTRACT[0]: 2, CONTRACT[1]: 2}
    assert Case.objects.get(line__number=CONTRACT[2]).closed_month == OCT.first_day()


@pytest.mark.celery_worker
def test_a_file_of_other_lines_does_not_close_the_open_cases(celery_worker, leader, school_a):
    from tests.traffic.test_reliability import drain

    august_and_september(leader)
    drain()
    run_import(leader, usage_csv(OCT, OTHERS), "other-contract.csv")
    drain()
    october = state(OCT)
    assert (october.status, october.covered_lines, october.coverage_pct) == ("imported", 0, 0)
    # Neither the post-import task, the beat's sweep nor the command evaluates it.
    tasks.sweep_undelivered.delay()
    drain()
    out = io.StringIO()
    call_command("run_escalation", stdout=out)
    assert "nothing to evaluate" in out.getvalue()
    with translation.override("ja"), pytest.raises(CommandError) as refused:
        call_command("run_escalation", "--month", "2022-10")
    assert "確定" in str(refused.value)
    assert not evaluated(OCT)
    assert open_cases() == set(SEPTEMBER)


@pytest.mark.celery_worker
def test_the_leader_confirms_a_month_after_seeing_its_coverage_and_it_is_evaluated(
    celery_worker, leader, school_a, client
):
    from tests.traffic.test_reliability import drain

    august_and_september(leader)
    drain()
    # One line really left the contract in October: 39 of 40 lines, 97.5%.
    run_import(leader, usage_csv(OCT, CONTRACT[:39], OCTOBER), "usage-2022-10.csv")
    drain()
    assert state(OCT).status == "imported" and not evaluated(OCT)

    login(client, "leader")
    url = reverse("traffic:month_confirm", kwargs={"month": "2022-10"})
    page = client.get(url).content.decode()
    assert (
        "97.50%" in page
        and "40 回線のうち 39 回線" in page
        and 'name="csrfmiddlewaretoken"' in page
    )
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("traffic:months")
    drain()
    october = state(OCT)
    assert (october.status, october.confirmed_by) == ("evaluated", leader.display_name)
    assert evaluated(OCT)
    entry = ObjectChange.objects.filter(action="confirm", object_id=str(october.pk)).get()
    assert entry.by == leader and entry.changes["status"] == ["imported", "confirmed"]


# --- Reopen (no worker: the actions stay unsent until delivered here) ---------------------


def evaluated_september_and_october(leader):
    make_policy()
    usage_import(file=io.BytesIO(usage_csv(AUG, CONTRACT)))
    usage_import(file=io.BytesIO(usage_csv(SEP, CONTRACT, SEPTEMBER)))
    services.evaluation_run(month=SEP)
    services.actions_deliver(
        action_ids=list(Action.objects.filter(month=SEP.first_day()).values_list("pk", flat=True))
    )
    usage_import(file=io.BytesIO(usage_csv(OCT, CONTRACT, OCTOBER)))
    services.evaluation_run(month=OCT)


@pytest.mark.django_db
def test_the_leader_reopens_a_month_its_evaluation_is_undone_and_a_new_file_replaces_it(
    leader, school_a, client
):
    evaluated_september_and_october(leader)
    assert Action.objects.filter(month=OCT.first_day()).count() == 2  # two ② notices
    assert SchoolNotice.objects.count() == 2
    september = sorted(Action.objects.filter(month=SEP.first_day()).values_list("pk", "state"))

    login(client, "leader")
    url = reverse("traffic:month_reopen", kwargs={"month": "2022-10"})
    page = client.get(url).content.decode()
    assert 'data-testid="reopen-undo"' in page
    response = client.post(url)
    assert response.status_code == 302

    assert not evaluated(OCT) and state(OCT).status == "imported"
    assert not CaseStep.objects.filter(month=OCT.first_day()).exists()
    assert not Action.objects.filter(month=OCT.first_day()).exists()
    assert not SchoolNotice.objects.exists()
    # The three September cases are back at step ①, the improved one open again.
    assert dict(Case.objects.values_list("line__number", "stage")) == dict.fromkeys(SEPTEMBER, 1)
    assert open_cases() == set(SEPTEMBER)
    assert sorted(Action.objects.filter(month=SEP.first_day()).values_list("pk", "state")) == (
        september
    )
    assert ObjectChange.objects.filter(
        action="delete", by=leader, object_repr="2022年10月"
    ).exists()

    # The month may be replaced now; complete, it is confirmed and evaluated again.
    usage_import(file=io.BytesIO(usage_csv(OCT, CONTRACT, {CONTRACT[0]: 250})))
    assert state(OCT).status == "confirmed"
    result = services.evaluation_run(month=OCT)
    assert (result.created, result.escalated, result.improved) == (True, 1, 2)


@pytest.mark.django_db
def test_a_month_whose_actions_were_sent_can_neither_be_reopened_nor_replaced(
    leader, school_a, client
):
    evaluated_september_and_october(leader)
    october_actions = list(
        Action.objects.filter(month=OCT.first_day()).values_list("pk", flat=True)
    )
    services.actions_deliver(action_ids=october_actions)
    assert set(Action.objects.filter(pk__in=october_actions).values_list("state", flat=True)) == {
        State.SENT
    }

    login(client, "leader")
    response = client.post(reverse("traffic:month_reopen", kwargs={"month": "2022-10"}))
    assert response.status_code == 409
    page = response.content.decode()
    assert "送信済み" in page and "取り消せません" in page
    assert evaluated(OCT) and state(OCT).status == "evaluated"
    assert Action.objects.filter(month=OCT.first_day()).count() == 2

    with translation.override("ja"), pytest.raises(TabularError) as refused, transaction.atomic():
        usage_import(file=io.BytesIO(usage_csv(OCT, CONTRACT)))
    [message] = refused.value.messages()
    assert "置き換えられません" in message and "送信済み" in message
    # September, before an evaluated month, waits for October: reopen it first.
    response = client.post(reverse("traffic:month_reopen", kwargs={"month": "2022-09"}))
    assert response.status_code == 409 and "2022-10" in response.content.decode()


@pytest.mark.django_db
def test_a_school_user_cannot_confirm_a_month(school_a_user, school_a, leader, client):
    make_policy()
    usage_import(file=io.BytesIO(usage_csv(AUG, CONTRACT)))
    usage_import(file=io.BytesIO(usage_csv(SEP, CONTRACT[:2], SEPTEMBER)))
    assert state(SEP).status == "imported"
    url = reverse("traffic:month_confirm", kwargs={"month": "2022-09"})
    response = client.post(url)
    assert response.status_code == 302 and "login" in response["Location"]
    login(client, "school_a_user")
    assert client.post(url).status_code == 403
    assert client.get(reverse("traffic:months")).status_code == 403
    assert state(SEP).status == "imported" and not evaluated(SEP)


@pytest.mark.django_db
def test_the_import_page_warns_about_a_file_that_covers_a_small_part_of_the_contract(
    leader, school_a, client
):
    usage_import(file=io.BytesIO(usage_csv(AUG, CONTRACT)))
    login(client, "leader")
    upload = SimpleUploadedFile("two-rows.csv", usage_csv(SEP, CONTRACT[:2]))
    response = client.post(reverse("traffic:import"), {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("traffic:months")
    page = response.content.decode()
    assert "alert-warning" in page
    assert "2022-09" in page and "5%" in page and "判定しません" in page  # the import's warning
    assert 'data-testid="coverage-warning"' in page  # and the month page's own
    assert state(SEP).status == "imported"


@pytest.mark.django_db
def test_the_automatic_confirmation_follows_the_setting(school_a, settings):
    usage_import(file=io.BytesIO(usage_csv(AUG, CONTRACT)))
    usage_import(file=io.BytesIO(usage_csv(SEP, CONTRACT[:39])))
    assert state(SEP).coverage_pct == 97.5 and state(SEP).status == "imported"
    settings.TRAFFIC_AUTO_CONFIRM_COVERAGE = 95
    usage_import(file=io.BytesIO(usage_csv(SEP, CONTRACT[1:40])))
    september = state(SEP)
    assert (september.status, september.confirmed_automatically) == ("confirmed", True)
    assert september.compared_with == AUG.first_day()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_the_months_already_stored_their_state():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("traffic", "0010_monthly_totals")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Line, Usage = old.get_model("traffic", "Line"), old.get_model("traffic", "MonthlyUsage")
    Policy, Evaluation = old.get_model("traffic", "Policy"), old.get_model("traffic", "Evaluation")
    lines = [Line.objects.create(number=f"070-6200-000{n}") for n in range(2)]
    for month, used in ((AUG, lines), (SEP, lines), (OCT, lines[:1])):
        for line in used:
            Usage.objects.create(line=line, month=month.first_day(), usage_mb=1024)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO traffic_monthlytotal (month, school_id, total_mb, lines)"
            " SELECT month, NULL, SUM(usage_mb), COUNT(*) FROM traffic_monthlyusage GROUP BY month"
        )
    policy = Policy.objects.create(effective_from=SEP.first_day())
    Evaluation.objects.create(month=SEP.first_day(), policy=policy)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    states = {
        Month.of(s.month): (s.status, s.coverage_pct) for s in UsageMonth.objects.order_by("month")
    }
    assert states == {AUG: ("confirmed", 100), SEP: ("evaluated", 100), OCT: ("imported", 50)}


@pytest.mark.django_db(transaction=True)
def test_an_evaluation_waits_for_a_reopen_of_the_month_before_and_is_then_refused(
    require_postgres, school_a, leader
):
    """A reopen of September and October's evaluation at the same moment: the evaluation
    waits for the reopen's locks (both months' states, in month order), checks again,
    and refuses, instead of evaluating October on a September taken back (found by a
    review: the check ran before any lock)."""
    import threading

    from django.db import connection

    make_policy()
    usage_import(file=io.BytesIO(usage_csv(AUG, CONTRACT)))
    usage_import(file=io.BytesIO(usage_csv(SEP, CONTRACT, SEPTEMBER)))
    services.evaluation_run(month=SEP)
    # Not sent yet (in-process, the delivery ran on commit): September may be reopened.
    Action.objects.filter(month=SEP.first_day()).update(
        state=State.PENDING, attempts=0, sent_at=None
    )
    usage_import(file=io.BytesIO(usage_csv(OCT, CONTRACT, OCTOBER)))
    assert state(OCT).status == UsageMonth.Status.CONFIRMED
    outcome: dict[str, str] = {}

    def evaluate_october():
        try:
            services.evaluation_run(month=OCT)
            outcome["result"] = "evaluated"
        except services.EvaluationRefused as exc:
            outcome["refused"] = str(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=evaluate_october)
    with transaction.atomic():
        month_reopen(by=leader, month=SEP)
        worker.start()
        worker.join(timeout=3)  # it waits on the locks this transaction holds
        assert worker.is_alive(), outcome
    worker.join(timeout=60)
    assert "refused" in outcome, outcome
    assert not evaluated(OCT) and not evaluated(SEP)
    assert state(SEP).status == UsageMonth.Status.IMPORTED
    assert state(OCT).status == UsageMonth.Status.CONFIRMED
