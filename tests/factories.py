"""Plain factories for the fixed cast and their schools. No magic: each returns a
saved object with sensible defaults that a test can override."""

from __future__ import annotations

import itertools

from gigaportal.models import School, User
from gigaportal.roles import Role
from gigaportal.services import user_role_flags

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_school(
    *, code: str | None = None, name: str | None = None, kind: str = School.Kind.ELEMENTARY, **extra
) -> School:
    n = next(_seq)
    return School.objects.create(
        code=code or f"T{n:04d}",
        name=name or f"テスト{n}小学校",
        kind=kind,
        email=extra.pop("email", f"school{n}@schools.example.jp"),
        **extra,
    )


def make_user(
    *, role: str, school: School | None = None, username: str | None = None, **extra
) -> User:
    n = next(_seq)
    user = User(
        username=username or f"{role}{n}",
        full_name=extra.pop("full_name", f"{Role(role).label} {n}"),
        email=extra.pop("email", f"user{n}@center.example.jp"),
        role=role,
        school=school,
        **user_role_flags(role),
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def submit_token(user) -> str:
    """The one-time token a creating form's page gives `user` (gigaportal.submits), for
    a test that posts the form without showing it first."""
    from gigaportal.submits import token_issue

    return token_issue(user=user)
