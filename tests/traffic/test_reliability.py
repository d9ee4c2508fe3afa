"""Delivery guarantees against the real services: PostgreSQL, the Redis broker, a real
Celery worker, a real SMTP server and a real HTTP webhook receiver on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import itertools
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gigaportal import imports, outbox
from gigaportal.calendar import Month
from gigaportal.celery import app
from gigaportal.models import Heartbeat, ImportBatch
from gigaportal.outbox import State
from gigaportal.scope import COMMAND_LINE
from gigaportal.tasks import heartbeat, sweep_outboxes
from tests.concurrency import in_two_threads
from tests.factories import make_school
from tests.gigaportal.test_celery_worker import wait_for
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services, tasks
from traffic.models import Action, Case, CaseStep, Evaluation, MonthlyUsage, SchoolNotice

pytestmark = pytest.mark.celery_worker
SEP, OCT = Month(2022, 9), Month(2022, 10)
_drains = itertools.count(1)


def drain() -> None:
    """Waits until the worker has handled everything published before this call (the
    solo worker takes messages in order, one at a time)."""
    name = f"drain-{next(_drains)}"
    heartbeat.delay(name)
    assert wait_for(lambda: Heartbeat.objects.filter(name=name).exists(), seconds=30)


def all_sent() -> bool:
    return Action.objects.exists() and not Action.objects.exclude(state=State.SENT).exists()


def heavy_school_line():
    school = make_school(code="E900", name="試験小学校", email="e900@schools.example.jp")
    make_policy()
    line = make_line(school=school, number="070-5555-0001")
    set_usage(line, SEP, 300)
    set_usage(line, OCT, 150)
    return school, line


def test_concurrent_and_repeated_evaluations_and_redelivered_tasks_send_each_action_once(
    celery_worker, smtp_server, webhook_server
):
    school, line = heavy_school_line()
    for month in (SEP, OCT):
        results = in_two_threads(lambda m=month: services.evaluation_run(month=m))
        assert sorted(r.created for r in results) == [False, True]
    assert wait_for(all_sent, seconds=30)

    # Everything again: evaluations, and the delivery messages (as a broker redelivers).
    services.evaluation_run(month=OCT)
    ids = list(Action.objects.values_list("id", flat=True))
    tasks.deliver_actions.delay(ids)
    tasks.deliver_actions.delay(ids)
    drain()

    assert Evaluation.objects.count() == 2
    assert list(Action.objects.order_by("stage").values_list("kind", "backend")) == [
        ("tablet_caution", "webhook"),
        ("school_notice", "email"),
    ]
    # ① went to the MDM webhook once, signed; ② to the school's address once.
    [request] = webhook_server.requests
    expected = (
        "sha256=" + hmac.new(b"test-shared-secret", request["body"], hashlib.sha256).hexdigest()
    )
    assert request["headers"]["X-Gigaportal-Signature"] == expected
    assert request["json"]["line_number"] == line.number
    assert request["json"]["kind"] == "tablet_caution"
    assert "2022年9月" in request["json"]["message"]
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [school.email]
    body = mail.content.decode("utf-8", errors="replace")
    assert "Subject:" in body


def test_a_delivery_redelivered_after_its_worker_died_never_sends_a_second_message(
    celery_worker, smtp_server, admin
):
    heavy_school_line()
    services.evaluation_run(month=SEP)
    assert wait_for(all_sent, seconds=30)
    with transaction.atomic():
        services.evaluation_run(month=OCT)
        notice_action = Action.objects.get(stage=2)
        # A worker claimed it and died (before or after its SMTP conversation: the
        # portal cannot tell). The broker now redelivers the task, more than once.
        assert outbox.claim(Action, notice_action.id)
    tasks.deliver_actions.delay([notice_action.id])
    tasks.deliver_actions.delay([notice_action.id])
    drain()
    notice_action.refresh_from_db()
    assert notice_action.state == State.SENDING
    assert smtp_server.messages == []

    # The sweep flags the stale claim for a person; it never resends on a guess.
    due, stale = services.actions_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert (due, stale) == ([], 1)
    notice_action.refresh_from_db()
    assert notice_action.state == State.FAILED
    sweep_outboxes.delay()
    drain()
    assert smtp_server.messages == []

    # Having checked, the center sends it again: exactly one message goes out.
    assert services.actions_resend(by=admin, action_ids=[notice_action.id]) == 1
    assert wait_for(all_sent, seconds=30)
    drain()
    assert len(smtp_server.messages) == 1

    # And the database itself refuses a second action for the same case and step.
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.create(
            case=notice_action.case, stage=2, kind="school_notice", month=OCT.first_day()
        )


@contextmanager
def broker_down():
    """Points the app's producers at a port where no Redis listens."""
    saved = (
        app.conf.broker_url,
        app._pool,
        app.amqp._producer_pool,
        app.conf.broker_connection_timeout,
    )
    app.conf.broker_url = "redis://127.0.0.1:6390/1"
    app.conf.broker_connection_timeout = 1
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        (
            app.conf.broker_url,
            app._pool,
            app.amqp._producer_pool,
            app.conf.broker_connection_timeout,
        ) = saved


def test_with_redis_down_imports_and_evaluations_commit_and_actions_go_out_after_the_sweep(
    celery_worker, smtp_server
):
    school = make_school(code="E901", name="試験第二小学校", email="e901@schools.example.jp")
    make_policy()
    csv = (
        "回線番号,利用月,通信量(GB),学校コード\n"
        "070-5555-0002,2022-09,300,E901\n"
        "070-5555-0002,2022-10,250,E901\n"
        "070-5555-0003,2022-09,1,E901\n"
        # Every line under contract each month: October is complete, so it is confirmed
        # and due (traffic.services.months).
        "070-5555-0003,2022-10,1,E901\n"
    )
    with broker_down():
        # The import as the command and the page run it: one batch, committed.
        batch = imports.batch_import(
            kind="traffic_usage", file=io.BytesIO(csv.encode()), by=COMMAND_LINE, name="usage.csv"
        )
        assert (batch.status, batch.created) == (ImportBatch.Status.DONE, 4)
        # The post-import evaluation could not be queued; a leader evaluates by hand.
        assert services.evaluation_run(month=SEP).created
    assert MonthlyUsage.objects.count() == 4
    assert Case.objects.count() == 1
    assert list(Action.objects.values_list("state", flat=True)) == [State.PENDING]
    assert not Evaluation.objects.filter(month=OCT.first_day()).exists()

    # The broker is back: the beat's sweeps evaluate October and send everything, once.
    tasks.sweep_undelivered.delay()
    sweep_outboxes.delay()
    assert wait_for(lambda: Action.objects.count() == 2 and all_sent(), seconds=30)
    tasks.sweep_undelivered.delay()
    sweep_outboxes.delay()
    drain()
    assert CaseStep.objects.count() == 2
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [school.email]
    assert SchoolNotice.objects.get().school == school


def test_a_failing_webhook_is_retried_with_backoff_and_delivered_once(
    celery_worker, webhook_server, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0.5
    webhook_server.fail_first = 1
    heavy_school_line()
    services.evaluation_run(month=SEP)
    assert wait_for(all_sent, seconds=30)
    action = Action.objects.get()
    assert action.attempts == 2
    first, second = webhook_server.requests
    assert first["headers"]["X-Gigaportal-Delivery"] == second["headers"]["X-Gigaportal-Delivery"]
    assert first["body"] == second["body"]


def test_a_large_upload_is_imported_by_the_worker_and_its_page_polls_the_status(
    celery_worker, client, leader, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    rows = "".join(f"070-6666-{i:04d},2022-09,{i % 50}.5\n" for i in range(3000))
    big = ("line_number,month,usage_gb\n" + rows).encode()
    bad = (
        "line_number,month,usage_gb\n"
        + "".join(rows.splitlines(keepends=True)[:100])
        + "070-7777-0001,2022-10,x\n"
    ).encode()
    client.force_login(leader)
    settings.IMPORT_INLINE_MAX_BYTES = 1000  # both files count as large

    response = client.post("/traffic/import/", {"file": SimpleUploadedFile("big.csv", big)})
    batch = ImportBatch.objects.get()
    assert batch.kind == "traffic_usage"
    assert response["Location"] == f"/imports/{batch.pk}/"
    assert client.get(response["Location"]).status_code == 200
    assert wait_for(lambda: client.get(f"/imports/{batch.pk}/status/").json()["status"] == "done")
    status = client.get(f"/imports/{batch.pk}/status/").json()
    assert (status["rows"], status["percent"], status["finished"]) == (3000, 100, True)
    assert status["details"]["months"] == ["2022-09"]
    assert MonthlyUsage.objects.count() == 3000

    client.post("/traffic/import/", {"file": SimpleUploadedFile("bad.csv", bad)})
    failed = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert wait_for(
        lambda: client.get(f"/imports/{failed.pk}/status/").json()["status"] == "failed"
    )
    errors = client.get(f"/imports/{failed.pk}/status/").json()["errors"]
    assert errors == ["102行目、列「usage_gb」：'x' は数値ではありません"]
    assert MonthlyUsage.objects.count() == 3000
