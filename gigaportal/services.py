"""Writes for schools and users. Each import writes nothing unless every row is good,
in one transaction (schools are streamed and written in chunks inside it); it runs as
an import batch (gigaportal.imports), which records it in the change log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import changelog, imports
from gigaportal.imports import ImportResult, unknown_school
from gigaportal.models import School, User
from gigaportal.roles import Role
from gigaportal.tabular import (
    CellError,
    Column,
    TableReader,
    TabularError,
    duplicate_checker,
    model_max_length,
    parse_choice,
    parse_email,
)

SCHOOL_COLUMNS = (
    Column("school_code", ("学校コード",), max_length=model_max_length(School, "code")),
    Column("name", ("学校名",), max_length=model_max_length(School, "name")),
    Column("kind", ("校種",), max_length=20),
    Column(
        "email",
        ("メール", "メールアドレス"),
        required=False,
        max_length=model_max_length(School, "email"),
    ),
    Column(
        "principal_name",
        ("校長名", "校長"),
        required=False,
        max_length=model_max_length(School, "principal_name"),
    ),
)

SCHOOL_KIND_WORDS = {
    "小学校": School.Kind.ELEMENTARY,
    "elementary": School.Kind.ELEMENTARY,
    "中学校": School.Kind.JUNIOR_HIGH,
    "junior_high": School.Kind.JUNIOR_HIGH,
    "特別支援学校": School.Kind.SPECIAL_NEEDS,
    "special_needs": School.Kind.SPECIAL_NEEDS,
    "分校": School.Kind.BRANCH,
    "branch": School.Kind.BRANCH,
    "高等学校": School.Kind.HIGH,
    "高校": School.Kind.HIGH,
    "high": School.Kind.HIGH,
}


SCHOOL_CHUNK_ROWS = 5_000


def school_import(*, file: IO[bytes], by=None, options=None, progress=None) -> ImportResult:
    """Creates or updates schools by code.

    1. Read and check each row (codes unique in the file, kinds known, e-mails valid).
    2. Write creates and updates in bulk, a chunk of rows at a time, in one
       transaction, as long as no row so far was wrong: memory does not grow with the
       file.
    3. Refuse the whole file if any row is bad: the transaction rolls back.
    """
    with transaction.atomic():
        reader = TableReader(file, SCHOOL_COLUMNS)
        check_duplicate = duplicate_checker(reader, "school_code")
        with_principal = reader.has_column("principal_name")
        fields = ["name", "kind", "email"] + (["principal_name"] if with_principal else [])
        parse_kind = parse_choice(SCHOOL_KIND_WORDS)
        created = updated = 0
        chunk: dict[str, dict] = {}
        for row in reader:
            code = row.require("school_code")
            check_duplicate(row, code)
            name = row.require("name")
            kind = row.parse("kind", parse_kind)
            email = row.parse("email", parse_email, required=False)
            email = email or ""
            values = {"name": name, "kind": kind, "email": email}
            # A file without the principal's column leaves the names kept in admin alone.
            if with_principal:
                values["principal_name"] = row.get("principal_name") or ""
            if code and name and kind:
                chunk[code] = values
            if len(chunk) >= SCHOOL_CHUNK_ROWS:
                created, updated = _schools_write(chunk, fields, reader, created, updated)
                chunk = {}
        created, updated = _schools_write(chunk, fields, reader, created, updated)
        reader.raise_if_errors()
    return ImportResult(created=created, updated=updated)


def _schools_write(
    chunk: dict[str, dict], fields: list[str], reader: TableReader, created: int, updated: int
) -> tuple[int, int]:
    """One chunk's creates and updates, unless a row so far was wrong (the file will be
    refused); returns the running counts."""
    if not chunk or reader.errors:
        return created, updated
    existing = {s.code: s for s in School.objects.select_for_update().filter(code__in=chunk)}
    to_create, to_update = [], []
    for code, values in chunk.items():
        school = existing.get(code)
        if school is None:
            to_create.append(School(code=code, **values))
        else:
            for attr, value in values.items():
                setattr(school, attr, value)
            to_update.append(school)
    School.objects.bulk_create(to_create, batch_size=500)
    School.objects.bulk_update(to_update, fields, batch_size=500)
    return created + len(to_create), updated + len(to_update)


USER_COLUMNS = (
    Column("username", ("ユーザー名", "ログインID"), max_length=model_max_length(User, "username")),
    Column("full_name", ("氏名",), max_length=model_max_length(User, "full_name")),
    Column("email", ("メール", "メールアドレス"), max_length=model_max_length(User, "email")),
    Column("role", ("役割", "権限"), max_length=20),
    Column(
        "school_code", ("学校コード",), required=False, max_length=model_max_length(School, "code")
    ),
)

ROLE_WORDS = {
    "support": Role.SUPPORT,
    "支援員": Role.SUPPORT,
    "leader": Role.LEADER,
    "リーダー": Role.LEADER,
    "school": Role.SCHOOL,
    "学校": Role.SCHOOL,
    "学校担当": Role.SCHOOL,
    "admin": Role.ADMIN,
    "管理者": Role.ADMIN,
}


def parse_username(text: str) -> str:
    """Login names as Django's own forms accept them (letters, digits and @.+-_)."""
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    limit = User._meta.get_field("username").max_length
    try:
        UnicodeUsernameValidator()(text)
    except ValidationError:
        raise ValueError(
            _("%(value)r may contain only letters, digits and @ . + - _") % {"value": text}
        ) from None
    if len(text) > limit:
        raise ValueError(_("at most %(limit)s characters") % {"limit": limit})
    return text


def user_role_flags(role: str) -> dict[str, bool]:
    """Only administrators may enter Django admin; the role decides it, nothing else."""
    is_admin = role == Role.ADMIN
    return {"is_staff": is_admin, "is_superuser": is_admin}


# What an import may change on an existing account only when told to (`import_users
# --apply`): who the person is to the portal (the role, the school) and where its mail
# goes. A school user made an administrator by a spreadsheet typo must be seen first.
GUARDED_USER_FIELDS = ("role", "email", "school")
USER_FIELDS = ["full_name", "email", "role", "school_id", "is_staff", "is_superuser"]
LOGGED_USER_FIELDS = ["full_name", "email", "role", "school", "is_staff", "is_superuser"]


@dataclass(frozen=True)
class UserChange:
    """One field of an existing account that the file changes, as a person reads it:
    `school_a: 役割 学校担当 → 管理者`."""

    username: str
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        label = User._meta.get_field(self.field).verbose_name
        return _("%(username)s: %(field)s %(old)s → %(new)s") % {
            "username": self.username,
            "field": label,
            "old": self.old or "—",
            "new": self.new or "—",
        }


@dataclass(frozen=True)
class UserImportPlan:
    """What a users file would do: the accounts it creates and every change to an
    existing one."""

    new: list[str]
    changes: list[UserChange]

    @property
    def guarded(self) -> list[UserChange]:
        return [change for change in self.changes if change.field in GUARDED_USER_FIELDS]

    def lines(self) -> list[str]:
        lines = [_("%(username)s: new account") % {"username": name} for name in self.new]
        return lines + [str(change) for change in self.changes]


def _user_rows(file: IO[bytes]) -> dict[str, dict]:
    """Every row of a users file, checked: {username: values}; TabularError for a bad
    file (nothing is written by the caller then)."""
    reader = TableReader(file, USER_COLUMNS)
    check_duplicate = duplicate_checker(reader, "username")
    schools = dict(School.objects.values_list("code", "id"))
    parsed: dict[str, dict] = {}
    for row in reader:
        username = row.parse("username", parse_username)
        check_duplicate(row, username)
        full_name = row.require("full_name")
        email = row.parse("email", parse_email)
        role = row.parse("role", parse_choice(ROLE_WORDS))
        code = row.get("school_code")
        school_id = None
        if role == Role.SCHOOL:
            if not code:
                row.error("school_code", _("a school user needs a school code"))
            elif code not in schools:
                row.error("school_code", unknown_school(code))
            else:
                school_id = schools[code]
        elif code and code not in schools:
            row.error("school_code", unknown_school(code))
        if username and full_name and email and role:
            parsed[username] = {
                "full_name": full_name,
                "email": email,
                "role": role,
                "school_id": school_id,
                **user_role_flags(role),
            }
    reader.raise_if_errors()
    return parsed


def _user_plan(rows: Mapping[str, dict], existing: Mapping[str, User]) -> UserImportPlan:
    school_ids = {v["school_id"] for v in rows.values()} | {u.school_id for u in existing.values()}
    schools = {
        pk: f"{code} {name}"
        for pk, code, name in School.objects.filter(pk__in=school_ids - {None}).values_list(
            "pk", "code", "name"
        )
    }

    def shown(field: str, value) -> str:
        if field == "role":
            return str(Role(value).label)
        if field == "school":
            return schools.get(value, "")
        return str(value or "")

    new, changes = [], []
    for username, values in rows.items():
        user = existing.get(username)
        if user is None:
            new.append(username)
            continue
        for field, attname in (
            ("role", "role"),
            ("school", "school_id"),
            ("email", "email"),
            ("full_name", "full_name"),
        ):
            old, value = getattr(user, attname), values[attname]
            if (old or "") != (value or ""):
                changes.append(UserChange(username, field, shown(field, old), shown(field, value)))
    return UserImportPlan(new=new, changes=changes)


def user_import_preview(*, file: IO[bytes]) -> UserImportPlan:
    """What importing the file would do now, without writing anything."""
    rows = _user_rows(file)
    existing = {u.username: u for u in User.objects.filter(username__in=rows)}
    return _user_plan(rows, existing)


def user_import(*, file: IO[bytes], by=None, options=None, progress=None) -> ImportResult:
    """Creates or updates users by username; once the import has committed, each new
    user with an e-mail address is sent a set-password link.

    1. Read and check every row; refuse the whole file if any is bad.
    2. Compare with the accounts (locked): a change of an existing account's role,
       e-mail or school is applied only with `options["apply"]` (`import_users
       --apply`); without it the file is refused whole, naming each change, so that
       nothing is half-applied.
    3. Write in bulk; each changed account gets its own change-log entry.

    No password is ever read, stored or printed: new users have an unusable password
    until they follow the link.
    """
    rows = _user_rows(file)
    with transaction.atomic():
        existing = {
            u.username: u for u in User.objects.select_for_update().filter(username__in=rows)
        }
        plan = _user_plan(rows, existing)
        if plan.guarded and not (options or {}).get("apply"):
            raise TabularError(
                [CellError(0, "", str(change)) for change in plan.guarded]
                + [CellError(0, "", str(NEEDS_APPLY))]
            )
        changed = {change.username for change in plan.changes}
        before = {name: changelog.values(existing[name], LOGGED_USER_FIELDS) for name in changed}
        to_create, to_update = [], []
        for username, values in rows.items():
            user = existing.get(username)
            if user is None:
                user = User(username=username, **values)
                user.set_unusable_password()
                to_create.append(user)
            else:
                for attr, value in values.items():
                    setattr(user, attr, value)
                to_update.append(user)
        User.objects.bulk_create(to_create, batch_size=500)
        User.objects.bulk_update(to_update, USER_FIELDS, batch_size=500)
        for name in sorted(changed):
            changelog.record(
                by=by,
                action=changelog.Action.UPDATE,
                obj=existing[name],
                before=before[name],
                fields=LOGGED_USER_FIELDS,
            )
        new_names = [u.username for u in to_create]
        # After commit (the links must point at real accounts); a mail server that
        # refuses is logged, and `send_set_password_links` sends them again later.
        transaction.on_commit(
            lambda: user_send_set_password_links(
                users=list(User.objects.filter(username__in=new_names))
            ),
            robust=True,
        )
    return ImportResult(
        created=len(to_create),
        updated=len(to_update),
        details={"links": sum(1 for u in to_create if u.email)},
    )


NEEDS_APPLY = gettext_lazy(
    "Nothing was changed: the file changes the role, e-mail or school of existing "
    "accounts. Check the changes above and import it again with --apply."
)


def user_set_password_url(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PORTAL_BASE_URL + path


def user_send_set_password_links(*, users: list[User]) -> int:
    """E-mails each new user a link to choose their password; returns how many went."""
    sent = 0
    for user in users:
        if not user.email:
            continue
        context = {"user": user, "url": user_set_password_url(user=user)}
        send_mail(
            subject=_("[GIGA support portal] Set your password"),
            message=render_to_string("emails/set_password.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        sent += 1
    return sent


imports.register(
    imports.Importer(
        kind="schools",
        title=gettext_lazy("Import schools"),
        columns=SCHOOL_COLUMNS,
        run=school_import,
        help_text=gettext_lazy(
            "Creates or updates schools by school code. Nothing is written if any row is wrong."
        ),
        success_url="schools:list",
        describe=lambda r: (
            _("%(created)s schools created, %(updated)s updated.")
            % {"created": r.created, "updated": r.updated}
        ),
    )
)
imports.register(
    imports.Importer(
        kind="users",
        title=gettext_lazy("Import users"),
        columns=USER_COLUMNS,
        run=user_import,
        help_text=gettext_lazy(
            "Creates or updates accounts by username. New users are e-mailed a link to "
            "choose their password."
        ),
        describe=lambda r: (
            _(
                "%(created)s users created, %(updated)s updated; %(links)s set-password links "
                "e-mailed."
            )
            % {"created": r.created, "updated": r.updated, "links": r.details.get("links", 0)}
        ),
    )
)
