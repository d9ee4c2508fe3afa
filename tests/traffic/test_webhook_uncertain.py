"""A webhook that takes the request but never answers: the message may have arrived,
so it is not sent again on a guess; a person checks and sends it again from admin."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from gigaportal.calendar import Month
from gigaportal.outbox import Outcome, State
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action

pytestmark = pytest.mark.django_db
SEP = Month(2022, 9)


@pytest.fixture
def silent_webhook(settings):
    """Reads each request in full, then keeps the connection without answering."""
    received: list[bytes] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            release.wait(10)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TRAFFIC_TABLET_BACKEND = "webhook"
    settings.TRAFFIC_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/mdm"
    settings.TRAFFIC_WEBHOOK_SECRET = "test-shared-secret"
    settings.TRAFFIC_WEBHOOK_TIMEOUT_SECONDS = 0.5
    yield received
    release.set()
    server.shutdown()
    server.server_close()


def _caution(school):
    make_policy()
    line = make_line(school=school)
    set_usage(line, SEP, 250)
    services.evaluation_run(month=SEP)
    return Action.objects.get(kind="tablet_caution")


def test_a_request_without_an_answer_is_flagged_for_a_person_and_never_resent(
    silent_webhook, school_a
):
    action = _caution(school_a)
    assert services.actions_deliver(action_ids=[action.id]) == {Outcome.FAILED: 1}
    action.refresh_from_db()
    assert action.state == State.FAILED
    assert "check whether it arrived" in action.last_error or "届いたか" in action.last_error
    # Another delivery attempt and the sweep leave it alone: one request in all.
    assert services.actions_deliver(action_ids=[action.id]) == {Outcome.SKIPPED: 1}
    assert action.id not in services.actions_sweep()[0]
    assert len(silent_webhook) == 1


def test_an_unreachable_webhook_is_retried_because_nothing_arrived(settings, school_a):
    settings.TRAFFIC_TABLET_BACKEND = "webhook"
    settings.TRAFFIC_WEBHOOK_URL = "http://127.0.0.1:9/mdm"  # discard port: refused
    settings.TRAFFIC_WEBHOOK_SECRET = "test-shared-secret"
    action = _caution(school_a)
    before = timezone.now()
    # The retry is published with its delay (run at once here, with no broker: the
    # row is not due yet, so that run skips it).
    assert services.actions_deliver(action_ids=[action.id]) == {Outcome.RETRY: 1}
    action.refresh_from_db()
    assert action.state == State.PENDING
    assert action.attempts == 1 and "unreachable" in action.last_error
    # Back-off: not due again before a delay has passed.
    assert action.next_attempt_at is not None and action.next_attempt_at > before
    assert action.id not in services.actions_sweep()[0]
