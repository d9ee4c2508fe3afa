"""Once a model has ledger events, a device import cannot change its spare stock:
the past months' spare counts are computed back from today's through the ledger."""

from __future__ import annotations

import io

import pytest

from devices import selectors, services
from devices.models import Device
from gigaportal.calendar import Month
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import TabularError
from tests.devices.factories import make_device, make_device_model, make_spares

pytestmark = pytest.mark.django_db


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def spares_by_month():
    figures = selectors.breakage_figures(
        user=COMMAND_LINE, start=Month(2022, 4), end=Month(2022, 5)
    )
    return [(r.model, r.spares_remaining) for r in figures.rows]


@pytest.fixture
def ipad_with_events(school_a):
    model = make_device_model(name="iPad")
    make_device(school=school_a, model=model, serial="D1")
    make_device(school=school_a, model=model, serial="D2")
    make_spares(2, model=model)
    services.device_event_import(file=csv("date,serial,event\n2022-04-10,D1,breakage\n"))
    return model


def refused(text: str) -> list[str]:
    with pytest.raises(TabularError) as info:
        services.device_import(file=csv(text))
    return info.value.messages()


def test_new_spares_of_a_model_with_events_are_refused_and_the_past_stays(ipad_with_events):
    before = spares_by_month()
    messages = refused("serial,model,school_code,status\nNEW1,iPad,,spare\nNEW2,iPad,,spare\n")
    assert [m.split(",")[0].split("、")[0] for m in messages] in (
        ["Row 2", "Row 3"],
        ["2行目", "3行目"],
    )
    assert "払出 / 修理完了" in messages[0]
    assert not Device.objects.filter(serial__startswith="NEW").exists()
    assert spares_by_month() == before


def test_a_deployed_device_cannot_become_a_spare_by_import(ipad_with_events, school_a):
    [message] = refused("serial,model,school_code,status\nD2,iPad,,spare\n")
    assert "D2" in message
    assert Device.objects.get(serial="D2").status == Device.Status.DEPLOYED


def test_a_spare_cannot_be_deployed_or_moved_to_another_model_by_import(ipad_with_events, school_a):
    make_device_model(name="Chromebook", kind="chromebook")
    spare = Device.objects.filter(status=Device.Status.SPARE).first()
    refused(f"serial,model,school_code,status\n{spare.serial},iPad,{school_a.code},deployed\n")
    refused(f"serial,model,school_code,status\n{spare.serial},Chromebook,,spare\n")
    spare.refresh_from_db()
    assert (spare.status, spare.model) == (Device.Status.SPARE, ipad_with_events)


def test_the_model_of_a_device_with_events_cannot_change_by_import(ipad_with_events, school_a):
    make_device_model(name="iPad Air")
    spare = Device.objects.filter(status=Device.Status.SPARE).first()
    services.device_event_import(
        file=csv(f"date,serial,event,replacement_serial\n2022-04-12,D2,breakage,{spare.serial}\n")
    )
    # The spare is now deployed at school A with an event; only its model would change.
    [message] = refused(
        f"serial,model,school_code,status\n{spare.serial},iPad Air,{school_a.code},deployed\n"
    )
    assert spare.serial in message
    assert Device.objects.get(pk=spare.pk).model == ipad_with_events


def test_deployed_devices_and_models_without_events_still_import(ipad_with_events, school_a):
    make_device_model(name="Chromebook", kind="chromebook")
    result = services.device_import(
        file=csv(
            "serial,model,school_code,status\n"
            f"NEW3,iPad,{school_a.code},deployed\n"
            "CB1,Chromebook,,spare\n"
        )
    )
    assert (result.created, result.updated) == (2, 0)
