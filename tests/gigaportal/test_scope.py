"""Who reaches which school's rows (gigaportal/scope.py) and who opens which page
(gigaportal/permissions.py, the admin site)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from gigaportal import selectors
from gigaportal.models import School, User
from gigaportal.permissions import leader_required, role_required, staff_required
from gigaportal.roles import Role
from gigaportal.scope import may_see_school, scope_queryset, scoped_get_or_404, sees_all_schools
from tests.factories import PASSWORD, make_school, make_user

pytestmark = pytest.mark.django_db


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def test_center_staff_see_every_school_and_a_school_user_only_their_own(cast, school_a, school_b):
    schools = School.objects.all()
    for who in ("support_staff", "leader", "admin"):
        assert codes(scope_queryset(schools, cast[who], school_field="pk")) == ["A001", "B001"]
        assert sees_all_schools(cast[who])
    assert codes(scope_queryset(schools, cast["school_a_user"], school_field="pk")) == ["A001"]
    assert codes(scope_queryset(schools, cast["school_b_user"], school_field="pk")) == ["B001"]
    assert not sees_all_schools(cast["school_a_user"])


def test_scope_follows_a_lookup_path_to_the_school(cast, school_a, school_b):
    # Users carry a school too: scope them through "school" like any school-owned row.
    users = User.objects.filter(role=Role.SCHOOL)
    scoped = scope_queryset(users, cast["school_a_user"], school_field="school")
    assert list(scoped.values_list("username", flat=True)) == ["school_a_user"]


def test_anonymous_and_inactive_users_reach_nothing(cast, school_a, school_b):
    schools = School.objects.all()
    assert codes(scope_queryset(schools, AnonymousUser(), school_field="pk")) == []
    for who in ("support_staff", "school_a_user", "admin"):
        user = cast[who]
        user.is_active = False
        assert codes(scope_queryset(schools, user, school_field="pk")) == [], who
        assert not may_see_school(user, school_a.pk), who
        assert not sees_all_schools(user), who


def test_may_see_school_answers_for_one_school(cast, school_a, school_b):
    assert may_see_school(cast["school_a_user"], school_a.pk)
    assert not may_see_school(cast["school_a_user"], school_b.pk)
    assert not may_see_school(cast["school_a_user"], None)
    assert may_see_school(cast["support_staff"], school_b.pk)
    assert not may_see_school(AnonymousUser(), school_a.pk)


def test_scoped_get_or_404_hides_another_schools_object(cast, school_a, school_b):
    schools = School.objects.all()
    user = cast["school_a_user"]
    assert scoped_get_or_404(schools, user, school_field="pk", pk=school_a.pk) == school_a
    with pytest.raises(Http404):
        scoped_get_or_404(schools, user, school_field="pk", pk=school_b.pk)
    with pytest.raises(Http404):
        scoped_get_or_404(schools, user, school_field="pk", pk="not-a-number")
    assert scoped_get_or_404(schools, cast["leader"], school_field="pk", pk=school_b.pk) == school_b


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
    assert not client.login(username="school_a_user", password=PASSWORD)


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
    lead = leader_required(lambda request: HttpResponse("ok"))
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
