"""Device and event imports: encodings, aliases, all-or-nothing, date order, bulk."""

from __future__ import annotations

import getpass
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from devices import services
from devices.models import Device, DeviceEvent, DeviceModel
from gigaportal import reports as portal_reports
from gigaportal.models import ImportBatch
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import TabularError
from tests.devices.factories import make_device, make_device_model, make_spares

pytestmark = pytest.mark.django_db


def csv_file(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def test_it_imports_devices_with_japanese_headers_in_shift_jis(school_a):
    make_device_model(name="iPad")
    data = (
        "シリアル番号,機種,学校コード,状態,回線番号,資産番号\n"
        f"DMPX001,iPad,{school_a.code},配置,070-1111-2222,A-1\n"
        "DMPX002,ipad,,保守用,,\n"
    )
    result = services.device_import(file=csv_file(data, "cp932"))
    assert (result.created, result.updated) == (2, 0)
    deployed = Device.objects.get(serial="DMPX001")
    assert (deployed.status, deployed.school, deployed.line_number, deployed.asset_tag) == (
        "deployed",
        school_a,
        "070-1111-2222",
        "A-1",
    )
    assert Device.objects.get(serial="DMPX002").status == "spare"


def test_importing_again_updates_by_serial_and_leaves_unchanged_rows_alone(school_a):
    make_device_model(name="iPad")
    data = f"serial,model,school_code,status,line_number\nX1,iPad,{school_a.code},deployed,1\nX2,iPad,,spare,\n"
    services.device_import(file=csv_file(data))
    changed = data.replace(",deployed,1", ",deployed,2")
    result = services.device_import(file=csv_file(changed))
    assert (result.created, result.updated) == (0, 1)
    assert Device.objects.get(serial="X1").line_number == "2"


def test_a_bad_device_file_is_refused_whole_with_row_numbers(school_a):
    make_device_model(name="iPad")
    data = (
        "serial,model,school_code,status\n"
        f"OK1,iPad,{school_a.code},deployed\n"
        "BAD1,Surface,,spare\n"
        "BAD2,iPad,,deployed\n"
        f"BAD3,iPad,{school_a.code},spare\n"
        "OK1,iPad,,spare\n"
        "BAD4,iPad,NOPE,deployed\n"
    )
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv_file(data))
    text = "\n".join(info.value.messages())
    for row in (3, 4, 5, 6, 7):
        assert f"{row}" in text
    assert "Surface" in text and "NOPE" in text
    assert not Device.objects.exists()


def test_a_device_with_events_cannot_be_moved_by_an_import(school_a, school_b):
    device = make_device(school=school_a, serial="MOVED1")
    [spare] = make_spares(1)
    services.device_breakage_record(
        by=None,
        school=school_a,
        serial=device.serial,
        kind="breakage",
        cause="",
        spare_serial=spare.serial,
    )
    data = f"serial,model,school_code,status\n{spare.serial},iPad,{school_b.code},deployed\n"
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv_file(data))
    assert spare.serial in str(info.value)
    spare.refresh_from_db()
    assert spare.school == school_a


def test_a_dismissed_report_does_not_hold_a_device_in_place_but_a_pending_one_does(
    school_a, school_b, school_a_user, support_staff
):
    make_device(school=school_a, serial="R1")
    make_device(school=school_a, serial="R2")
    dismissed = services.device_fault_report(
        by=school_a_user, serial="R1", kind="breakage", cause=""
    )
    services.device_fault_dismiss(by=support_staff, event_id=dismissed.pk, reason="誤報")
    services.device_fault_report(by=school_a_user, serial="R2", kind="breakage", cause="")
    move = "serial,model,school_code,status\n{serial},iPad,{code},deployed\n"
    # R1's report was not a fault: the device has no ledger events and may move.
    result = services.device_import(file=csv_file(move.format(serial="R1", code=school_b.code)))
    assert result.updated == 1 and Device.objects.get(serial="R1").school == school_b
    # R2's report still waits for staff, who will confirm it at school A.
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv_file(move.format(serial="R2", code=school_b.code)))
    assert "R2" in str(info.value)
    assert Device.objects.get(serial="R2").school == school_a


def test_events_are_imported_in_date_order_with_every_date_form(school_a, school_b):
    model = make_device_model()
    broken = make_device(school=school_a, model=model, serial="B1")
    make_spares(0)
    spare = make_device(model=model, serial="SPARE1")
    newcomer = make_device(model=model, serial="SPARE2")
    data = (
        "日付,シリアル番号,区分,代替機シリアル,学校コード,原因\n"
        # The repair is listed first but happens last.
        "2022年6月1日,B1,修理完了,,,\n"
        "2022/4/15,B1,破損,SPARE1,,落下\n"
        f"2022-05-01,SPARE2,払出,,{school_b.code},\n"
    )
    result = services.device_event_import(file=csv_file(data, "utf-8-sig"))
    assert result.created == 3
    broken.refresh_from_db()
    spare.refresh_from_db()
    newcomer.refresh_from_db()
    assert broken.status == "spare"
    assert (spare.status, spare.school) == ("deployed", school_a)
    assert (newcomer.status, newcomer.school) == ("deployed", school_b)
    assert DeviceEvent.objects.get(kind="breakage").cause == "dropped"


@pytest.mark.parametrize("chunk_rows", [1, 2, 5_000])
def test_events_applied_a_chunk_at_a_time_come_out_as_one_batch(
    monkeypatch, chunk_rows, school_a, school_b
):
    """The events are sorted on disk and applied a few at a time, each chunk writing
    its states and rows before the next reads them: the same outcome and the same
    messages, in row order, as one batch."""
    monkeypatch.setattr(services.imports, "EVENT_CHUNK_ROWS", chunk_rows)
    model = make_device_model()
    make_device(school=school_a, model=model, serial="B1")
    make_device(school=school_a, model=model, serial="B2")
    make_device(model=model, serial="SPARE1")
    data = (
        "日付,シリアル番号,区分,代替機シリアル,学校コード\n"
        "2022-06-01,B1,修理完了,,\n"  # row 2, applied third: B1 is in repair by then
        "2022-04-20,B2,故障,SPARE1,\n"  # row 3: SPARE1 went to B1's school on 04-15
        "2022-04-15,B1,破損,SPARE1,\n"  # row 4, applied first
        f"2022-05-01,SPARE1,払出,,{school_b.code}\n"  # row 5: SPARE1 is deployed
        "2022-07-01,B1,払出,,A001\n"  # row 6: B1 is a spare again after 06-01
    )
    with pytest.raises(TabularError) as info:
        services.device_event_import(file=csv_file(data))
    assert [m.split(",")[0].split("、")[0] for m in info.value.messages()] in (
        ["Row 3", "Row 5"],
        ["3行目", "5行目"],
    )
    assert not DeviceEvent.objects.exists()
    assert set(Device.objects.values_list("status", flat=True)) == {"deployed", "spare"}

    good = "\n".join(line for n, line in enumerate(data.splitlines()) if n not in (2, 4))
    result = services.device_event_import(file=csv_file(good + "\n"))
    assert result.created == 3
    states = dict(Device.objects.values_list("serial", "status"))
    assert states == {"B1": "deployed", "B2": "deployed", "SPARE1": "deployed"}
    assert list(DeviceEvent.objects.order_by("date").values_list("device__serial", "kind")) == [
        ("B1", "breakage"),
        ("B1", "repair"),
        ("B1", "issue"),
    ]


def test_an_event_file_that_breaks_a_rule_is_refused_whole(school_a):
    model = make_device_model()
    make_device(school=school_a, model=model, serial="B1")
    make_device(school=school_a, model=model, serial="B2")
    make_device(model=model, serial="SPARE1")
    data = (
        "date,serial,event,replacement_serial\n"
        "2022-04-15,B1,breakage,SPARE1\n"
        "2022-04-16,B2,breakage,SPARE1\n"  # the spare is no longer a spare
        "2022-04-17,NOPE,failure,\n"  # unknown serial
        "2022-04-18,B2,払出,\n"  # a deployed device cannot be issued
        "yesterday,B2,breakage,\n"  # not a date
        "2022-04-19,B2,lost,\n"  # not an event
    )
    with pytest.raises(TabularError) as info:
        services.device_event_import(file=csv_file(data))
    messages = info.value.messages()
    assert len(messages) == 2  # cell errors first; the ledger runs only on clean cells
    assert messages[0].startswith(("Row 6", "6行目")) and messages[1].startswith(("Row 7", "7行目"))
    assert not DeviceEvent.objects.exists()

    clean = "\n".join(data.splitlines()[:5]) + "\n"
    with pytest.raises(TabularError) as info:
        services.device_event_import(file=csv_file(clean))
    messages = info.value.messages()
    assert [m.split(",")[0].split("、")[0] for m in messages] in (
        ["Row 3", "Row 4", "Row 5"],
        ["3行目", "4行目", "5行目"],
    )
    assert "SPARE1" in messages[0] and "NOPE" in messages[1] and "B2" in messages[2]
    assert not DeviceEvent.objects.exists()
    assert Device.objects.get(serial="SPARE1").status == "spare"


def test_the_commands_import_and_report_errors(tmp_path, school_a):
    make_device_model(name="iPad")
    devices = tmp_path / "devices.csv"
    devices.write_text(
        f"serial,model,school_code,status\nC1,iPad,{school_a.code},deployed\nC2,iPad,,spare\n"
    )
    out = io.StringIO()
    call_command("import_devices", str(devices), stdout=out)
    assert "新規 1 台" not in out.getvalue() and "新規 2 台" in out.getvalue()
    events = tmp_path / "events.csv"
    events.write_text(
        "date,serial,event,replacement_serial\n2022-04-15,C1,破損,C2\n2022-04-16,C1,破損,\n"
    )
    with pytest.raises(CommandError) as info:
        call_command("import_device_events", str(events), stdout=out)
    assert "nothing changed" in str(info.value)
    events.write_text("date,serial,event,replacement_serial\n2022-04-15,C1,破損,C2\n")
    call_command("import_device_events", str(events), stdout=out)
    assert "events.csv: 1件を記録しました。" in out.getvalue()
    assert Device.objects.get(serial="C2").school == school_a
    # The same file again is a no-op that says so, not a second breakage.
    again = io.StringIO()
    call_command("import_device_events", str(events), stdout=again)
    latest = ImportBatch.objects.filter(kind="device_events").latest("id")
    assert latest.status == ImportBatch.Status.UNCHANGED
    assert f"コマンド ({getpass.getuser()})" in again.getvalue()  # who imported it first
    assert DeviceEvent.objects.count() == 1


def test_importing_many_devices_uses_a_fixed_number_of_queries(
    require_postgres, school_a, django_assert_max_num_queries
):
    make_device_model(name="iPad")
    rows = [f"Q{i:05d},iPad,{school_a.code},deployed" for i in range(3000)]
    data = "serial,model,school_code,status\n" + "\n".join(rows) + "\n"
    with django_assert_max_num_queries(12):
        services.device_import(file=csv_file(data))
    assert Device.objects.count() == 3000


# --- Onboarding: the deployment file registers the models it names ---------------------------

DEPLOYMENT = (
    "シリアル番号,機種,学校コード,状態\n"
    "DMP0001,iPad (第9世代),{a},配置\n"
    "DMP0002,iPad (第9世代),{a},配置\n"
    "DMP0003,iPad (第9世代),,予備\n"
    "DMP0004,ipad (第9世代),,予備\n"  # the same model, typed in another case
    "DMP0005,iPad (第9世代),,予備\n"
    "CB00001,Chromebook,{b},配置\n"
    "CB00002,Chromebook,,予備\n"
)


def deployment(school_a, school_b) -> str:
    return DEPLOYMENT.format(a=school_a.code, b=school_b.code)


def test_a_deployment_file_on_an_empty_database_registers_its_models(school_a, school_b):
    assert not DeviceModel.objects.exists() and not Device.objects.exists()
    result = services.device_import(file=csv_file(deployment(school_a, school_b)))
    assert (result.created, result.updated) == (7, 0)
    assert result.details["models"] == [
        {"name": "iPad (第9世代)", "kind": "iPad"},
        {"name": "Chromebook", "kind": "Chromebook"},
    ]
    models = {m.name: (m.kind, m.spares_at_deployment) for m in DeviceModel.objects.all()}
    assert models == {
        "iPad (第9世代)": (DeviceModel.Kind.IPAD, 3),
        "Chromebook": (DeviceModel.Kind.CHROMEBOOK, 1),
    }
    ipad = DeviceModel.objects.get(name="iPad (第9世代)")
    assert Device.objects.filter(model=ipad).count() == 5
    # What the committee's breakage table says under it.
    report = portal_reports.get("devices.breakage").run(
        user=COMMAND_LINE, period=Period.fiscal(2022)
    )
    assert list(report.notes) == [
        "iPad (第9世代): 整備時の保守用 3台。",
        "Chromebook: 整備時の保守用 1台。",
    ]


def test_until_a_model_has_ledger_events_its_spares_at_deployment_follow_the_imports(
    school_a, school_b
):
    services.device_import(file=csv_file(deployment(school_a, school_b)))
    services.device_import(
        file=csv_file(
            "serial,model,status\nDMP0006,iPad (第9世代),spare\nDMP0007,iPad (第9世代),spare\n"
        )
    )
    assert DeviceModel.objects.get(name="iPad (第9世代)").spares_at_deployment == 5


def test_once_a_model_has_ledger_events_a_later_import_leaves_its_spares_at_deployment(
    school_a, school_b
):
    services.device_import(file=csv_file(deployment(school_a, school_b)))
    services.device_event_import(
        file=csv_file("date,serial,event,replacement_serial\n2022-04-15,DMP0001,破損,DMP0003\n")
    )
    assert Device.objects.filter(model__name="iPad (第9世代)", status="spare").count() == 2
    # More deployed iPads and a Chromebook spare later: the iPad's stock at deployment
    # stays as it was (3), the Chromebook (no events yet) counts its spares again.
    result = services.device_import(
        file=csv_file(
            "serial,model,school_code,status\n"
            f"DMP0100,iPad (第9世代),{school_a.code},deployed\n"
            "CB00003,Chromebook,,spare\n"
        )
    )
    assert (result.created, result.details["models"]) == (2, [])
    models = dict(DeviceModel.objects.values_list("name", "spares_at_deployment"))
    assert models == {"iPad (第9世代)": 3, "Chromebook": 2}


def test_a_new_model_whose_name_names_no_kind_is_a_row_error_asking_for_the_kind(school_a):
    data = "シリアル番号,機種,学校コード,状態\nS1,iPad Air,,予備\nS2,Surface Go 3,,予備\n"
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv_file(data))
    [message] = info.value.messages()
    assert message.startswith("3行目、列「種別」：")  # the row, in Japanese
    assert "Surface Go 3" in message and "種別" in message.split("：", 1)[1]
    assert not DeviceModel.objects.exists() and not Device.objects.exists()

    # Told in a 種別 column, the same file goes in.
    data = "シリアル番号,機種,学校コード,状態,種別\nS1,iPad Air,,予備,\nS2,Surface Go 3,,予備,Chromebook\n"
    services.device_import(file=csv_file(data))
    assert dict(DeviceModel.objects.values_list("name", "kind")) == {
        "iPad Air": DeviceModel.Kind.IPAD,
        "Surface Go 3": DeviceModel.Kind.CHROMEBOOK,
    }


def test_a_kind_that_contradicts_the_registered_model_is_a_row_error(school_a):
    ipad = make_device_model(name="iPad", kind=DeviceModel.Kind.IPAD)
    data = (
        "serial,model,school_code,status,種別\n"
        f"K1,iPad,{school_a.code},deployed,iPad\n"
        "K2,iPad,,spare,Chromebook\n"
        # Within one file too: the first row registered the model as an iPad.
        "K3,Tablet X,,spare,ipad\n"
        "K4,Tablet X,,spare,chromebook\n"
    )
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv_file(data))
    messages = info.value.messages()
    assert [m.split("、")[0] for m in messages] == ["3行目", "5行目"]
    assert all("列「種別」" in m for m in messages)
    assert "iPad" in messages[0] and "Tablet X" in messages[1]
    assert list(DeviceModel.objects.all()) == [ipad] and not Device.objects.exists()


def test_the_import_command_prints_the_models_it_registered(tmp_path, school_a, school_b):
    path = tmp_path / "deployment.csv"
    path.write_text(deployment(school_a, school_b), encoding="cp932")
    out = io.StringIO()
    call_command("import_devices", str(path), stdout=out)
    [line] = out.getvalue().splitlines()
    assert line.startswith(f"{path}: ")
    assert "iPad (第9世代) (iPad)" in line and "Chromebook (Chromebook)" in line
    batch = ImportBatch.objects.get(kind="devices")
    assert (batch.status, batch.created) == (ImportBatch.Status.DONE, 7)


def test_the_upload_page_says_which_models_it_registered(client, leader, school_a, school_b):
    upload = csv_file(deployment(school_a, school_b), "cp932")
    upload.name = "deployment.csv"
    client.force_login(leader)
    response = client.post(reverse("devices:import"), {"file": upload}, follow=True)
    assert response.redirect_chain == [(reverse("devices:list"), 302)]
    [message] = [str(m) for m in response.context["messages"]]
    assert "iPad (第9世代) (iPad)" in message and "Chromebook (Chromebook)" in message
    assert DeviceModel.objects.count() == 2 and Device.objects.count() == 7
