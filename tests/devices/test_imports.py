"""Device and event imports: encodings, aliases, all-or-nothing, date order, bulk."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from devices import services
from devices.models import Device, DeviceEvent
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
        user=None,
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
    assert "1 devices created" not in out.getvalue() and "2 devices created" in out.getvalue()
    events = tmp_path / "events.csv"
    events.write_text(
        "date,serial,event,replacement_serial\n2022-04-15,C1,破損,C2\n2022-04-16,C1,破損,\n"
    )
    with pytest.raises(CommandError) as info:
        call_command("import_device_events", str(events), stdout=out)
    assert "nothing changed" in str(info.value)
    events.write_text("date,serial,event,replacement_serial\n2022-04-15,C1,破損,C2\n")
    call_command("import_device_events", str(events), stdout=out)
    assert "1 events recorded" in out.getvalue()
    assert Device.objects.get(serial="C2").school == school_a


def test_importing_many_devices_uses_a_fixed_number_of_queries(
    require_postgres, school_a, django_assert_max_num_queries
):
    make_device_model(name="iPad")
    rows = [f"Q{i:05d},iPad,{school_a.code},deployed" for i in range(3000)]
    data = "serial,model,school_code,status\n" + "\n".join(rows) + "\n"
    with django_assert_max_num_queries(12):
        services.device_import(file=csv_file(data))
    assert Device.objects.count() == 3000
