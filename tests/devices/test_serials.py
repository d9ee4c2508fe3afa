"""One form for a serial: what an import stores is what the form finds."""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps
from django.urls import reverse

from devices import services
from devices.models import Device, DeviceEvent
from devices.serials import normalize_serial
from tests.devices.factories import make_device, make_device_model
from tests.factories import submit_token

pytestmark = pytest.mark.django_db


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_a_serial_is_stored_in_one_form():
    assert normalize_serial(" ｄｍｐｘ ００１\t") == "DMPX001"
    assert normalize_serial(None) == ""


def test_a_serial_imported_in_lower_case_can_be_recorded_from_the_phone_form(
    client, support_staff, school_a
):
    make_device_model(name="iPad")
    services.device_import(
        file=csv(f"serial,model,school_code,status\ndmpx001,iPad,{school_a.code},deployed\n")
    )
    assert list(Device.objects.values_list("serial", flat=True)) == ["DMPX001"]
    client.force_login(support_staff)
    suggestions = client.get(reverse("devices:serials"), {"q": "dmp"}).json()["results"]
    assert [row["serial"] for row in suggestions] == ["DMPX001"]
    response = client.post(
        reverse("devices:record"),
        {"school": school_a.pk, "serial": "dmpx001", "kind": "breakage", "cause": "dropped"}
        | {"date": "2022-05-01", "submit_token": submit_token(support_staff)},
    )
    assert response.status_code == 302
    assert Device.objects.get(serial="DMPX001").status == Device.Status.IN_REPAIR


def test_event_imports_find_devices_whatever_the_case_of_both_serials(school_a):
    model = make_device_model()
    make_device(school=school_a, model=model, serial="DMPX002")
    make_device(model=model, serial="SPARE01")
    services.device_event_import(
        file=csv("date,serial,event,replacement_serial\n2022-05-01,dmpx002,breakage,ｓｐａｒｅ01\n")
    )
    event = DeviceEvent.objects.select_related("device", "spare").get()
    assert (event.device.serial, event.spare.serial) == ("DMPX002", "SPARE01")


def test_a_reimport_in_another_case_updates_the_same_device(school_a):
    make_device_model(name="iPad")
    services.device_import(file=csv("serial,model,status\nDMPX003,iPad,spare\n"))
    result = services.device_import(
        file=csv("serial,model,status,asset_tag\ndmpx003,iPad,spare,A-9\n")
    )
    assert (result.created, result.updated) == (0, 1)
    assert Device.objects.get().asset_tag == "A-9"


def test_the_migration_upper_cases_serials_and_leaves_collisions_alone(capsys):
    model = make_device_model()
    for serial in ("dmpx004", "ab1", "AB1", "ｃｄ 2"):
        Device.objects.create(serial=serial, model=model, status=Device.Status.SPARE)
    migration = importlib.import_module("devices.migrations.0002_normalize_serials")
    migration.normalize_serials(apps, None)
    assert sorted(Device.objects.values_list("serial", flat=True)) == [
        "AB1",
        "CD2",
        "DMPX004",
        "ab1",
    ]
    assert "ab1" in capsys.readouterr().out
