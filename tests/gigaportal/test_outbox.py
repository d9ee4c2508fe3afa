"""The one outbox (gigaportal/outbox.py), exercised on a real outbox model (support's
RequestEmail) with a `send` of the test's own: claims are exclusive, a failed send
backs off and finally fails, an uncertain one fails at once, the sweep flags stale
claims, a person's resend starts afresh, and publishing never raises into a page."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from celery import shared_task
from django.db import connection
from django.utils import timezone

from gigaportal import outbox
from gigaportal.models import ObjectChange
from gigaportal.outbox import DeliveryError, DeliveryUncertain, Outcome, State
from support.models import RequestEmail
from tests.support.factories import make_request


def make_email(request, **fields) -> RequestEmail:
    return RequestEmail.objects.create(
        request=request,
        recipient="aoba@schools.example.jp",
        subject="訪問日のお知らせ",
        body="…",
        **fields,
    )


@pytest.fixture
def support_request(school_a, school_a_user):
    return make_request(school=school_a, requested_by=school_a_user)


@pytest.fixture
def email(support_request) -> RequestEmail:
    return make_email(support_request)


class Sender:
    """A `send` that records what it was given and fails as told."""

    def __init__(self, *failures: Exception):
        self.failures = list(failures)
        self.sent: list[tuple[int, str]] = []

    def __call__(self, item):
        self.sent.append((item.pk, item.state))
        if self.failures:
            raise self.failures.pop(0)
        return None


def state_of(item) -> RequestEmail:
    return RequestEmail.objects.get(pk=item.pk)


def make_due(item) -> None:
    RequestEmail.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())


@pytest.fixture
def published(monkeypatch):
    """Tasks published by the outbox, recorded instead of run."""
    calls = []
    monkeypatch.setattr(
        outbox, "enqueue", lambda name, *args, countdown=None: calls.append((name, args, countdown))
    )
    return calls


# --- Claiming ----------------------------------------------------------------------------


def test_a_claim_is_taken_once_and_counts_an_attempt(email):
    assert outbox.claim(RequestEmail, email.pk) is True
    assert outbox.claim(RequestEmail, email.pk) is False  # already sending
    stored = state_of(email)
    assert (stored.state, stored.attempts) == (State.SENDING, 1)
    assert stored.claimed_at is not None


@pytest.mark.parametrize("state", [State.SENDING, State.SENT, State.FAILED])
def test_only_a_pending_row_can_be_claimed(support_request, state):
    item = make_email(support_request, state=state)
    assert outbox.claim(RequestEmail, item.pk) is False
    assert state_of(item).attempts == 0


def test_a_row_waiting_for_its_next_attempt_is_not_claimed_before_its_time(support_request):
    later = make_email(support_request, next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    due = make_email(support_request, next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert outbox.claim(RequestEmail, later.pk) is False
    assert outbox.claim(RequestEmail, due.pk) is True
    assert outbox.claim(RequestEmail, 10**9) is False  # no such row


def test_of_many_simultaneous_claims_exactly_one_wins(
    transactional_db, require_postgres, school_a, school_a_user
):
    # Committed rows and one connection per thread: PostgreSQL's row locks decide.
    item = make_email(make_request(school=school_a, requested_by=school_a_user))
    barrier = threading.Barrier(8)
    results = []

    def contend():
        try:
            barrier.wait()
            results.append(outbox.claim(RequestEmail, item.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert state_of(item).attempts == 1


# --- Delivering ----------------------------------------------------------------------------


def test_a_delivered_message_is_sent_once(email):
    send = Sender()
    assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.SENT, 0)
    assert send.sent == [(email.pk, State.SENDING)]  # sent while claimed
    stored = state_of(email)
    assert (stored.state, stored.attempts, stored.last_error) == (State.SENT, 1, "")
    assert stored.sent_at is not None and stored.is_sent
    assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.SKIPPED, 0)
    assert len(send.sent) == 1


def test_send_may_return_fields_saved_with_the_sent_state(email):
    outbox.deliver(
        RequestEmail, email.pk, send=lambda item: {"subject": "送信済み: " + item.subject}
    )
    assert state_of(email).subject == "送信済み: 訪問日のお知らせ"


def test_a_failed_send_backs_off_doubling_and_fails_after_max_attempts(email, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    assert RequestEmail.max_attempts == 5
    send = Sender(*(DeliveryError(f"SMTP 451 try {n}") for n in range(1, 6)))
    delays = []
    for attempt in range(1, 5):
        before = timezone.now()
        outcome, delay = outbox.deliver(RequestEmail, email.pk, send=send)
        assert outcome is Outcome.RETRY
        delays.append(delay)
        stored = state_of(email)
        assert (stored.state, stored.attempts) == (State.PENDING, attempt)
        assert stored.last_error == f"SMTP 451 try {attempt}"
        assert stored.claimed_at is None
        assert stored.next_attempt_at >= before + dt.timedelta(seconds=delay)
        # Not due yet: nobody sends it before its time.
        assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.SKIPPED, 0)
        assert email.pk not in outbox.due(RequestEmail)
        make_due(email)
    assert delays == [10, 20, 40, 80]

    assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.FAILED, 0)
    stored = state_of(email)
    assert (stored.state, stored.attempts, stored.last_error) == (State.FAILED, 5, "SMTP 451 try 5")
    assert len(send.sent) == 5
    make_due(email)
    assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.SKIPPED, 0)


def test_the_back_off_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    assert [outbox.backoff_seconds(RequestEmail, n) for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        RequestEmail.backoff_cap_seconds,
        RequestEmail.backoff_cap_seconds,
    ]
    del settings.OUTBOX_RETRY_BASE_SECONDS
    assert outbox.backoff_seconds(RequestEmail, 1) == RequestEmail.backoff_base_seconds


def test_an_uncertain_send_fails_at_once_with_the_message(email):
    send = Sender(DeliveryUncertain("timed out after the DATA command"))
    assert outbox.deliver(RequestEmail, email.pk, send=send) == (Outcome.FAILED, 0)
    stored = state_of(email)
    assert (stored.state, stored.attempts) == (State.FAILED, 1)
    assert stored.last_error == (
        f"{outbox.stored_text(outbox.UNCERTAIN_MESSAGE)} (timed out after the DATA command)"
    )
    assert stored.sent_at is None
    # Never resent on a guess.
    make_due(email)
    assert outbox.deliver(RequestEmail, email.pk, send=Sender()) == (Outcome.SKIPPED, 0)


def test_any_other_error_is_retried_and_never_leaves_the_row_sending(email):
    assert outbox.deliver(RequestEmail, email.pk, send=Sender(ZeroDivisionError()))[0] == (
        Outcome.RETRY
    )
    stored = state_of(email)
    assert (stored.state, stored.attempts) == (State.PENDING, 1)
    assert "ZeroDivisionError" in stored.last_error


def test_deliver_all_counts_outcomes_and_republishes_a_retry_for_its_time(
    support_request, settings, published
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    ok, flaky, uncertain, taken = (make_email(support_request) for _ in range(4))
    outbox.claim(RequestEmail, taken.pk)
    failures = {flaky.pk: DeliveryError("busy"), uncertain.pk: DeliveryUncertain("?")}

    def send(item):
        if item.pk in failures:
            raise failures[item.pk]

    outcomes = outbox.deliver_all(
        RequestEmail, [ok.pk, flaky.pk, uncertain.pk, taken.pk], send=send
    )
    assert outcomes == {"sent": 1, "retry": 1, "failed": 1, "skipped": 1}
    assert published == [(RequestEmail.task_name, ([flaky.pk],), 10)]


# --- The sweep and a person's resend ----------------------------------------------------------


def test_the_sweep_flags_stale_claims_failed_and_lists_what_is_due(support_request):
    now = timezone.now()
    stale = make_email(
        support_request,
        state=State.SENDING,
        claimed_at=now - outbox.stale_limit(RequestEmail) - dt.timedelta(minutes=1),
        attempts=1,
    )
    sending = make_email(support_request, state=State.SENDING, claimed_at=now, attempts=1)
    pending = make_email(support_request)
    retried = make_email(support_request, attempts=2, next_attempt_at=now - dt.timedelta(seconds=5))
    waiting = make_email(support_request, attempts=1, next_attempt_at=now + dt.timedelta(hours=1))
    sent = make_email(support_request, state=State.SENT)

    due, flagged = outbox.sweep(RequestEmail, now=now)
    assert flagged == 1
    assert due == [pending.pk, retried.pk]  # fewest attempts first
    assert (state_of(stale).state, state_of(stale).last_error) == (
        State.FAILED,
        str(outbox.STALE_MESSAGE),
    )
    for item, state in [(sending, State.SENDING), (waiting, State.PENDING), (sent, State.SENT)]:
        assert state_of(item).state == state
    assert outbox.sweep(RequestEmail, now=now) == ([pending.pk, retried.pk], 0)


def test_resend_resets_failed_messages_and_publishes_them_after_commit(
    support_request, leader, django_capture_on_commit_callbacks, published
):
    failed = make_email(support_request, state=State.FAILED, attempts=5, last_error="SMTP 550")
    sent = make_email(support_request, state=State.SENT, attempts=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = outbox.resend(RequestEmail, [failed.pk, sent.pk, 10**9], by=leader)
    assert ids == [failed.pk]
    stored = state_of(failed)
    assert (stored.state, stored.attempts, stored.last_error) == (State.PENDING, 0, "")
    assert stored.next_attempt_at is None and stored.claimed_at is None
    assert state_of(sent).state == State.SENT
    assert published == []  # not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert published == [(RequestEmail.task_name, ([failed.pk],), None)]
    # Once resent it goes out like a new message, with all its attempts.
    assert outbox.deliver(RequestEmail, failed.pk, send=Sender()) == (Outcome.SENT, 0)
    # The person's decision is in the change log.
    entry = ObjectChange.objects.get(action=ObjectChange.Action.RESEND)
    assert (entry.by, entry.object_id, entry.school) == (
        leader,
        str(failed.pk),
        support_request.school,
    )


def test_resend_of_nothing_failed_publishes_nothing(
    support_request, leader, django_capture_on_commit_callbacks
):
    pending = make_email(support_request)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert outbox.resend(RequestEmail, [pending.pk], by=leader) == []
    assert callbacks == []


# --- Publishing ------------------------------------------------------------------------------

RAN = []


@shared_task(name="tests.gigaportal.test_outbox.explodes")
def explodes(ids):
    RAN.append(ids)
    raise RuntimeError("the task failed")


@shared_task(name="tests.gigaportal.test_outbox.records")
def records(ids):
    RAN.append(ids)


@pytest.mark.usefixtures("eager_tasks")
def test_enqueue_runs_a_task_by_name():
    RAN.clear()
    assert outbox.enqueue("tests.gigaportal.test_outbox.records", [1, 2]) is True
    assert RAN == [[1, 2]]


@pytest.mark.usefixtures("eager_tasks")
def test_enqueue_of_a_task_that_raises_or_does_not_exist_does_not_raise(caplog):
    RAN.clear()
    assert outbox.enqueue("tests.gigaportal.test_outbox.explodes", [3]) is False
    assert RAN == [[3]]  # it ran (eagerly, without a broker) and failed
    assert outbox.enqueue("tests.gigaportal.test_outbox.no_such_task", [4]) is False
    assert outbox.enqueue("no_such_module.tasks.send", [5]) is False
    assert "the sweep will" in caplog.text


@pytest.mark.usefixtures("eager_tasks")
def test_enqueue_on_commit_waits_for_the_commit_and_skips_empty_lists(
    db, django_capture_on_commit_callbacks
):
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outbox.enqueue_on_commit("tests.gigaportal.test_outbox.records", [])
        outbox.enqueue_on_commit("tests.gigaportal.test_outbox.explodes", (6,))
        outbox.enqueue_on_commit("tests.gigaportal.test_outbox.records", (7, 8))
        assert RAN == []
    assert len(callbacks) == 2
    assert RAN == [[6], [7, 8]]  # the failing one did not stop the next
