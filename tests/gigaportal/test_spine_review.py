"""Defects a cold review of the spine found, each pinned by a test that failed before
its fix: history that followed an object to another school, odd parameters, the same
file imported again to undo a later one, admin saves, messages left "sending"."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from gigaportal import changelog, imports, outbox
from gigaportal.models import ImportBatch, ObjectChange
from gigaportal.scope import COMMAND_LINE
from support import services as support_services
from support.models import RequestEmail, Status, SupportRecord
from tests.support.factories import make_record, make_request

pytestmark = pytest.mark.django_db


# --- The change log ------------------------------------------------------------------


def test_a_record_moved_to_another_school_takes_its_history_along(
    client, leader, support_staff, school_a, school_b, school_a_user
):
    record = make_record(school=school_a, staff=support_staff, what_was_done="A校での内容")
    data = support_services.RecordInput(
        date=record.date,
        school=school_a,
        kind=record.kind,
        staff=[support_staff],
        what_was_done="A校での内容（訂正）",
    )
    support_services.record_update(by=leader, record=record, data=data)
    moved = support_services.RecordInput(
        date=record.date,
        school=school_b,
        kind=record.kind,
        staff=[support_staff],
        what_was_done="B校の内容",
    )
    support_services.record_update(by=leader, record=record, data=moved)
    # Every entry about the record is now school B's.
    entries = ObjectChange.objects.filter(
        object_id=str(record.pk), content_type__model="supportrecord"
    )
    assert set(entries.values_list("school_id", flat=True)) == {school_b.pk}
    client.force_login(school_a_user)
    history = reverse("changes:object", args=["support.supportrecord", record.pk])
    assert client.get(history).status_code == 404
    listing = client.get(reverse("changes:list") + "?download=csv").content.decode("utf-8-sig")
    assert "B校の内容" not in listing and "A校での内容" not in listing


@pytest.mark.parametrize(
    "url",
    [
        "/changes/devices.device/%00/",
        "/changes/devices.device/1%00/",
        "/changes/devices.dev%00ice/1/",
        "/changes/?model=devices.dev%00ice",
        "/changes/?model=%00",
    ],
)
def test_a_nul_byte_in_the_change_log_urls_is_a_404_or_ignored_never_a_500(
    client, school_a_user, url
):
    client.force_login(school_a_user)
    assert client.get(url).status_code in (200, 404)


def test_the_history_of_an_object_without_a_school_is_the_leaders(client, support_staff, leader):
    changelog.record(
        by=leader, action=changelog.Action.UPDATE, obj=leader, changes={"email": ["a", "b"]}
    )
    url = reverse("changes:object", args=["gigaportal.user", leader.pk])
    client.force_login(support_staff)
    assert client.get(url).status_code == 404
    client.force_login(leader)
    assert client.get(url).status_code == 200


def test_a_campaigns_visits_are_in_each_schools_change_log(leader, support_staff, school_a):
    from support.models import Kind

    support_services.campaign_create(
        by=leader,
        name="iPadOS更新",
        start=dt.date(2030, 8, 5),
        end=dt.date(2030, 8, 9),
        kind=Kind.VISIT,
        topic=None,
        schools=[school_a],
        staff=[support_staff],
    )
    visit = ObjectChange.objects.get(action="schedule", school=school_a)
    assert visit.changes["campaign"] == [None, "iPadOS更新"]


def test_changing_ones_own_password_is_logged_without_the_password(client, support_staff):
    from tests.factories import PASSWORD

    client.force_login(support_staff)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Kw9!vzq-7tTq",
            "new_password2": "Kw9!vzq-7tTq",
        },
    )
    assert response.status_code == 302
    entry = ObjectChange.objects.get(content_type__model="user", object_id=str(support_staff.pk))
    assert "Kw9" not in str(entry.changes) and list(entry.changes) == ["password"]


# --- Periods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/devices/breakage/?month=2999-12",
        "/devices/breakage/?month=1900-01",
        "/devices/rates/?month=1900-02",
        "/devices/forecast/?month=1900-01",
        "/devices/forecast/?month=2999-12",
        "/support/reports/terms/?month=2999-12",
        "/support/reports/terms/?month=1900-02",
        "/traffic/?from=1900-01&to=2999-12",
        "/traffic/?to=2999-12",
    ],
)
def test_a_month_at_the_calendars_edge_shows_the_default_period_not_a_500(client, leader, url):
    client.force_login(leader)
    assert client.get(url).status_code == 200


def test_from_alone_runs_to_the_latest_month_with_records(client, leader, school_a):
    from gigaportal.calendar import Month
    from tests.traffic.factories import make_line, set_usage

    line = make_line(school=school_a)
    for month in (Month(2022, 4), Month(2022, 5), Month(2022, 6)):
        set_usage(line, month, 10)
    client.force_login(leader)
    response = client.get(reverse("traffic:usage") + "?from=2022-05&download=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert [row.split(",")[0] for row in lines[1:]] == ["2022年5月", "2022年6月"]


def test_the_mdm_and_history_downloads_keep_their_names(client, leader, support_staff, school_a):
    make_record(school=school_a, staff=support_staff)
    client.force_login(leader)
    response = client.get(reverse("support:school_history", args=[school_a.pk]) + "?download=csv")
    assert f'filename="support-history-{school_a.code}.csv"' in response["Content-Disposition"]


def test_a_download_name_with_a_quote_or_a_line_break_cannot_break_the_header():
    from gigaportal.reports.tables import content_disposition

    header = content_disposition('support-history-RT"X6\r\nSet-Cookie: a=b.csv')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="support-history-RT_X6_Set-Cookie_a_b.csv";')


# --- Import batches --------------------------------------------------------------------

USAGE = "回線番号,利用月,通信量(GB),学校コード\n070-1000-0001,2022-04,{gb},A001\n"


def test_an_earlier_usage_file_imported_again_undoes_a_later_correction(school_a):
    from traffic.models import MonthlyUsage

    def run(gb):
        return imports.batch_import(
            kind="traffic_usage", file=io.BytesIO(USAGE.format(gb=gb).encode()), by=COMMAND_LINE
        )

    first, correction, again = run(10), run(9.5), run(10)
    assert [b.status for b in (first, correction, again)] == ["done", "done", "done"]
    assert MonthlyUsage.objects.get().usage_mb == Decimal(10 * 1024)
    # The last file once more is still a no-op.
    assert run(10).status == ImportBatch.Status.UNCHANGED


def test_the_same_support_log_is_never_applied_twice_even_after_another(
    leader, support_staff, school_a
):
    log = "日付,学校コード,区分,担当\n2022-05-10,{code},訪問支援,{staff}\n"

    def run(day):
        text = log.format(code=school_a.code, staff=support_staff.username).replace("05-10", day)
        return imports.batch_import(kind="support_log", file=io.BytesIO(text.encode()), by=leader)

    assert [run("05-10").status, run("05-11").status, run("05-10").status] == [
        "done",
        "done",
        "unchanged",
    ]
    assert SupportRecord.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_over_several_finished_usage_jobs():
    """Two finished ImportJobs had no digest: both become done batches (the unique
    index is only for additive kinds' digests)."""
    executor = MigrationExecutor(connection)
    executor.migrate(
        [
            ("traffic", "0005_import_job_started_at"),
            ("gigaportal", "0003_changelog_and_import_batches"),
        ]
    )
    old = executor.loader.project_state([("traffic", "0005_import_job_started_at")]).apps
    ImportJob = old.get_model("traffic", "ImportJob")
    for name in ("a.csv", "b.csv"):
        ImportJob.objects.create(original_name=name, size=1, status="done", rows=3)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert sorted(
        ImportBatch.objects.filter(kind="traffic_usage").values_list("file_name", "status")
    ) == [("a.csv", "done"), ("b.csv", "done")]


# --- Django admin ------------------------------------------------------------------------


def _admin_change(client, obj, data):
    return client.post(
        reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]), data
    )


def test_saving_an_unchanged_request_in_admin_emails_nobody(
    client, admin, school_a, school_a_user, support_staff, django_capture_on_commit_callbacks
):
    day = dt.date.today() + dt.timedelta(days=5)
    request = make_request(school=school_a, requested_by=school_a_user)
    support_services.request_schedule(by=admin, request=request, staff=[support_staff], date=day)
    emails = RequestEmail.objects.count()
    client.force_login(admin)
    data = {
        "school": school_a.pk,
        "scheduled_date": day.isoformat(),
        "scheduled_time": "",
        "assigned_staff": [support_staff.pk],
        "note": "",
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_change(client, request, data)
    assert response.status_code == 302, response.content[:500]
    assert RequestEmail.objects.count() == emails
    assert len(mail.outbox) == 0


def test_a_request_entered_for_the_wrong_school_is_moved_in_admin_without_a_visit(
    client, admin, school_a, school_b, school_a_user
):
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(admin)
    data = {
        "school": school_b.pk,
        "scheduled_date": "",
        "scheduled_time": "",
        "note": "",
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "comments-TOTAL_FORMS": 0,
        "comments-INITIAL_FORMS": 0,
    }
    response = _admin_change(client, request, data)
    assert response.status_code == 302, response.content[:800]
    request.refresh_from_db()
    assert (request.school, request.status) == (school_b, Status.REQUESTED)
    assert not RequestEmail.objects.exists()
    assert ObjectChange.objects.filter(action="update", object_id=str(request.pk)).exists()


def test_moving_a_requests_record_to_another_school_in_admin_is_a_form_error(
    client, admin, school_a, school_b, school_a_user, support_staff
):
    request = make_request(school=school_a, requested_by=school_a_user)
    record = make_record(school=school_a, staff=support_staff, request=request)
    client.force_login(admin)
    data = {
        "date": record.date.isoformat(),
        "school": school_b.pk,
        "kind": record.kind,
        "staff": [support_staff.pk],
        "what_was_done": "",
    }
    response = _admin_change(client, record, data)
    assert response.status_code == 200  # the form again, with the service's message
    assert "別の学校" in response.content.decode()
    record.refresh_from_db()
    assert record.school == school_a


def test_a_device_with_ledger_events_keeps_its_serial_and_model_in_admin(client, admin, school_a):
    from devices.admin import DeviceAdmin
    from devices.models import Device
    from tests.devices.factories import make_device, make_device_model

    device = make_device(school=school_a)
    other = make_device_model(name="iPad Air")
    from devices import ledger
    from devices.services import device_events_record

    device_events_record(
        events=[ledger.Event(dt.date.today(), device.serial, ledger.Kind.BREAKAGE)]
    )
    from django.contrib import admin as django_admin

    model_admin = DeviceAdmin(Device, django_admin.site)
    assert {"serial", "model"} <= set(model_admin.get_readonly_fields(None, device))
    assert other.pk  # a model the device could otherwise have been moved to


# --- The outbox ---------------------------------------------------------------------------


def test_an_unexpected_error_while_sending_is_retried_and_the_batch_goes_on(
    school_a, school_a_user, leader, support_staff
):
    requests = [make_request(school=school_a, requested_by=school_a_user) for _ in range(2)]
    emails = [
        RequestEmail.objects.create(request=r, recipient="x@example.jp", subject="s", body="b")
        for r in requests
    ]
    sent = []

    def send(email):
        if email.pk == emails[0].pk:
            raise ValueError("a header with a line break")
        sent.append(email.pk)

    outcomes = outbox.deliver_all(RequestEmail, [e.pk for e in emails], send=send)
    assert outcomes == {"retry": 1, "sent": 1} and sent == [emails[1].pk]
    first = RequestEmail.objects.get(pk=emails[0].pk)
    assert first.state == outbox.State.PENDING and first.next_attempt_at is not None
    assert "line break" in first.last_error


def test_excel_gets_text_without_the_control_characters_it_refuses():
    from openpyxl import load_workbook

    from gigaportal.reports import Report, ReportColumn, xlsx_bytes

    report = Report(title="t", columns=[ReportColumn("a", "a")], rows=[("行1\x0b行2",)])
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report))).active
    assert sheet["A2"].value == "行1行2"
