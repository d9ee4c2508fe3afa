"""Login lockout (issue 13, finding 1): a username is locked from one address after a
few wrong passwords, for a cool-off, never a whole address; logins are in the change log."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from gigaportal.clientip import client_ip_from, ip_allowed
from gigaportal.models import ObjectChange
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _login(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, school_a_user):
    for _ in range(30):
        assert not _logged_in(_login(client, "school_a_user", "wrong"))
    response = _login(client, "school_a_user", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "ログインを一時的に停止しています" in page and "15分間" in page
    assert "_auth_user_id" not in client.session


def test_another_user_at_the_same_address_is_not_locked(client, school_a_user, support_staff):
    for _ in range(10):
        _login(client, "school_a_user", "wrong")
    assert _logged_in(_login(client, "support_staff", PASSWORD))


def test_the_same_user_from_another_address_is_not_locked(client, school_a_user):
    for _ in range(10):
        _login(client, "school_a_user", "wrong", REMOTE_ADDR="10.0.0.1")
    assert _logged_in(_login(client, "school_a_user", PASSWORD, REMOTE_ADDR="10.0.0.2"))


def test_a_forged_forwarded_for_does_not_dodge_the_lockout(client, school_a_user):
    for n in range(10):
        _login(client, "school_a_user", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _login(client, "school_a_user", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_each_client_address_is_its_own(client, school_a_user):
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(10):
        _login(client, "school_a_user", "wrong", HTTP_X_FORWARDED_FOR="10.1.1.1", **proxy)
    # A different school behind the same proxy logs in; the first one is locked.
    assert _logged_in(
        _login(client, "school_a_user", PASSWORD, HTTP_X_FORWARDED_FOR="10.1.1.2", **proxy)
    )
    client.logout()
    locked = _login(client, "school_a_user", PASSWORD, HTTP_X_FORWARDED_FOR="10.1.1.1", **proxy)
    assert locked.status_code == 429


def test_the_lock_ends_after_the_cool_off(client, school_a_user):
    for _ in range(5):
        _login(client, "school_a_user", "wrong")
    assert _login(client, "school_a_user", PASSWORD).status_code == 429
    # Sixteen minutes later (the attempt moved back rather than a clock waited for).
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert _logged_in(_login(client, "school_a_user", PASSWORD))


def test_the_command_unlocks_a_user(client, school_a_user):
    for _ in range(5):
        _login(client, "school_a_user", "wrong")
    assert _login(client, "school_a_user", PASSWORD).status_code == 429
    call_command("axes_reset_username", "school_a_user")
    assert _logged_in(_login(client, "school_a_user", PASSWORD))


def test_failed_and_successful_logins_are_in_the_change_log(client, school_a_user):
    _login(client, "school_a_user", "wrong", REMOTE_ADDR="10.2.3.4")
    _login(client, "nobody", "wrong")
    _login(client, "school_a_user", PASSWORD, REMOTE_ADDR="10.2.3.4")
    entries = list(ObjectChange.objects.order_by("id"))
    assert [(e.action, e.object_repr) for e in entries] == [
        (ObjectChange.Action.LOGIN_FAILED, str(school_a_user)),
        (ObjectChange.Action.LOGIN_FAILED, "nobody"),
        (ObjectChange.Action.LOGIN, str(school_a_user)),
    ]
    assert entries[0].changes == {"address": [None, "10.2.3.4"]}
    assert entries[0].by_id is None and entries[2].by_id == school_a_user.pk
    assert "password" not in str([e.changes for e in entries])


def test_client_addresses_trust_forwarded_for_only_with_a_proxy_count():
    meta = {"REMOTE_ADDR": "10.9.9.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.1.1.1"}
    assert client_ip_from(meta, proxy_count=0) == "10.9.9.9"
    assert client_ip_from(meta, proxy_count=1) == "10.1.1.1"
    assert client_ip_from(meta, proxy_count=2) == "1.2.3.4"
    assert client_ip_from(meta, proxy_count=3) == "10.9.9.9"
    assert client_ip_from({"REMOTE_ADDR": "x"}, proxy_count=0) is None
    assert ip_allowed("10.0.0.5", ["10.0.0.0/24"]) and not ip_allowed("10.0.1.5", ["10.0.0.0/24"])
    assert not ip_allowed(None, ["127.0.0.1"])
