"""Who reaches which school's rows (gigaportal/scope.py: `Model.objects.for_user(user)`
and `.get_or_404`) and who opens which page (gigaportal/permissions.py, the admin
site)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from gigaportal import selectors
from gigaportal.models import ObjectChange, School, User
from gigaportal.permissions import role_required, staff_required
from gigaportal.roles import LEADER_ROLES, Role
from gigaportal.scope import (
    COMMAND_LINE,
    SYSTEM,
    ScopedQuerySet,
    school_of,
    sees_all_schools,
)
from tests.factories import PASSWORD, make_school, make_user
from traffic.models import Line, MonthlyUsage

pytestmark = pytest.mark.django_db

STAFF = ("support_staff", "leader", "admin")


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


@pytest.fixture
def lines(school_a, school_b):
    """Rows one and two steps away from their school (Line.school, MonthlyUsage's
    line__school), and a line no school has yet."""
    a = Line.objects.create(number="070-0000-0001", school=school_a)
    b = Line.objects.create(number="070-0000-0002", school=school_b)
    Line.objects.create(number="070-0000-0009", school=None)
    for line in (a, b):
        MonthlyUsage.objects.create(line=line, month=dt.date(2022, 9, 1), usage_mb=1024)
    return a, b


def numbers(queryset):
    return sorted(queryset.values_list("number", flat=True))


def usage_numbers(queryset):
    return sorted(queryset.values_list("line__number", flat=True))


def test_center_staff_and_admins_see_every_school(cast, school_a, school_b, lines):
    for who in STAFF:
        user = cast[who]
        assert sees_all_schools(user), who
        assert school_of(user) is None, who
        assert codes(School.objects.for_user(user)) == ["A001", "B001"], who
        assert len(Line.objects.for_user(user)) == 3, who
        assert len(MonthlyUsage.objects.for_user(user)) == 2, who


def test_a_school_user_sees_only_their_own_school_along_every_path(cast, school_a, school_b, lines):
    for who, code, number in [
        ("school_a_user", "A001", "070-0000-0001"),
        ("school_b_user", "B001", "070-0000-0002"),
    ]:
        user = cast[who]
        assert not sees_all_schools(user)
        assert school_of(user) == School.objects.get(code=code).pk
        assert codes(School.objects.for_user(user)) == [code]  # school_path "pk"
        assert numbers(Line.objects.for_user(user)) == [number]  # "school"
        assert usage_numbers(MonthlyUsage.objects.for_user(user)) == [number]  # "line__school"


def test_the_scope_composes_with_other_filters(cast, school_a, school_b, lines):
    user = cast["school_a_user"]
    assert not Line.objects.filter(number="070-0000-0002").for_user(user).exists()
    assert Line.objects.for_user(user).filter(number="070-0000-0001").exists()
    # A row of no school is nobody's but staff's.
    assert not Line.objects.for_user(user).filter(school__isnull=True).exists()


def test_anonymous_and_inactive_users_reach_nothing(cast, school_a, school_b, lines):
    anonymous = AnonymousUser()
    assert codes(School.objects.for_user(anonymous)) == []
    assert not Line.objects.for_user(anonymous).exists()
    assert school_of(anonymous) is None
    for who in ("support_staff", "leader", "school_a_user", "admin"):
        user = cast[who]
        user.is_active = False
        assert codes(School.objects.for_user(user)) == [], who
        assert not MonthlyUsage.objects.for_user(user).exists(), who
        assert not sees_all_schools(user), who
        assert school_of(user) is None, who
        with pytest.raises(Http404):
            School.objects.for_user(user).get_or_404(pk=school_a.pk)


def test_the_command_line_and_the_system_see_every_school(school_a, school_b, lines):
    for operator in (COMMAND_LINE, SYSTEM):
        assert sees_all_schools(operator)
        assert school_of(operator) is None
        assert codes(School.objects.for_user(operator)) == ["A001", "B001"]
        assert len(MonthlyUsage.objects.for_user(operator)) == 2
        assert School.objects.for_user(operator).get_or_404(pk=school_b.pk) == school_b
    assert (repr(COMMAND_LINE), repr(SYSTEM)) == ("COMMAND_LINE", "SYSTEM")
    # Neither is anybody's account.
    assert COMMAND_LINE.pk is None and SYSTEM.pk is None


def test_get_or_404_hides_another_schools_object(cast, school_a, school_b, lines):
    line_a, line_b = lines
    user = cast["school_a_user"]
    assert School.objects.for_user(user).get_or_404(pk=school_a.pk) == school_a
    assert Line.objects.for_user(user).get_or_404(pk=line_a.pk) == line_a
    with pytest.raises(Http404):
        School.objects.for_user(user).get_or_404(pk=school_b.pk)
    with pytest.raises(Http404):
        Line.objects.for_user(user).get_or_404(pk=line_b.pk)
    with pytest.raises(Http404):
        MonthlyUsage.objects.for_user(user).get_or_404(line=line_b)
    # A malformed id is a 404 too, never a 500.
    with pytest.raises(Http404):
        School.objects.for_user(user).get_or_404(pk="not-a-number")
    for who in STAFF:
        assert School.objects.for_user(cast[who]).get_or_404(pk=school_b.pk) == school_b
        assert Line.objects.for_user(cast[who]).get_or_404(pk=line_b.pk) == line_b
    with pytest.raises(Http404):
        School.objects.for_user(cast["leader"]).get_or_404(pk=10**9)


def test_every_scoped_model_names_a_path_to_its_school(cast, school_a):
    """A model with the scoped manager and no (or a wrong) school_path would fail at
    the first page that reads it: each one's scope compiles to a query here."""
    scoped = [
        model
        for model in apps.get_models()
        if isinstance(model._default_manager.all(), ScopedQuerySet)
    ]
    assert {School, ObjectChange, Line, MonthlyUsage} <= set(scoped)
    for model in scoped:
        path = getattr(model, "school_path", "")
        assert path, f"{model.__name__} has no school_path"
        for who in ("school_a_user", "leader"):
            list(model.objects.for_user(cast[who])[:1])  # runs: the path resolves


def test_a_school_user_without_a_school_cannot_exist():
    with pytest.raises(IntegrityError):
        User.objects.create(username="orphan", role=Role.SCHOOL, school=None)


def test_the_school_list_shows_a_school_user_only_their_school(client, cast, school_a, school_b):
    client.force_login(cast["school_a_user"])
    response = client.get(reverse("schools:list"))
    assert response.status_code == 200
    assert [s.code for s in response.context["schools"]] == ["A001"]
    assert school_b.name not in response.content.decode()

    client.force_login(cast["support_staff"])
    response = client.get(reverse("schools:list"))
    assert [s.code for s in response.context["schools"]] == ["A001", "B001"]


def test_the_school_list_filters_by_kind_and_hides_closed_schools(client, support_staff):
    make_school(code="E1", kind=School.Kind.ELEMENTARY)
    make_school(code="H1", kind=School.Kind.HIGH)
    make_school(code="E9", kind=School.Kind.ELEMENTARY, is_active=False)
    client.force_login(support_staff)
    listed = client.get(reverse("schools:list"), {"kind": "high"}).context["schools"]
    assert [s.code for s in listed] == ["H1"]
    listed = client.get(reverse("schools:list"), {"kind": "nonsense"}).context["schools"]
    assert [s.code for s in listed] == ["E1", "H1"]


def test_the_school_list_costs_the_same_queries_for_many_schools(
    client, support_staff, django_assert_max_num_queries
):
    client.force_login(support_staff)
    for n in range(60):
        make_school(code=f"Q{n:03d}")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("schools:list"))
    assert len(response.context["schools"]) == 60


def test_a_school_user_gets_404_for_another_schools_page(client, cast, school_a, school_b):
    client.force_login(cast["school_a_user"])
    assert client.get(reverse("schools:detail", args=[school_a.pk])).status_code == 200
    assert client.get(reverse("schools:detail", args=[school_b.pk])).status_code == 404
    assert selectors.school_get(user=cast["leader"], pk=school_b.pk) == school_b


def test_an_inactive_user_is_logged_out_and_sees_no_page(client, school_a_user):
    client.force_login(school_a_user)
    school_a_user.is_active = False
    school_a_user.save()
    response = client.get(reverse("schools:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not client.login(request=HttpRequest(), username="school_a_user", password=PASSWORD)


# --- Role checks for function views ------------------------------------------------------


def _call(view, user):
    request = RequestFactory().get("/x")
    request.user = user
    return view(request)


def test_role_required_sends_anonymous_users_to_login_and_refuses_other_roles(cast):
    @role_required({Role.SCHOOL})
    def school_only(request):
        return HttpResponse("ok")

    response = _call(school_only, AnonymousUser())
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    with pytest.raises(PermissionDenied):
        _call(school_only, cast["support_staff"])
    assert _call(school_only, cast["school_a_user"]).content == b"ok"
    inactive = cast["school_b_user"]
    inactive.is_active = False
    with pytest.raises(PermissionDenied):
        _call(school_only, inactive)


def test_staff_and_leader_decorators_follow_the_role_sets(cast):
    view = staff_required(lambda request: HttpResponse("ok"))
    lead = role_required(LEADER_ROLES)(lambda request: HttpResponse("ok"))
    for who in ("support_staff", "leader", "admin"):
        assert _call(view, cast[who]).status_code == 200
    with pytest.raises(PermissionDenied):
        _call(view, cast["school_a_user"])
    assert _call(lead, cast["leader"]).status_code == 200
    assert _call(lead, cast["admin"]).status_code == 200
    with pytest.raises(PermissionDenied):
        _call(lead, cast["support_staff"])


# --- Django admin ------------------------------------------------------------------------


def test_django_admin_refuses_an_is_staff_user_whose_role_is_not_admin(client):
    careless = make_user(role=Role.SUPPORT, username="careless")
    User.objects.filter(pk=careless.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=careless.pk))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    response = client.get(reverse("admin:gigaportal_school_changelist"))
    assert response.status_code == 302
    # Signing in through admin's own login form does not open it either.
    client.logout()
    client.post(reverse("admin:login"), {"username": "careless", "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_django_admin_opens_for_an_administrator(client, admin, school_a):
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    response = client.get(reverse("admin:gigaportal_school_changelist"))
    assert response.status_code == 200
    assert school_a.name in response.content.decode()


def test_saving_a_user_in_admin_sets_admin_rights_from_the_role(client, admin, school_a):
    user = make_user(role=Role.ADMIN, username="demoted")
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_user_change", args=[user.pk]),
        {
            "username": "demoted",
            "full_name": "降格 さん",
            "email": "d@example.jp",
            "role": Role.SCHOOL,
            "school": school_a.pk,
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2022-04-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == (Role.SCHOOL, False, False)


def test_admin_refuses_a_school_user_without_a_school(client, admin):
    user = make_user(role=Role.SUPPORT, username="no_school")
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_user_change", args=[user.pk]),
        {
            "username": "no_school",
            "full_name": "",
            "email": "",
            "role": Role.SCHOOL,
            "school": "",
            "is_active": "on",
            "date_joined_0": "2022-04-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 200
    assert "school" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == Role.SUPPORT
