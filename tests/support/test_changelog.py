"""Every write of the support center leaves exactly one change-log entry
(gigaportal.models.ObjectChange) saying who changed what, through which channel:
the portal's pages, the import command and Django admin alike."""

import datetime as dt
import getpass
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Max
from django.forms import CheckboxInput
from django.urls import reverse
from django.utils import timezone

from gigaportal import imports
from gigaportal.models import ImportBatch, ObjectChange, User
from gigaportal.outbox import State
from gigaportal.roles import Role
from support import services
from support.models import (
    Campaign,
    RequestEmail,
    RequestEvent,
    Status,
    SupportRecord,
    SupportRequest,
)
from support.services import RecordInput, SupportError
from tests.factories import make_school, make_user, submit_token
from tests.support.factories import make_record, make_request, topic

# A day to schedule visits on: next year is always inside the date window.
FUTURE_YEAR = dt.date.today().year + 1

pytestmark = pytest.mark.django_db

Action = ObjectChange.Action
Via = ObjectChange.Via


# --- Helpers ---------------------------------------------------------------------------


def mark() -> int:
    """The newest entry so far: what a test's action writes comes after it."""
    return ObjectChange.objects.aggregate(last=Max("pk"))["last"] or 0


def entries_since(start: int) -> list[ObjectChange]:
    return list(ObjectChange.objects.filter(pk__gt=start).order_by("pk"))


def assert_entry(entry, *, action, obj, by, via, school=None) -> None:
    """The entry is about `obj`, made by `by` (a user; None for the command line)."""
    assert entry.action == action
    assert entry.content_type == ContentType.objects.get_for_model(obj)
    assert entry.object_id == str(obj.pk)
    assert entry.object_repr == str(obj)[:200]
    assert entry.via == via
    if by is None:
        assert entry.by is None
        assert entry.by_name == getpass.getuser()  # the login that ran the command
        assert entry.by_display.startswith("コマンド")
    else:
        assert entry.by == by
        assert entry.by_name == by.display_name
    assert entry.school_id == (school.pk if school else None)


def record_form(record, **changes) -> dict:
    """The page's record form, as filled in for `record`, with `changes`."""
    data = {
        "school": record.school_id,
        "kind": record.kind,
        "date": record.date.isoformat(),
        "start_time": record.start_time.strftime("%H:%M") if record.start_time else "",
        "duration_minutes": record.duration_minutes or "",
        "staff": [u.pk for u in record.staff.all()],
        "topics": [t.pk for t in record.topics.all()],
        "what_was_done": record.what_was_done,
    }
    if record.follow_up_needed:
        data["follow_up_needed"] = "on"
    data.update(changes)
    return data


def _widget_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_widget_value(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return value


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        data[form.add_prefix(name)] = _widget_value(value)
    return data


def admin_change(client, obj, **changes):
    """Opens `obj`'s change form in Django admin and saves it with `changes`, as an
    administrator's browser would: every field and inline as the page shows it."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    data.update(changes)
    data["_save"] = "Save"
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    return response


@pytest.fixture
def admin_client_for(client, admin):
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


# --- The portal's pages ----------------------------------------------------------------


def test_logging_a_visit_is_one_entry_plus_one_for_the_request_it_closes(
    client, support_staff, school_a, school_a_user
):
    request = make_request(
        school=school_a,
        requested_by=school_a_user,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=timezone.localdate(),
    )
    client.force_login(support_staff)
    start = mark()
    response = client.post(
        reverse("support:record_create"),
        {
            "submit_token": submit_token(support_staff),
            "request": request.pk,
            "school": school_a.pk,
            "kind": "visit",
            "date": timezone.localdate().isoformat(),
            "staff": [support_staff.pk],
            "topics": [topic("faults").pk],
            "duration_minutes": 60,
            "what_was_done": "再起動で復旧しました",
        },
    )
    assert response.status_code == 302
    record = SupportRecord.objects.get()
    created, completed = entries_since(start)
    assert_entry(
        created, action=Action.CREATE, obj=record, by=support_staff, via=Via.WEB, school=school_a
    )
    assert created.changes["what_was_done"] == [None, "再起動で復旧しました"]
    assert created.changes["staff"] == [None, ["佐藤 健"]]
    assert created.changes["school"] == [None, "青葉小学校"]
    assert created.changes["duration_minutes"] == [None, 60]
    assert_entry(
        completed,
        action=Action.COMPLETE,
        obj=request,
        by=support_staff,
        via=Via.WEB,
        school=school_a,
    )
    assert completed.changes == {
        "status": ["scheduled", "done"],
        "record": [None, str(record)],
    }
    # Both come from the one page request.
    assert created.request_id and created.request_id == completed.request_id


def test_editing_a_record_on_the_page_is_one_entry_with_what_changed(
    client, support_staff, school_a
):
    record = make_record(school=school_a, staff=support_staff, what_was_done="iPad更新")
    client.force_login(support_staff)
    url = reverse("support:record_edit", args=[record.pk])
    start = mark()
    response = client.post(
        url, record_form(record, what_was_done="iPad更新、充電保管庫も点検", duration_minutes=45)
    )
    assert response.status_code == 302
    record.refresh_from_db()
    (entry,) = entries_since(start)
    assert_entry(
        entry, action=Action.UPDATE, obj=record, by=support_staff, via=Via.WEB, school=school_a
    )
    assert entry.changes == {
        "what_was_done": ["iPad更新", "iPad更新、充電保管庫も点検"],
        "duration_minutes": [None, 45],
    }
    # Saving the form again unchanged changes nothing, and logs nothing.
    start = mark()
    assert client.post(url, record_form(record)).status_code == 302
    assert entries_since(start) == []


def test_a_school_asking_for_a_visit_is_one_entry_by_the_school_user(
    client, school_a_user, school_a
):
    client.force_login(school_a_user)
    day = timezone.localdate() + dt.timedelta(days=3)
    start = mark()
    response = client.post(
        reverse("support:request_create"),
        {
            "submit_token": submit_token(school_a_user),
            "kind": "visit",
            "topic": topic("classroom").pk,
            "preferred_date_1": day.isoformat(),
            "details": "Classroomのクラス作成",
        },
    )
    assert response.status_code == 302
    request = SupportRequest.objects.get()
    (entry,) = entries_since(start)
    assert_entry(
        entry, action=Action.CREATE, obj=request, by=school_a_user, via=Via.WEB, school=school_a
    )
    assert entry.changes["school"] == [None, "青葉小学校"]
    assert entry.changes["status"] == [None, "requested"]
    assert entry.changes["preferred_date_1"] == [None, day.isoformat()]
    assert entry.changes["details"] == [None, "Classroomのクラス作成"]
    assert entry.changes["topic"] == [None, str(topic("classroom"))]


def test_the_leader_scheduling_a_request_is_one_entry_with_the_date_and_staff(
    client, leader, support_staff, school_a, school_a_user
):
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(leader)
    start = mark()
    response = client.post(
        reverse("support:request_schedule", args=[request.pk]),
        {
            "submit_token": submit_token(leader),
            "staff": [support_staff.pk],
            "date": f"{FUTURE_YEAR}-06-03",
            "time": "10:30",
            "note": "午前中",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.SCHEDULED
    (entry,) = entries_since(start)
    assert_entry(
        entry, action=Action.SCHEDULE, obj=request, by=leader, via=Via.WEB, school=school_a
    )
    assert entry.changes == {
        "status": ["requested", "scheduled"],
        "scheduled_date": [None, f"{FUTURE_YEAR}-06-03"],
        "scheduled_time": [None, "10:30:00"],
        "assigned_staff": [[], ["佐藤 健"]],
        "note": [None, "午前中"],
    }
    # The school's e-mail is queued with it (the outbox row is not a change of its own).
    assert RequestEmail.objects.filter(request=request, state=State.PENDING).count() == 1


def test_a_school_cancelling_with_a_reason_is_one_entry_with_the_reason(
    client, school_a_user, school_a
):
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    start = mark()
    response = client.post(
        reverse("support:request_cancel", args=[request.pk]),
        {"note": "自己解決しました", "confirm": "on"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    (entry,) = entries_since(start)
    assert_entry(
        entry, action=Action.CANCEL, obj=request, by=school_a_user, via=Via.WEB, school=school_a
    )
    assert entry.changes == {
        "status": ["requested", "cancelled"],
        "reason": [None, "自己解決しました"],
    }
    assert request.events.last().note == "自己解決しました"


def test_a_campaign_is_one_entry_for_the_campaign_and_one_per_school_visit(
    client, leader, support_staff
):
    schools = [make_school() for _ in range(4)]
    client.force_login(leader)
    start = mark()
    response = client.post(
        reverse("support:campaign_create"),
        {
            "submit_token": submit_token(leader),
            "name": "iPadOS更新",
            "start": f"{FUTURE_YEAR}-08-01",
            "end": f"{FUTURE_YEAR}-08-09",
            "kind": "visit",
            "topic": topic("updates").pk,
            "schools": [s.pk for s in schools],
            "staff": [support_staff.pk],
            "visits_per_staff_per_day": 2,
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.visits.count() == 4
    entries = entries_since(start)
    (entry,) = [e for e in entries if e.content_type.model_class() is Campaign]
    assert_entry(entry, action=Action.CREATE, obj=campaign, by=leader, via=Via.WEB)
    assert entry.changes["name"] == [None, "iPadOS更新"]
    assert entry.changes["visits"] == [None, 4]
    assert entry.changes["schools"] == [None, sorted(s.name for s in schools)]
    assert entry.changes["staff"] == [None, ["佐藤 健"]]
    # Each school's visit has its own entry, so the school's change log shows it.
    visits = [e for e in entries if e.content_type.model_class() is SupportRequest]
    assert sorted(e.school_id for e in visits) == sorted(s.pk for s in schools)
    assert all(
        e.action == Action.SCHEDULE and e.changes["campaign"][1] == "iPadOS更新" for e in visits
    )
    assert len(entries) == 5


def test_the_log_import_by_command_is_one_entry_for_the_batch_by_the_command_line(
    tmp_path, support_staff, school_a, school_b
):
    assert not User.objects.filter(role=Role.LEADER).exists()  # no leader account needed
    path = tmp_path / "log.csv"
    path.write_text(
        "日付,学校コード,区分,担当\n"
        "2022/4/12,A001,訪問支援,support_staff\n"
        "2022/4/13,B001,オンライン支援,佐藤 健\n"
        "2022/4/14,A001,研修支援,佐藤健\n",
        encoding="utf-8",
    )
    start = mark()
    out = io.StringIO()
    call_command("import_support_log", str(path), stdout=out)
    batch = ImportBatch.objects.get(kind="support_log")
    assert imports.describe(batch) in out.getvalue()
    assert SupportRecord.objects.count() == 3
    assert set(SupportRecord.objects.values_list("created_by", flat=True)) == {None}
    assert (batch.status, batch.created, batch.by, batch.via) == (
        ImportBatch.Status.DONE,
        3,
        None,
        Via.COMMAND,
    )
    (entry,) = entries_since(start)  # one for the batch, none per record
    assert_entry(entry, action=Action.IMPORT, obj=batch, by=None, via=Via.COMMAND)
    assert entry.changes == {
        "kind": [None, "support_log"],
        "file_name": [None, "log.csv"],
        "sha256": [None, batch.sha256],
        "created": [None, 3],
        "updated": [None, 0],
    }
    # Given --as, the command acts as that portal user.
    other = tmp_path / "more.csv"
    other.write_text(
        "日付,学校コード,区分,担当\n2022/5/12,A001,訪問支援,support_staff\n", encoding="utf-8"
    )
    start = mark()
    call_command("import_support_log", str(other), "--as", "support_staff", stdout=io.StringIO())
    (entry,) = entries_since(start)
    later = ImportBatch.objects.filter(kind="support_log").order_by("pk").last()
    assert_entry(entry, action=Action.IMPORT, obj=later, by=support_staff, via=Via.COMMAND)


# --- Django admin ---------------------------------------------------------------------


def test_changing_a_requests_date_and_staff_in_admin_schedules_it_as_the_page_does(
    admin_client_for, admin, school_a, school_a_user, support_staff
):
    colleague = make_user(role=Role.SUPPORT, full_name="鈴木 大輔")
    first_day = timezone.localdate() + dt.timedelta(days=3)
    request = make_request(
        school=school_a,
        requested_by=school_a_user,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=first_day,
    )
    events = request.events.count()
    start = mark()
    admin_change(
        admin_client_for,
        request,
        scheduled_date=f"{FUTURE_YEAR}-06-04",
        scheduled_time="13:00",
        assigned_staff=[colleague.pk],
        note="担当変更",
    )
    request.refresh_from_db()
    assert (request.status, request.scheduled_date) == (
        Status.SCHEDULED,
        dt.date(FUTURE_YEAR, 6, 4),
    )
    assert list(request.assigned_staff.all()) == [colleague]
    # On the request's timeline, by the administrator.
    assert request.events.count() == events + 1
    event = request.events.last()
    assert (event.by, event.from_status, event.to_status, event.note) == (
        admin,
        "scheduled",
        "scheduled",
        "担当変更",
    )
    # One e-mail to the school, with the new date.
    (email,) = RequestEmail.objects.filter(request=request)
    assert email.recipient == school_a.email
    assert f"{FUTURE_YEAR}-06-04" in email.subject
    assert "鈴木 大輔" in email.body
    assert email.state == State.PENDING
    # One change-log entry, by the administrator, through admin.
    (entry,) = entries_since(start)
    assert_entry(
        entry, action=Action.SCHEDULE, obj=request, by=admin, via=Via.ADMIN, school=school_a
    )
    assert entry.changes == {
        "scheduled_date": [first_day.isoformat(), f"{FUTURE_YEAR}-06-04"],
        "scheduled_time": [None, "13:00:00"],
        "assigned_staff": [["佐藤 健"], ["鈴木 大輔"]],
        "note": [None, "担当変更"],
    }


def test_editing_a_record_in_admin_goes_through_record_update(
    admin_client_for, admin, support_staff, school_a, monkeypatch
):
    record = make_record(school=school_a, staff=support_staff, what_was_done="iPad更新")
    calls = []
    real = services.record_update

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "record_update", spy)
    start = mark()
    admin_change(admin_client_for, record, what_was_done="iPad更新(管理者が修正)")
    assert [(c["by"], c["record"].pk) for c in calls] == [(admin, record.pk)]
    record.refresh_from_db()
    assert record.what_was_done == "iPad更新(管理者が修正)"
    assert list(record.staff.all()) == [support_staff]
    (entry,) = entries_since(start)
    assert_entry(entry, action=Action.UPDATE, obj=record, by=admin, via=Via.ADMIN, school=school_a)
    assert entry.changes == {"what_was_done": ["iPad更新", "iPad更新(管理者が修正)"]}


def test_a_month_old_record_is_edited_only_by_the_leader_or_admin_and_each_edit_is_logged(
    client, admin_client_for, admin, leader, support_staff, school_a
):
    record = make_record(
        school=school_a,
        staff=support_staff,
        created_by=support_staff,
        date=timezone.localdate() - dt.timedelta(days=30),
        what_was_done="初回",
    )
    SupportRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    record.refresh_from_db()
    assert not services.record_may_edit(record=record, user=support_staff)
    assert services.record_may_edit(record=record, user=leader)
    assert services.record_may_edit(record=record, user=admin)
    start = mark()

    # The support staff member who logged it: not on the page, not by the service,
    # and Django admin is not theirs at all.
    staff_client = type(client)()
    staff_client.force_login(support_staff)
    edit_url = reverse("support:record_edit", args=[record.pk])
    assert staff_client.get(edit_url).status_code == 403
    assert staff_client.post(edit_url, record_form(record, what_was_done="x")).status_code == 403
    with pytest.raises(SupportError):
        services.record_update(
            by=support_staff,
            record=record,
            data=RecordInput(
                date=record.date,
                school=school_a,
                kind=record.kind,
                staff=[support_staff],
                what_was_done="x",
            ),
        )
    admin_page = staff_client.get(reverse("admin:support_supportrecord_change", args=[record.pk]))
    assert admin_page.status_code == 302
    assert reverse("admin:login") in admin_page.url
    record.refresh_from_db()
    assert record.what_was_done == "初回"
    assert entries_since(start) == []

    # The leader, on the page.
    leader_client = type(client)()
    leader_client.force_login(leader)
    response = leader_client.post(edit_url, record_form(record, what_was_done="リーダーが修正"))
    assert response.status_code == 302
    (by_leader,) = entries_since(start)
    assert_entry(
        by_leader, action=Action.UPDATE, obj=record, by=leader, via=Via.WEB, school=school_a
    )
    assert by_leader.changes == {"what_was_done": ["初回", "リーダーが修正"]}

    # The administrator, in Django admin.
    start = mark()
    record.refresh_from_db()
    admin_change(admin_client_for, record, what_was_done="管理者が修正")
    record.refresh_from_db()
    assert record.what_was_done == "管理者が修正"
    (by_admin,) = entries_since(start)
    assert_entry(
        by_admin, action=Action.UPDATE, obj=record, by=admin, via=Via.ADMIN, school=school_a
    )
    assert by_admin.changes == {"what_was_done": ["リーダーが修正", "管理者が修正"]}
    assert RequestEvent.objects.count() == 0  # a record with no request moves none
