"""A delivery worker really killed (SIGKILL) in the middle of its work.

The worker is a separate OS process (`celery worker`) on the real Redis broker and the
test database; the MDM webhook is a real HTTP server on 127.0.0.1 that holds the first
request open, so the worker is killed inside the POST. Nothing of it is simulated: the
broker holds the task unacknowledged (acks_late), gives it to a second worker once the
visibility timeout has passed, and the second worker runs it again. The claim
(pending → sending, a conditional update) is what keeps the second run from sending the
message again; an action left claimed is flagged by the sweep for a person.

The workers use the prefork pool, as deployed (docker-compose.yml), with one child. Not
the solo pool: solo runs the task inside the event loop, where Celery only schedules the
early acknowledgement (`hub.call_soon`), so under solo a task without acks_late is
redelivered all the same and this test could not tell acks_late was lost. With prefork
the parent acknowledges while the child works, and killing only the child exercises
task_reject_on_worker_lost.
"""

from __future__ import annotations

import ast
import base64
import collections
import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from gigaportal.calendar import Month
from gigaportal.celery import app
from gigaportal.outbox import State
from tests.conftest import _unavailable
from tests.factories import make_school
from tests.gigaportal.test_celery_worker import wait_for
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action

pytestmark = pytest.mark.celery_worker

SEP, OCT = Month(2022, 9), Month(2022, 10)
VISIBILITY_TIMEOUT = 5  # seconds before Redis hands an unacknowledged task out again
STARTUP_SECONDS = 60  # a worker process starting on a busy 2-core machine
HOLD_SECONDS = 120  # the longest the webhook keeps a request open (released at teardown)
WEBHOOK_SECRET = "worker-kill-secret"


# --- The MDM webhook: a real HTTP server that keeps the first request open ------------


class HoldingWebhook:
    """Records every POST; the first one is held open (the sender is mid-delivery)
    until `release` is set, the others are answered 200 at once."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.url = ""

    def deliveries(self) -> collections.Counter:
        with self.lock:
            return collections.Counter(r["delivery"] for r in self.requests)

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "delivery": int(self.headers["X-Gigaportal-Delivery"]),
                            "json": json.loads(body),
                        }
                    )
                    hold = not receiver.holding.is_set()
                    receiver.holding.set()
                if hold:
                    receiver.release.wait(timeout=HOLD_SECONDS)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender was killed while we held it
                    pass

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def mdm():
    receiver = HoldingWebhook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/mdm/messages"
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()


# --- Worker processes and what the broker holds -----------------------------------------


@dataclass(frozen=True)
class BrokerTask:
    id: str
    args: list
    delivered_at: float | None = None  # when a worker took it (unacknowledged tasks only)


class Worker:
    def __init__(self, name: str, process: subprocess.Popen, log_path: Path):
        self.name, self.process, self.log_path = name, process, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def result(self, task_id: str):
        """The return value the worker logged for a task, or None while it has not run."""
        match = re.search(rf"\[{task_id}\] succeeded in [\d.]+s: (.*)\n", self.log())
        return ast.literal_eval(match.group(1)) if match else None

    def kill(self) -> None:
        """SIGKILL to the worker and its pool child (the process group this test
        created for it): no warm shutdown, nothing acknowledged or given back."""
        if self.process.poll() is not None:
            return  # already dead: its group id is no longer ours to signal
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def pool_children(self) -> list[int]:
        """The pids of the worker's pool processes (Linux /proc)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children


class Workers:
    """Starts `celery worker` processes on a queue of their own, with the test
    database and the webhook in their environment; kills them all at teardown."""

    def __init__(self, *, queue: str, env: dict[str, str], log_dir: Path, redis):
        self.queue, self.env, self.log_dir, self.redis = queue, env, log_dir, redis
        self.started: list[Worker] = []

    def start(self, name: str) -> Worker:
        log_path = self.log_dir / f"worker-{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gigaportal",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "-Q",
            self.queue,
            "-n",
            f"{name}-{self.queue}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=Path(__file__).resolve().parents[2],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: the parent and its child
            )
        worker = Worker(name, process, log_path)
        self.started.append(worker)
        return worker

    def _task(self, raw: bytes, delivered_at: float | None = None) -> BrokerTask:
        message = json.loads(raw)
        if isinstance(message, list):  # the unacked hash stores [message, exchange, key]
            message = message[0]
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args, _kwargs, _embed = json.loads(body)
        return BrokerTask(id=message["headers"]["id"], args=args[0], delivered_at=delivered_at)

    def queued(self) -> list[BrokerTask]:
        return [self._task(raw) for raw in self.redis.lrange(self.queue, 0, -1)]

    def unacknowledged(self) -> list[BrokerTask]:
        """Tasks a worker took from this queue and never acknowledged."""
        tasks = []
        for tag, raw in self.redis.hgetall("unacked").items():
            if json.loads(raw)[2] == self.queue:
                tasks.append(self._task(raw, self.redis.zscore("unacked_index", tag)))
        return tasks

    def all_acknowledged(self) -> bool:
        return not self.unacknowledged() and not self.queued()

    def the_unacknowledged_task(self) -> BrokerTask:
        taken = self.unacknowledged()
        assert len(taken) == 1, f"the broker holds {taken} unacknowledged, not the one task"
        return taken[0]

    def cleanup(self) -> None:
        for worker in self.started:
            worker.kill()
        self.redis.delete(
            self.queue,
            f"_kombu.binding.{self.queue}",
            f"_kombu.binding_permanent.{self.queue}",
        )
        for tag, raw in self.redis.hgetall("unacked").items():
            if json.loads(raw)[2] == self.queue:
                self.redis.hdel("unacked", tag)
                self.redis.zrem("unacked_index", tag)


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def workers(transactional_db, mdm, settings, tmp_path):
    import redis

    if not settings.REDIS_URL:
        _unavailable("REDIS_URL is not set: no broker for a worker process")
    if connection.vendor != "postgresql":
        _unavailable("a worker process needs the test database on PostgreSQL (DATABASE_URL)")
    queue = f"traffic-kill-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # test_<name>: the rows this test commits
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only-not-secret",
        "HTTPS": "false",
        "DEBUG": "false",
        "TRAFFIC_TABLET_BACKEND": "webhook",
        "TRAFFIC_WEBHOOK_URL": mdm.url,
        "TRAFFIC_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)  # gigaportal.celery sets it
    client = redis.Redis.from_url(settings.REDIS_URL)
    manager = Workers(queue=queue, env=env, log_dir=tmp_path, redis=client)
    # The evaluation's own publish (on commit) goes to this test's queue.
    saved_routes, saved_eager = app.conf.task_routes, app.conf.task_always_eager
    app.conf.update(
        task_routes={"traffic.tasks.deliver_actions": {"queue": queue}}, task_always_eager=False
    )
    try:
        yield manager
    finally:
        mdm.release.set()
        manager.cleanup()
        app.conf.update(task_routes=saved_routes, task_always_eager=saved_eager)
        client.close()


def visible_again(task: BrokerTask) -> bool:
    """The visibility timeout of a task taken by a dead worker has passed."""
    return time.time() > task.delivered_at + VISIBILITY_TIMEOUT + 1


def heavy_line(number: str, *usage: tuple[Month, int]):
    school = make_school(code=f"K{number[-3:]}", name=f"試験校{number[-3:]}")
    line = make_line(school=school, number=number)
    for month, gb in usage:
        set_usage(line, month, gb)
    return line


# --- The tests --------------------------------------------------------------------------


def test_a_worker_killed_inside_the_webhook_post_is_redelivered_and_never_sends_twice(workers, mdm):
    make_policy()
    heavy_line("070-4444-0001", (SEP, 300))
    # One caution (①) for the tablet; its delivery task is published on commit.
    [action_id] = services.evaluation_run(month=SEP).action_ids

    first = workers.start("first")
    assert wait_for(mdm.holding.is_set, seconds=STARTUP_SECONDS), first.log()
    time.sleep(1)
    print("BEFORE KILL", workers.unacknowledged(), workers.queued())
    first.kill()  # mid-delivery: the POST reached the MDM, no answer came back
    print("AFTER KILL", workers.unacknowledged(), workers.queued())

    action = Action.objects.get(id=action_id)
    assert (action.state, action.attempts) == (State.SENDING, 1)
    # The broker still holds the task, taken and never acknowledged.
    assert workers.queued() == []
    task = workers.the_unacknowledged_task()
    assert task.args == [action_id]

    assert wait_for(lambda: visible_again(task), seconds=VISIBILITY_TIMEOUT + 5)
    second = workers.start("second")
    assert wait_for(lambda: second.result(task.id) is not None, seconds=STARTUP_SECONDS), (
        second.log()
    )

    # The second worker ran the redelivered task and found the claim taken.
    assert second.result(task.id) == {"skipped": 1}
    assert f"[{task.id}] received" in second.log()
    # Acknowledged (the parent acks just after the child logs the result).
    assert wait_for(workers.all_acknowledged, seconds=30)
    # Exactly one message reached the MDM, and it was this action's.
    assert mdm.deliveries() == {action_id: 1}
    action.refresh_from_db()
    assert (action.state, action.attempts) == (State.SENDING, 1)

    # As documented: the sweep does not resend a stale claim, it flags it for a person.
    due, stale = services.actions_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert (due, stale) == ([], 1)
    action.refresh_from_db()
    assert action.state == State.FAILED
    assert action.last_error
    assert mdm.deliveries() == {action_id: 1}


def test_work_a_killed_worker_had_not_claimed_yet_goes_out_exactly_once_from_the_next(workers, mdm):
    make_policy()
    heavy_line("070-4444-0011", (SEP, 250))
    heavy_line("070-4444-0012", (SEP, 260))
    heavy_line("070-4444-0013", (OCT, 270))
    # September: two cautions in one delivery task.
    september = services.evaluation_run(month=SEP).action_ids
    assert len(september) == 2

    first = workers.start("first")
    assert wait_for(mdm.holding.is_set, seconds=STARTUP_SECONDS), first.log()
    [held] = mdm.deliveries()
    [unclaimed] = set(september) - {held}
    # October, evaluated while the worker is stuck: its task waits behind.
    [october] = services.evaluation_run(month=OCT).action_ids

    first.kill()

    statuses = dict(Action.objects.values_list("id", "state"))
    assert statuses == {
        held: State.SENDING,
        unclaimed: State.PENDING,  # in the task the worker had taken, not reached
        october: State.PENDING,  # in a task still queued
    }
    taken = workers.the_unacknowledged_task()
    assert sorted(taken.args) == sorted(september)
    waiting = workers.queued()
    assert [task.args for task in waiting] == [[october]]

    assert wait_for(lambda: visible_again(taken), seconds=VISIBILITY_TIMEOUT + 5)
    second = workers.start("second")
    assert wait_for(
        lambda: second.result(taken.id) is not None and second.result(waiting[0].id) is not None,
        seconds=STARTUP_SECONDS,
    ), second.log()

    # The redelivered task skipped the claimed action and sent the one never reached.
    assert second.result(taken.id) == {"skipped": 1, "sent": 1}
    assert second.result(waiting[0].id) == {"sent": 1}
    # Acknowledged (the parent acks just after the child logs the result).
    assert wait_for(workers.all_acknowledged, seconds=30)
    assert mdm.deliveries() == {held: 1, unclaimed: 1, october: 1}
    statuses = dict(Action.objects.values_list("id", "state"))
    assert statuses == {
        held: State.SENDING,
        unclaimed: State.SENT,
        october: State.SENT,
    }
    assert set(Action.objects.filter(state=State.SENT).values_list("backend", flat=True)) == {
        "webhook"
    }

    due, stale = services.actions_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert (due, stale) == ([], 1)
    assert Action.objects.get(id=held).state == State.FAILED
    assert mdm.deliveries() == {held: 1, unclaimed: 1, october: 1}


def test_a_pool_child_killed_inside_the_post_is_rejected_back_and_never_sends_twice(workers, mdm):
    """The kernel's OOM killer takes the pool process, the worker itself lives on:
    task_reject_on_worker_lost puts the task back at once, the next child runs it."""
    make_policy()
    heavy_line("070-4444-0021", (SEP, 300))
    [action_id] = services.evaluation_run(month=SEP).action_ids

    worker = workers.start("only")
    assert wait_for(mdm.holding.is_set, seconds=STARTUP_SECONDS), worker.log()
    [child] = worker.pool_children()
    task = workers.the_unacknowledged_task()
    os.kill(child, signal.SIGKILL)

    assert wait_for(lambda: worker.result(task.id) is not None, seconds=STARTUP_SECONDS), (
        worker.log()
    )
    assert "WorkerLostError" in worker.log()
    assert worker.result(task.id) == {"skipped": 1}
    assert worker.process.poll() is None  # the same worker, a new pool process
    # Acknowledged (the parent acks just after the child logs the result).
    assert wait_for(workers.all_acknowledged, seconds=30)
    assert mdm.deliveries() == {action_id: 1}

    due, stale = services.actions_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert (due, stale) == ([], 1)
    assert Action.objects.get(id=action_id).state == State.FAILED
