"""/healthz against the real PostgreSQL and Redis: 200 when both answer, 503 otherwise."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from gigaportal.celery import app
from tests.conftest import _unavailable as unavailable

pytestmark = pytest.mark.django_db

# Nothing listens here: a broker that is down.
UNREACHABLE_BROKER = "redis://:s3cret-broker-password@127.0.0.1:6390/0"


@pytest.fixture
def real_broker():
    if not settings.REDIS_URL:
        # A skip on a laptop without Redis, a failure in CI (tests/conftest.py).
        unavailable("REDIS_URL is not set: the broker is in-process")
    return settings.REDIS_URL


@pytest.fixture
def broker_down(real_broker):
    original = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_BROKER
    try:
        with override_settings(CELERY_BROKER_URL=UNREACHABLE_BROKER):
            yield
    finally:
        app.conf.broker_url = original


def test_it_is_healthy_when_the_database_and_the_real_broker_answer(client, real_broker):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_it_is_unhealthy_when_the_broker_is_unreachable_and_says_nothing_secret(
    client, broker_down
):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["database"] == "ok"
    assert body["broker"] not in ("ok", "in-process")
    assert "s3cret" not in response.content.decode()
    assert "6390" not in response.content.decode()


def test_it_recovers_when_the_broker_is_back(client, real_broker):
    original = app.conf.broker_url
    app.conf.broker_url = UNREACHABLE_BROKER
    try:
        assert client.get("/healthz").status_code == 503
    finally:
        app.conf.broker_url = original
    assert client.get("/healthz").status_code == 200


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_without_a_broker_tasks_run_in_process_and_that_is_healthy(client):
    body = client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "beat_last_seen": None,
    }


def test_it_answers_anonymous_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_the_browsers_favicon_request_is_a_redirect_that_sets_no_csrf_cookie(client):
    """Chromium asks for /favicon.ico beside the login page; answered by the 404 page,
    a request that left before the login page's cookie was stored got a new CSRF cookie,
    and the login form's token then failed (seen in a browser test)."""
    response = client.get("/favicon.ico")
    # Not permanent (the target's name has the icon's hash): browsers ask again daily.
    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    assert response["Location"].endswith("gigaportal/favicon.svg")
    assert "csrftoken" not in response.cookies
