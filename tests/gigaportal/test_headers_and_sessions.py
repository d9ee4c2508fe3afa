"""Headers and sessions (issue 13, finding 11): a strict CSP, Permissions-Policy, no
caching of signed-in pages and downloads, an idle timeout, length and rate limits, and a
health check that tells its details only to the operators."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gigaportal.middleware import IdleSessionTimeoutMiddleware
from support.models import SupportRequest
from tests.factories import submit_token

pytestmark = pytest.mark.django_db


def test_every_page_has_a_strict_content_security_policy(client, support_staff):
    client.force_login(support_staff)
    for url in ("/", reverse("login"), reverse("devices:record")):
        policy = client.get(url)["Content-Security-Policy"]
        script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_no_template_carries_an_inline_script_or_handler():
    import re
    from pathlib import Path

    from django.conf import settings

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|javascript:", re.I)
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if inline.search(path.read_text())
        # JSON data islands are not scripts a browser runs.
        and not all("application/json" in m for m in inline.findall(path.read_text()))
    ]
    assert offenders == []


def test_pages_say_which_browser_features_are_off(client):
    policy = client.get(reverse("login"))["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy


def test_signed_in_pages_and_downloads_are_never_cached(client, school_a_user):
    client.force_login(school_a_user)
    page = client.get("/")
    history = client.get(
        reverse("support:school_history", args=[school_a_user.school_id]) + "?download=csv"
    )
    assert page["Cache-Control"] == "no-store, private"
    assert history.status_code == 200 and history["Cache-Control"] == "no-store, private"


def _age_session(client, seconds: int) -> None:
    session = client.session
    session[IdleSessionTimeoutMiddleware.KEY] = int(time.time()) - seconds
    session.save()


@pytest.mark.parametrize(
    ("user_name", "idle", "signed_out"),
    [
        ("school_a_user", 7 * 3600, False),
        ("school_a_user", 8 * 3600 + 60, True),
        ("support_staff", 8 * 3600 + 60, True),
        ("admin", 50 * 60, False),
        ("admin", 61 * 60, True),
    ],
)
def test_an_idle_session_ends_with_a_japanese_message(request, client, user_name, idle, signed_out):
    user = request.getfixturevalue(user_name)
    client.force_login(user)
    client.get("/")
    _age_session(client, idle)
    response = client.get("/", follow=True)
    if not signed_out:
        assert response.context["user"] == user
        return
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert not response.context["user"].is_authenticated
    assert "操作がなかったため、ログアウトしました" in response.content.decode()


def test_a_request_text_longer_than_4000_characters_is_refused(client, school_a_user):
    client.force_login(school_a_user)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = {
        "kind": "visit",
        "preferred_date_1": day,
        "details": "あ" * 4001,
        "submit_token": submit_token(school_a_user),
    }
    response = client.post(reverse("support:request_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "4000" in page and "文字以下" in page
    assert not SupportRequest.objects.exists()
    data["details"] = "あ" * 4000
    assert client.post(reverse("support:request_create"), data).status_code == 302


@override_settings(RATE_LIMIT_REQUESTS=3)
def test_requests_past_the_rate_limit_are_refused_in_japanese(client, school_a_user, leader):
    client.force_login(school_a_user)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = {"kind": "visit", "preferred_date_1": day, "details": "電子黒板"}
    # Five different requests, each from its own page (a token each).
    statuses = [
        client.post(
            reverse("support:request_create"), {**data, "submit_token": submit_token(school_a_user)}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert SupportRequest.objects.count() == 3
    refused = client.post(
        reverse("support:request_create"), {**data, "submit_token": submit_token(school_a_user)}
    )
    assert "短い時間に何度も送信" in refused.content.decode()
    # The limit is per person: the leader still asks for the school.
    client.force_login(leader)
    data["school"] = school_a_user.school_id
    data["submit_token"] = submit_token(leader)
    assert client.post(reverse("support:request_create"), data).status_code == 302


@override_settings(RATE_LIMIT_UPLOADS=2)
def test_uploads_past_the_rate_limit_are_refused(client, leader):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(leader)
    statuses = []
    for n in range(3):
        upload = SimpleUploadedFile(
            "schools.csv", f"学校コード,学校名,校種\nX{n:03d},テスト,小学校\n".encode()
        )
        statuses.append(client.post(reverse("schools:import"), {"file": upload}).status_code)
    assert statuses[:2] != [429, 429] and statuses[2] == 429


def test_healthz_tells_details_only_to_allowed_addresses(client):
    inside = client.get("/healthz").json()
    assert set(inside) >= {"status", "database", "broker"}
    outside = client.get("/healthz", REMOTE_ADDR="203.0.113.5")
    assert outside.json() == {"status": outside.json()["status"]}
    assert outside.json()["status"] in ("ok", "unhealthy")
    with override_settings(HEALTHZ_ALLOWED_IPS=["203.0.113.0/24"]):
        assert "database" in client.get("/healthz", REMOTE_ADDR="203.0.113.5").json()
