"""Who changed what (gigaportal/changelog.py, gigaportal.models.ObjectChange): the
values an entry keeps, the entry a service writes, one entry per import batch, every
Django admin save and delete, and the change-log pages.

(`manage.py changelog` is not written yet; it is not tested here.)"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gigaportal import changelog
from gigaportal.models import FiscalTerm, ImportBatch, ObjectChange, School, User
from gigaportal.roles import Role
from gigaportal.scope import COMMAND_LINE, SYSTEM
from traffic.models import Line, MonthlyUsage

Action, Via = ObjectChange.Action, ObjectChange.Via

SCHOOLS_CSV = "学校コード,学校名,校種\nE101,青葉小学校,小学校\nJ101,第一中学校,中学校\nH101,市立高等学校,高校\n"


# --- Values (no database) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (3, 3),
        (2.5, 2.5),
        ("青葉", "青葉"),
        (Decimal("1024.000"), "1024"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.5"), "0.5"),
        (Decimal("1.50"), "1.50"),
        (dt.date(2022, 4, 1), "2022-04-01"),
        (dt.time(9, 30), "09:30:00"),
        (dt.datetime(2022, 4, 1, 9, 30, 15, 123456), "2022-04-01T09:30:15"),
        (
            dt.datetime(2022, 4, 1, 0, 30, tzinfo=dt.UTC),
            "2022-04-01T00:30:00+00:00",
        ),
        ([dt.date(2022, 4, 1), Decimal("2.0")], ["2022-04-01", "2"]),
        ((1, "a"), [1, "a"]),
        ({1: dt.date(2022, 4, 1), "n": [Decimal("3")]}, {"1": "2022-04-01", "n": ["3"]}),
        (School(code="E1", name="青葉小学校"), "青葉小学校"),
        (Role.SCHOOL, "school"),
    ],
)
def test_readable_gives_json_a_person_can_read(value, expected):
    result = changelog.readable(value)
    assert result == expected
    json.dumps(result)  # storable in the JSON column


def test_readable_gives_a_lazy_translation_as_its_text_not_its_letters():
    assert changelog.readable(gettext_lazy("school")) in {"school", "学校"}
    assert changelog.readable({"label": [gettext_lazy("school")]})["label"][0] in {
        "school",
        "学校",
    }


def test_diff_keeps_only_the_fields_that_changed_in_readable_form():
    before = {"name": "旧青葉", "kind": "elementary", "usage": Decimal("2.0"), "gone": 1}
    after = {
        "name": "青葉",
        "kind": "elementary",
        "usage": Decimal("2"),
        "new": dt.date(2022, 4, 1),
    }
    assert changelog.diff(before, after) == {
        "name": ["旧青葉", "青葉"],
        "gone": [1, None],
        "new": [None, "2022-04-01"],
    }
    assert list(changelog.diff(before, after)) == ["name", "gone", "new"]  # the fields' order


def test_diff_of_a_creation_lists_what_was_set_and_of_nothing_is_empty():
    assert changelog.diff(None, {"code": "E1", "email": ""}) == {
        "code": [None, "E1"],
        "email": [None, ""],
    }
    assert changelog.diff({"code": "E1"}, None) == {"code": ["E1", None]}
    assert changelog.diff(None, None) == {}
    assert changelog.diff({"a": 1}, {"a": 1}) == {}


def test_values_reads_fields_relations_and_never_secrets():
    school = School(code="E1", name="青葉小学校", kind=School.Kind.ELEMENTARY, email="")
    user = User(
        username="aoba",
        full_name="田中 一郎",
        role=Role.SCHOOL,
        school=school,
        date_joined=dt.datetime(2022, 4, 1, 9, 0, tzinfo=dt.UTC),
    )
    user.set_password("a-secret-password")
    assert changelog.values(
        user,
        ["username", "role", "school", "date_joined", "password", "last_login", "groups"],
    ) == {
        "username": "aoba",
        "role": "school",
        "school": "青葉小学校",  # a related object by its text
        "date_joined": "2022-04-01T09:00:00+00:00",
        "groups": [],  # many-to-many of an unsaved object: none yet
    }
    assert changelog.values(School(code="E1", name="x"), ["email", "is_active"]) == {
        "email": "",
        "is_active": True,
    }


def test_actor_names_the_person_the_command_line_and_the_system():
    user = User(pk=7, username="takahashi", full_name="高橋 美咲")
    with changelog.context(via=Via.WEB):
        assert changelog.actor(user) == (7, "高橋 美咲", Via.WEB)
    with changelog.context(via=Via.ADMIN):
        assert changelog.actor(user) == (7, "高橋 美咲", Via.ADMIN)
        # The operator and the system are never "admin" or "web", whatever the context.
        assert changelog.actor(COMMAND_LINE)[2] == Via.COMMAND
        assert changelog.actor(SYSTEM) == (None, SYSTEM.display_name, Via.SYSTEM)
    assert changelog.actor(None) == (None, SYSTEM.display_name, Via.SYSTEM)
    user_id, name, via = changelog.actor(COMMAND_LINE)
    # Named by the server login that ran the command; the channel says "command line".
    assert (user_id, name) == (None, COMMAND_LINE.display_name)


def test_a_context_sets_the_request_id_and_channel_and_is_undone_after():
    assert changelog.current() == changelog.Context()
    with changelog.context(via=Via.WEB, request_id="abc123") as outer:
        assert changelog.current() == outer == changelog.Context("abc123", Via.WEB)
        with changelog.context(via=Via.COMMAND) as inner:
            assert inner.via == Via.COMMAND and len(inner.request_id) == 32  # a fresh id
        assert changelog.current() == outer
    assert changelog.current() == changelog.Context()


# --- Recording ---------------------------------------------------------------------------


@pytest.fixture
def usage_a(school_a):
    """A row two steps from its school (MonthlyUsage → line → school)."""
    line = Line.objects.create(number="070-1111-2222", school=school_a)
    usage = MonthlyUsage.objects.create(line=line, month=dt.date(2022, 9, 1), usage_mb=1024)
    usage.refresh_from_db()  # usage_mb as the database gives it, Decimal("1024.000")
    return usage


@pytest.mark.django_db
def test_record_writes_who_their_name_the_channel_the_request_and_the_school(leader, usage_a):
    before = changelog.values(usage_a, ["usage_mb", "month"])
    usage_a.usage_mb = Decimal("2048.5")
    usage_a.save()
    with changelog.context(via=Via.WEB, request_id="f" * 32):
        entry = changelog.record(
            by=leader,
            action=Action.UPDATE,
            obj=usage_a,
            before=before,
            fields=["usage_mb", "month"],
        )
    entry.refresh_from_db()
    assert (entry.by, entry.by_name, entry.via, entry.request_id) == (
        leader,
        "高橋 美咲",
        Via.WEB,
        "f" * 32,
    )
    assert entry.action == Action.UPDATE
    assert entry.content_type == ContentType.objects.get_for_model(MonthlyUsage)
    assert entry.object_id == str(usage_a.pk)
    assert entry.object_repr == str(usage_a)
    assert entry.school == usage_a.line.school  # along school_path "line__school"
    assert entry.changes == {"usage_mb": ["1024", "2048.5"]}
    assert timezone.now() - entry.time < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_the_entry_keeps_the_name_as_it_was_and_outlives_the_person(leader, school_a):
    entry = changelog.record(by=leader, action=Action.CREATE, obj=school_a, fields=["code"])
    assert entry.school == school_a  # a School's own school_path is its pk
    leader.full_name = "高橋 美咲(旧姓)"
    leader.save()
    entry.refresh_from_db()
    assert entry.by_name == "高橋 美咲"
    leader.delete()
    entry.refresh_from_db()
    assert (entry.by, entry.by_name) == (None, "高橋 美咲")


@pytest.mark.django_db
def test_an_object_of_no_school_and_an_explicit_school(admin, school_b):
    line = Line.objects.create(number="070-0000-0000", school=None)
    assert (
        changelog.record(by=admin, action=Action.CREATE, obj=line, fields=["number"]).school is None
    )
    entry = changelog.record(
        by=admin, action=Action.CREATE, obj=line, fields=["number"], school_id=school_b.pk
    )
    assert entry.school == school_b


@pytest.mark.django_db
def test_an_update_that_changed_nothing_writes_nothing(leader, school_a):
    fields = ["code", "name", "kind", "email", "is_active"]
    before = changelog.values(school_a, fields)
    school_a.save()
    assert (
        changelog.record(
            by=leader, action=Action.UPDATE, obj=school_a, before=before, fields=fields
        )
        is None
    )
    assert changelog.record(by=leader, action=Action.UPDATE, obj=school_a, changes={}) is not None
    # Given explicitly, changes are written as given (a service's own wording).
    assert ObjectChange.objects.count() == 1


@pytest.mark.django_db
def test_the_command_line_and_the_system_are_recorded_as_such(school_a):
    by_command = changelog.record(
        by=COMMAND_LINE, action=Action.UPDATE, obj=school_a, changes={"a": [1, 2]}
    )
    by_system = changelog.record(by=SYSTEM, action=Action.EVALUATE, obj=school_a, changes={})
    assert (by_command.by, by_command.via) == (None, Via.COMMAND)
    assert by_command.by_name == COMMAND_LINE.display_name
    assert (by_system.by, by_system.by_name, by_system.via) == (
        None,
        SYSTEM.display_name,
        Via.SYSTEM,
    )


@pytest.mark.django_db
def test_record_many_writes_one_entry_per_object_in_one_query(
    leader, school_a, school_b, django_assert_num_queries
):
    ContentType.objects.get_for_model(School)  # cached, as in a running portal
    with django_assert_num_queries(1):
        entries = changelog.record_many(
            by=leader,
            action=Action.CREATE,
            objs=[school_a, school_b],
            changes_of=lambda s: {"code": [None, s.code]},
        )
    assert len(entries) == 2
    stored = ObjectChange.objects.order_by("object_repr")
    assert [(e.school, e.changes) for e in stored] == [
        (school_b, {"code": [None, "B001"]}),
        (school_a, {"code": [None, "A001"]}),
    ]


# --- Imports: one entry per batch -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 400])
def test_a_school_import_by_the_command_is_one_entry_for_the_batch(tmp_path, rows):
    lines = "".join(f"E{n:04d},学校{n},小学校\n" for n in range(rows))
    path = tmp_path / "schools.csv"
    path.write_bytes(("学校コード,学校名,校種\n" + lines).encode())
    call_command("import_schools", str(path))
    assert School.objects.count() == rows
    entry = ObjectChange.objects.get()
    batch = ImportBatch.objects.get()
    assert entry.action == Action.IMPORT
    assert entry.content_type == ContentType.objects.get_for_model(ImportBatch)
    assert entry.object_id == str(batch.pk)
    assert (entry.by, entry.via, entry.school) == (None, Via.COMMAND, None)
    assert entry.by_name == COMMAND_LINE.display_name  # the login that ran it
    assert entry.request_id  # the command's own id
    assert entry.changes == {
        "kind": [None, "schools"],
        "file_name": [None, "schools.csv"],
        "sha256": [None, batch.sha256],
        "created": [None, rows],
        "updated": [None, 0],
    }
    assert (batch.by_name, batch.via, batch.request_id) == (
        entry.by_name,
        Via.COMMAND,
        entry.request_id,
    )


@pytest.mark.django_db
def test_an_import_as_a_user_names_them_and_a_refused_or_repeated_file_writes_nothing(
    tmp_path, leader
):
    path = tmp_path / "schools.csv"
    path.write_bytes(SCHOOLS_CSV.encode())
    call_command("import_schools", str(path), "--as", "leader")
    entry = ObjectChange.objects.get()
    assert (entry.by, entry.by_name, entry.via) == (leader, "高橋 美咲", Via.COMMAND)
    call_command("import_schools", str(path))  # the same file: unchanged
    bad = tmp_path / "bad.csv"
    bad.write_bytes("学校コード,学校名,校種\nE9,x,大学\n".encode())
    with pytest.raises(Exception, match="not imported"):
        call_command("import_schools", str(bad))
    assert ObjectChange.objects.count() == 1
    assert sorted(ImportBatch.objects.values_list("status", flat=True)) == [
        ImportBatch.Status.DONE,
        ImportBatch.Status.FAILED,
        ImportBatch.Status.UNCHANGED,
    ]


# --- Django admin ------------------------------------------------------------------------


def _school_form(school, **changes):
    data = {
        "code": school.code,
        "name": school.name,
        "kind": school.kind,
        "email": school.email,
        "is_active": "on" if school.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.django_db
def test_an_admin_edit_of_a_school_is_one_entry_via_admin_with_the_changed_fields(
    client, admin, school_a
):
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_school_change", args=[school_a.pk]),
        _school_form(school_a, name="青葉第二小学校", email="aoba2@schools.example.jp"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = ObjectChange.objects.get()
    assert (entry.by, entry.by_name, entry.via, entry.action) == (
        admin,
        "管理者 山本",
        Via.ADMIN,
        Action.UPDATE,
    )
    assert entry.changes == {
        "name": ["青葉小学校", "青葉第二小学校"],
        "email": [school_a.email, "aoba2@schools.example.jp"],
    }
    assert (entry.school, entry.object_repr) == (school_a, "青葉第二小学校")
    assert entry.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_an_admin_save_that_changes_nothing_writes_nothing_and_an_addition_is_logged(
    client, admin, school_a
):
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_school_change", args=[school_a.pk]), _school_form(school_a)
    )
    assert response.status_code == 302
    assert not ObjectChange.objects.exists()
    response = client.post(
        reverse("admin:gigaportal_school_add"),
        {"code": "N001", "name": "新設小学校", "kind": "elementary", "is_active": "on"},
    )
    assert response.status_code == 302
    entry = ObjectChange.objects.get()
    new = School.objects.get(code="N001")
    assert (entry.action, entry.via, entry.school) == (Action.CREATE, Via.ADMIN, new)
    assert entry.changes["code"] == [None, "N001"]
    assert entry.changes["name"] == [None, "新設小学校"]


@pytest.mark.django_db
def test_deleting_a_school_term_in_admin_is_logged(client, admin):
    term = FiscalTerm.objects.create(
        fiscal_year=2022, number=1, start=dt.date(2022, 4, 6), end=dt.date(2022, 7, 20)
    )
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_fiscalterm_delete", args=[term.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not FiscalTerm.objects.exists()
    entry = ObjectChange.objects.get()
    assert (entry.action, entry.via, entry.by) == (Action.DELETE, Via.ADMIN, admin)
    assert entry.object_repr == "令和4年度 1学期"
    assert entry.object_id == str(term.pk)
    assert entry.changes == {
        "fiscal_year": [2022, None],
        "number": [1, None],
        "start": ["2022-04-06", None],
        "end": ["2022-07-20", None],
    }


@pytest.mark.django_db
def test_deleting_several_terms_from_the_admin_list_logs_each(client, admin):
    terms = [
        FiscalTerm.objects.create(
            fiscal_year=2023, number=n, start=dt.date(2023, 4 * n, 1), end=dt.date(2023, 4 * n, 20)
        )
        for n in (1, 2)
    ]
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_fiscalterm_changelist"),
        {"action": "delete_selected", "_selected_action": [t.pk for t in terms], "post": "yes"},
    )
    assert response.status_code == 302
    assert not FiscalTerm.objects.exists()
    assert sorted(ObjectChange.objects.values_list("object_repr", "action")) == [
        ("令和5年度 1学期", Action.DELETE),
        ("令和5年度 2学期", Action.DELETE),
    ]


@pytest.mark.django_db
def test_setting_a_password_in_admin_is_logged_without_the_password(client, admin, support_staff):
    client.force_login(admin)
    secret = "A-new-password-2023"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[support_staff.pk]),
        {"password1": secret, "password2": secret, "usable_password": "true"},
    )
    assert response.status_code == 302
    entry = ObjectChange.objects.get()
    assert (entry.object_id, entry.via) == (str(support_staff.pk), Via.ADMIN)
    assert list(entry.changes) == ["password"]
    assert secret not in json.dumps(entry.changes, ensure_ascii=False)
    support_staff.refresh_from_db()
    assert support_staff.password not in json.dumps(entry.changes)


# --- The change-log pages ---------------------------------------------------------------


@pytest.fixture
def entries(admin, leader, school_a, school_b):
    """Entries about both schools, on different days and of different types."""
    line_b = Line.objects.create(number="070-2222-3333", school=school_b)

    def entry(by, obj, day, **changes):
        made = changelog.record(by=by, action=Action.UPDATE, obj=obj, changes=changes)
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        ObjectChange.objects.filter(pk=made.pk).update(time=when)
        return made

    return {
        "school_a": entry(admin, school_a, dt.date(2022, 4, 10), email=["a-old", "a-new"]),
        "school_b": entry(admin, school_b, dt.date(2022, 5, 10), email=["b-old", "b-new"]),
        "line_b": entry(leader, line_b, dt.date(2022, 6, 10), number=["b-line-old", "b-line-new"]),
    }


def _listed(response):
    return [entry.pk for entry in response.context["entries"]]


@pytest.mark.django_db
def test_the_change_list_filters_by_model_school_person_action_and_date(client, leader, entries):
    client.force_login(leader)
    url = reverse("changes:list")
    a, b, line = entries["school_a"].pk, entries["school_b"].pk, entries["line_b"].pk
    assert _listed(client.get(url)) == [line, b, a]  # newest first
    assert _listed(client.get(url, {"model": "gigaportal.school"})) == [b, a]
    assert _listed(client.get(url, {"model": "traffic.line"})) == [line]
    school_b = entries["school_b"].school
    assert _listed(client.get(url, {"school": school_b.pk})) == [line, b]
    assert _listed(client.get(url, {"by": entries["line_b"].by_id})) == [line]
    assert _listed(client.get(url, {"since": "2022-05-01"})) == [line, b]
    assert _listed(client.get(url, {"until": "2022-05-10"})) == [b, a]
    assert _listed(client.get(url, {"since": "2022-05-01", "until": "2022-05-31"})) == [b]
    assert _listed(client.get(url, {"action": "delete"})) == []
    # Junk filters are ignored, never a 500.
    response = client.get(
        url, {"model": "nonsense", "school": "x", "since": "2022-13-01", "action": "??"}
    )
    assert response.status_code == 200
    assert _listed(response) == [line, b, a]


@pytest.mark.django_db
def test_the_change_list_download_has_the_columns_and_the_filtered_rows(client, leader, entries):
    client.force_login(leader)
    response = client.get(
        reverse("changes:list"),
        {"model": "gigaportal.school", "download": "csv"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="changelog.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "when",
        "by",
        "action",
        "object type",
        "object id",
        "object",
        "changes",
    ]
    school_b = entries["school_b"]
    assert rows[1] == [
        timezone.localtime(ObjectChange.objects.get(pk=school_b.pk).time).isoformat(
            timespec="seconds"
        ),
        "管理者 山本",
        "changed",
        "gigaportal.school",
        school_b.object_id,
        "第一中学校",
        "contact e-mail: b-old → b-new",
    ]
    assert len(rows) == 3
    response = client.get(reverse("changes:list"), {"download": "xlsx"})
    assert response.content.startswith(b"PK\x03\x04")


@pytest.mark.django_db
def test_a_school_user_sees_only_entries_about_their_school(client, school_a_user, entries):
    client.force_login(school_a_user)
    url = reverse("changes:list")
    a = entries["school_a"].pk
    assert _listed(client.get(url)) == [a]
    # Asking for school B's entries by filter gives nothing, not school B's entries.
    school_b = entries["school_b"].school
    assert _listed(client.get(url, {"school": school_b.pk})) == []
    assert _listed(client.get(url, {"model": "traffic.line"})) == []
    text = client.get(url, {"download": "csv"}).content.decode("utf-8-sig")
    assert "a-new" in text
    assert "b-new" not in text and "b-line-new" not in text
    page = client.get(url).content.decode()
    assert "b-new" not in page and school_b.name not in page


@pytest.mark.django_db
def test_support_staff_have_no_change_list_but_open_an_objects_history(
    client, support_staff, entries
):
    client.force_login(support_staff)
    assert client.get(reverse("changes:list")).status_code == 403
    entry = entries["school_b"]
    response = client.get(reverse("changes:object", args=["gigaportal.school", entry.object_id]))
    assert response.status_code == 200
    assert [e.pk for e in response.context["entries"]] == [entry.pk]


@pytest.mark.django_db
def test_an_objects_history_is_a_404_for_another_school_an_unknown_type_or_no_entries(
    client, school_a_user, entries
):
    client.force_login(school_a_user)
    mine, theirs = entries["school_a"], entries["school_b"]
    history = reverse("changes:object", args=["gigaportal.school", mine.object_id])
    response = client.get(history)
    assert response.status_code == 200
    assert [e.pk for e in response.context["entries"]] == [mine.pk]
    for model, object_id in [
        ("gigaportal.school", theirs.object_id),
        ("traffic.line", entries["line_b"].object_id),
        ("gigaportal.nosuchmodel", mine.object_id),
        ("nonsense", mine.object_id),
        ("gigaportal.school", "999999"),
    ]:
        url = reverse("changes:object", args=[model, object_id])
        assert client.get(url).status_code == 404, (model, object_id)


def test_the_changelog_command_prints_the_columns_the_issue_names_as_csv(leader, school_a):
    changelog.record(
        by=leader,
        action=changelog.Action.UPDATE,
        obj=school_a,
        changes={"name": ["青葉小", "青葉小学校"]},
    )
    out = io.StringIO()
    call_command("changelog", "--model", "gigaportal.School", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["time", "user", "action", "object_type", "object_id", "object", "changes"]
    [row] = rows[1:]
    assert row[1:6] == ["高橋 美咲", "update", "gigaportal.school", str(school_a.pk), "青葉小学校"]
    assert json.loads(row[6]) == {"name": ["青葉小", "青葉小学校"]}


def test_the_changelog_command_filters_by_day_and_refuses_a_bad_model_or_date(leader, school_a):
    from django.core.management.base import CommandError

    entry = changelog.record(
        by=leader, action=changelog.Action.UPDATE, obj=school_a, changes={"name": ["a", "b"]}
    )
    ObjectChange.objects.filter(pk=entry.pk).update(time=timezone.now() - dt.timedelta(days=10))
    out = io.StringIO()
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    call_command("changelog", "--since", since, "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[1:] == []
    with pytest.raises(CommandError, match="no such model"):
        call_command("changelog", "--model", "nothing.here", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("changelog", "--since", "2022-13-01", stdout=io.StringIO())
