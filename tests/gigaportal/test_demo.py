"""The foundation's demo data (gigaportal/demo.py): 70 schools of the seed's kinds and
one login per role; a second run changes nothing. Other apps test their own demo."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from gigaportal import demo
from gigaportal.models import School, User
from gigaportal.roles import Role

pytestmark = pytest.mark.django_db


def load() -> str:
    out = io.StringIO()
    demo.load(stdout=out)
    return out.getvalue()


def snapshot():
    schools = list(
        School.objects.order_by("code").values_list(
            "id", "code", "name", "kind", "email", "is_active"
        )
    )
    users = list(
        User.objects.order_by("username").values_list(
            "id",
            "username",
            "full_name",
            "email",
            "role",
            "school_id",
            "password",
            "is_staff",
            "is_superuser",
            "is_active",
        )
    )
    return schools, users


def test_it_creates_the_seventy_schools_of_the_committee_papers():
    load()
    assert School.objects.count() == 70
    assert Counter(School.objects.values_list("kind", flat=True)) == {
        School.Kind.ELEMENTARY: 46,
        School.Kind.JUNIOR_HIGH: 19,
        School.Kind.SPECIAL_NEEDS: 2,
        School.Kind.BRANCH: 2,
        School.Kind.HIGH: 1,
    }
    assert School.objects.get(kind=School.Kind.HIGH).code == "H001"
    assert School.objects.filter(is_active=True).count() == 70
    assert len(set(School.objects.values_list("name", flat=True))) == 70
    assert all(School.objects.values_list("email", flat=True))


def test_it_creates_one_login_per_role_with_the_published_password():
    load()
    users = {u.username: u for u in User.objects.select_related("school")}
    assert {name: u.role for name, u in users.items()} == {
        "support": Role.SUPPORT,
        "leader": Role.LEADER,
        "school_a": Role.SCHOOL,
        "school_b": Role.SCHOOL,
        "admin": Role.ADMIN,
    }
    assert users["school_a"].school.code == "E001"
    assert users["school_b"].school.code == "J001"
    assert users["school_a"].school.kind != users["school_b"].school.kind
    for name in users:
        assert (
            authenticate(
                RequestFactory().post("/accounts/login/"),
                username=name,
                password=demo.DEMO_PASSWORD,
            )
            is not None
        ), name
    assert [name for name, u in users.items() if u.is_staff] == ["admin"]


def test_a_second_run_changes_nothing():
    load()
    before = snapshot()
    load()
    assert snapshot() == before


def test_a_second_run_leaves_a_changed_password_and_imported_schools_alone():
    load()
    user = User.objects.get(username="leader")
    user.set_password("changed-by-the-leader-2023")
    user.save()
    School.objects.filter(code="E001").update(name="改名 小学校")
    load()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-leader-2023")
    assert School.objects.get(code="E001").name == "改名 小学校"


def test_it_completes_a_partial_set_of_schools():
    School.objects.create(code="E001", name="既存 小学校", kind=School.Kind.ELEMENTARY)
    load()
    assert School.objects.count() == 70
    assert School.objects.get(code="E001").name == "既存 小学校"


def test_the_logins_are_printed_with_their_role_and_school():
    out = io.StringIO()
    demo.print_logins(stdout=out)
    text = out.getvalue()
    assert demo.DEMO_PASSWORD in text
    for username, _name, _role, code in demo.DEMO_USERS:
        assert username in text
        if code:
            assert f"@ {code}" in text


@override_settings(DEBUG=False)
def test_the_command_refuses_to_load_demo_accounts_with_debug_off():
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("load_demo", stdout=io.StringIO())
    assert not School.objects.exists()
    assert not User.objects.exists()


@override_settings(DEBUG=False)
def test_the_command_loads_on_a_demonstration_server_when_allowed_and_prints_the_logins():
    out = io.StringIO()
    call_command("load_demo", "--allow-production", stdout=out)
    assert School.objects.count() == 70
    assert "school_a" in out.getvalue()
    assert demo.DEMO_PASSWORD in out.getvalue()
