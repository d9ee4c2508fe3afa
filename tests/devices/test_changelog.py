"""Every write of the devices app leaves exactly one change-log entry (gigaportal.models.
ObjectChange) saying who did what, through the page, the command and Django admin
alike; a refused write leaves none; an import is one entry per file, whatever its rows."""

from __future__ import annotations

import getpass
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices import services
from devices.models import Device, DeviceEvent, DevicesSettings
from gigaportal.models import ImportBatch, ObjectChange
from tests.devices.factories import make_device, make_device_model, make_spares
from tests.factories import submit_token

pytestmark = pytest.mark.django_db

Action, Via = ObjectChange.Action, ObjectChange.Via


@pytest.fixture
def entries():
    """The entries written inside a block: `with entries() as watch: ...`, then `watch()`."""

    class Watch:
        def __enter__(self):
            self.before = max(ObjectChange.objects.values_list("pk", flat=True), default=0)
            self.new: list[ObjectChange] = []
            return self

        def __exit__(self, *exc):
            self.new = list(
                ObjectChange.objects.filter(pk__gt=self.before)
                .select_related("content_type", "by", "school")
                .order_by("pk")
            )
            return False

        def __call__(self) -> list[ObjectChange]:
            return self.new

    return Watch


def the_one(watch) -> ObjectChange:
    new = watch()
    assert len(new) == 1, [str(e) for e in new]
    return new[0]


def about(entry: ObjectChange, obj) -> bool:
    return (entry.content_type, entry.object_id) == (
        ContentType.objects.get_for_model(obj),
        str(obj.pk),
    )


# --- Pages ---------------------------------------------------------------------------------


def test_a_breakage_with_a_spare_recorded_on_the_phone_form_is_one_issue_entry(
    client, support_staff, school_a, entries
):
    device = make_device(school=school_a, serial="CL0001")
    [spare] = make_spares(1)
    client.force_login(support_staff)
    with entries() as watch:
        response = client.post(
            reverse("devices:record"),
            {
                "submit_token": submit_token(support_staff),
                "school": school_a.pk,
                "serial": device.serial,
                "kind": "breakage",
                "cause": "dropped",
                "spare_serial": spare.serial,
                "date": "2022-05-10",
            },
        )
    assert response.status_code == 302
    entry = the_one(watch)
    event = DeviceEvent.objects.get()
    assert about(entry, event)
    assert (entry.action, entry.by, entry.by_name, entry.via) == (
        Action.ISSUE,
        support_staff,
        "佐藤 健",
        Via.WEB,
    )
    assert entry.school == school_a and entry.request_id == response["X-Request-ID"]
    assert entry.changes["device"] == [None, "CL0001"]
    assert entry.changes["spare"] == [None, spare.serial]
    assert entry.changes["date"] == [None, "2022-05-10"]


def test_a_breakage_without_a_spare_is_one_create_entry_and_a_refused_one_none(
    client, support_staff, school_a, entries
):
    device = make_device(school=school_a)
    client.force_login(support_staff)
    form = {"school": school_a.pk, "serial": device.serial, "kind": "failure", "cause": "charging"}
    with entries() as watch:
        client.post(
            reverse("devices:record"),
            form | {"date": "2022-05-10", "submit_token": submit_token(support_staff)},
        )
    entry = the_one(watch)
    assert (entry.action, entry.by) == (Action.CREATE, support_staff)
    assert entry.changes["kind"] == [None, "failure"] and "spare" not in entry.changes
    # Again: the device is in repair now, so the service refuses and nothing is logged.
    with entries() as watch:
        response = client.post(
            reverse("devices:record"),
            form | {"date": "2022-05-11", "submit_token": submit_token(support_staff)},
        )
    assert response.status_code == 400
    assert watch() == []


def test_a_schools_report_its_confirmation_and_a_dismissal_are_one_entry_each(
    client, school_a, school_a_user, support_staff, leader, entries
):
    device = make_device(school=school_a, serial="CL0002")
    other = make_device(school=school_a, serial="CL0003")
    [spare] = make_spares(1)

    client.force_login(school_a_user)
    with entries() as watch:
        client.post(
            reverse("devices:report_fault"),
            {
                "serial": device.serial,
                "kind": "breakage",
                "cause": "water",
                "submit_token": submit_token(school_a_user),
            },
        )
    report = DeviceEvent.objects.get(device=device)
    entry = the_one(watch)
    assert about(entry, report)
    assert (entry.action, entry.by, entry.via, entry.school) == (
        Action.CREATE,
        school_a_user,
        Via.WEB,
        school_a,
    )
    assert entry.changes["confirmed"] == [None, False]

    client.force_login(support_staff)
    with entries() as watch:
        client.post(
            reverse("devices:confirm_fault", args=[report.pk]), {"spare_serial": spare.serial}
        )
    entry = the_one(watch)
    assert about(entry, report)
    assert (entry.action, entry.by, entry.by_name) == (Action.CONFIRM, support_staff, "佐藤 健")
    assert entry.changes["confirmed"] == [False, True]
    assert entry.changes["spare"] == [None, spare.serial]

    other_report = services.device_fault_report(
        by=school_a_user, serial=other.serial, kind="failure", cause=""
    )
    client.force_login(leader)
    with entries() as watch:
        client.post(
            reverse("devices:dismiss_fault", args=[other_report.pk]),
            {"reason": "充電器の故障でした"},
        )
    entry = the_one(watch)
    assert about(entry, other_report)
    assert (entry.action, entry.by, entry.by_name, entry.school) == (
        Action.DISMISS,
        leader,
        "高橋 美咲",
        school_a,
    )
    assert entry.changes == {"dismissal_reason": [None, "充電器の故障でした"]}

    # Refused: a second dismissal, a confirmation after it, a dismissal without a reason.
    with entries() as watch:
        client.post(reverse("devices:dismiss_fault", args=[other_report.pk]), {"reason": "again"})
        client.post(reverse("devices:confirm_fault", args=[other_report.pk]), {})
        client.post(reverse("devices:dismiss_fault", args=[report.pk]), {"reason": ""})
    assert watch() == []


# --- Commands --------------------------------------------------------------------------------


def device_file(tmp_path, school, count: int, *, start: int = 0, name: str = "devices.csv"):
    path = tmp_path / name
    rows = [f"CMD{i:06d},iPad,{school.code},deployed" for i in range(start, start + count)]
    path.write_text("serial,model,school_code,status\n" + "\n".join(rows) + "\n")
    return path


def test_a_device_import_by_command_is_one_entry_for_its_batch_whatever_the_rows(
    tmp_path, school_a, entries
):
    make_device_model(name="iPad")
    for count, start in ((3, 0), (40, 100)):
        path = device_file(tmp_path, school_a, count, start=start, name=f"devices-{count}.csv")
        with entries() as watch:
            call_command("import_devices", str(path), stdout=io.StringIO())
        entry = the_one(watch)
        batch = ImportBatch.objects.get(file_name=path.name)
        assert about(entry, batch)
        assert (entry.action, entry.by, entry.via) == (Action.IMPORT, None, Via.COMMAND)
        assert entry.by_name == getpass.getuser()  # the login that ran the command
        assert entry.changes["kind"] == [None, "devices"]
        assert entry.changes["created"] == [None, count]
        assert entry.changes["sha256"] == [None, batch.sha256]
    assert Device.objects.count() == 43


def test_an_import_run_as_a_portal_user_is_recorded_as_that_user(
    tmp_path, school_a, leader, entries
):
    make_device_model(name="iPad")
    with entries() as watch:
        call_command(
            "import_devices",
            str(device_file(tmp_path, school_a, 2)),
            "--as",
            "leader",
            stdout=io.StringIO(),
        )
    entry = the_one(watch)
    assert (entry.action, entry.by, entry.by_name, entry.via) == (
        Action.IMPORT,
        leader,
        "高橋 美咲",
        Via.COMMAND,
    )


def test_an_event_import_by_command_is_one_entry_and_a_refused_file_none(
    tmp_path, school_a, entries
):
    model = make_device_model()
    for i in range(5):
        make_device(school=school_a, model=model, serial=f"EV{i}")
    spares = make_spares(5, model=model)
    path = tmp_path / "events.csv"
    rows = [f"2022-04-{10 + i},EV{i},破損,{spares[i].serial}" for i in range(5)]
    path.write_text("date,serial,event,replacement_serial\n" + "\n".join(rows) + "\n")
    with entries() as watch:
        call_command("import_device_events", str(path), stdout=io.StringIO())
    entry = the_one(watch)
    assert about(entry, ImportBatch.objects.get(kind="device_events"))
    assert (entry.action, entry.via, entry.changes["created"]) == (
        Action.IMPORT,
        Via.COMMAND,
        [None, 5],
    )
    assert DeviceEvent.objects.count() == 5  # five events, one entry

    bad = tmp_path / "bad.csv"
    bad.write_text("date,serial,event\n2022-05-01,NOPE,破損\n")
    with entries() as watch, pytest.raises(CommandError):
        call_command("import_device_events", str(bad), stdout=io.StringIO())
    assert watch() == []
    # The same file again changes nothing, and logs nothing.
    with entries() as watch:
        call_command("import_device_events", str(path), stdout=io.StringIO())
    assert watch() == []


def test_importing_ten_times_the_devices_writes_the_same_one_change_log_row(
    tmp_path, school_a, entries
):
    make_device_model(name="iPad")

    def changelog_inserts(path) -> int:
        with CaptureQueriesContext(connection) as queries:
            call_command("import_devices", str(path), stdout=io.StringIO())
        table = ObjectChange._meta.db_table
        return sum(
            1
            for q in queries
            if q["sql"].lstrip().upper().startswith("INSERT") and table in q["sql"]
        )

    with entries() as small:
        small_inserts = changelog_inserts(device_file(tmp_path, school_a, 50, name="n.csv"))
    with entries() as large:
        large_inserts = changelog_inserts(
            device_file(tmp_path, school_a, 500, start=1000, name="10n.csv")
        )
    assert small_inserts == large_inserts == 1
    assert len(small()) == len(large()) == 1
    assert Device.objects.count() == 550


# --- Django admin ---------------------------------------------------------------------------------


def test_changing_a_devices_asset_tag_in_admin_is_one_entry_by_the_admin(
    client, admin, school_a, entries
):
    device = make_device(school=school_a, serial="ADM001", asset_tag="GIGA-000001")
    client.force_login(admin)
    url = reverse("admin:devices_device_change", args=[device.pk])
    assert client.get(url).status_code == 200
    with entries() as watch:
        response = client.post(
            url,
            {
                "serial": device.serial,
                "model": device.model_id,
                "line_number": device.line_number,
                "asset_tag": "GIGA-000099",
                "_save": "Save",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    device.refresh_from_db()
    assert device.asset_tag == "GIGA-000099"
    entry = the_one(watch)
    assert about(entry, device)
    assert (entry.action, entry.by, entry.by_name, entry.via, entry.school) == (
        Action.UPDATE,
        admin,
        "管理者 山本",
        Via.ADMIN,
        school_a,
    )
    assert entry.changes == {"asset_tag": ["GIGA-000001", "GIGA-000099"]}


def test_changing_the_forecast_threshold_in_admin_is_one_entry_by_the_admin(client, admin, entries):
    settings_row = DevicesSettings.load()
    settings_row.save()
    client.force_login(admin)
    url = reverse("admin:devices_devicessettings_change", args=[1])
    with entries() as watch:
        response = client.post(url, {"forecast_threshold_months": 12, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert DevicesSettings.load().forecast_threshold_months == 12
    entry = the_one(watch)
    assert about(entry, settings_row)
    assert (entry.action, entry.by, entry.via) == (Action.UPDATE, admin, Via.ADMIN)
    assert entry.changes == {"forecast_threshold_months": [6, 12]}


def test_a_device_model_with_devices_offers_no_delete_page_and_an_unused_one_is_deleted_and_logged(
    client, admin, school_a, entries
):
    used = make_device(school=school_a, serial="ADM002").model
    unused = make_device_model(name="Chromebook 予備機種", kind="chromebook")
    client.force_login(admin)
    # The protected model: no delete page (it would only list every device to refuse).
    assert (
        client.get(reverse("admin:devices_devicemodel_delete", args=[used.pk])).status_code == 403
    )
    change_page = client.get(reverse("admin:devices_devicemodel_change", args=[used.pk]))
    assert reverse("admin:devices_devicemodel_delete", args=[used.pk]) not in change_page.text
    with entries() as watch:
        response = client.post(
            reverse("admin:devices_devicemodel_delete", args=[unused.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert [(e.action, e.object_repr) for e in watch()] == [(Action.DELETE, str(unused))]
