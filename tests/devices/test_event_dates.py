"""Ledger events keep the past as recorded: nothing dated before a device's latest
event, nothing dated after today (Asia/Tokyo), through the import and the phone form."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import selectors, services
from devices.models import Device, DeviceEvent
from gigaportal.calendar import Month
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import TabularError
from tests.devices.factories import make_device, make_device_model
from tests.factories import submit_token

pytestmark = pytest.mark.django_db


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_an_imported_event_dated_before_the_devices_recorded_events_is_refused(school_a):
    model = make_device_model()
    make_device(school=school_a, model=model, serial="X1")
    services.device_event_import(
        file=csv("date,serial,event\n2022-04-10,X1,breakage\n2022-06-01,X1,repair\n")
    )
    # Entered later: an issue dated May, when X1 was still in repair.
    with pytest.raises(TabularError) as info:
        services.device_event_import(
            file=csv(f"date,serial,event,school_code\n2022-05-01,X1,issue,{school_a.code}\n")
        )
    [message] = info.value.messages()
    assert message.startswith(("Row 2", "2行目")) and "2022-06-01" in message
    assert DeviceEvent.objects.count() == 2
    assert Device.objects.get(serial="X1").status == Device.Status.SPARE
    figures = selectors.breakage_figures(
        user=COMMAND_LINE, start=Month(2022, 4), end=Month(2022, 7)
    )
    assert [r.spares_remaining for r in figures.rows] == [0, 0, 1, 1]


def test_an_imported_event_after_today_is_refused(school_a):
    make_device(school=school_a, serial="X2")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(TabularError) as info:
        services.device_event_import(file=csv(f"date,serial,event\n{tomorrow},X2,failure\n"))
    [message] = info.value.messages()
    assert message.startswith(("Row 2", "2行目")) and tomorrow.isoformat() in message
    assert not DeviceEvent.objects.exists()


def test_the_phone_form_refuses_a_future_date_on_the_date_field_in_japanese(
    client, support_staff, school_a
):
    make_device(school=school_a, serial="D9")
    # Inside the date window (which ends next December), but after today.
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    client.force_login(support_staff)
    page = client.get(reverse("devices:record"))
    assert f'max="{timezone.localdate().isoformat()}"' in page.content.decode()
    response = client.post(
        reverse("devices:record"),
        {
            "submit_token": submit_token(support_staff),
            "school": school_a.pk,
            "serial": "D9",
            "kind": "breakage",
            "cause": "dropped",
            "date": tomorrow,
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    [error] = response.context["form"].errors["date"]
    assert tomorrow in error and "未来" in error
    assert not DeviceEvent.objects.exists()
    assert Device.objects.get(serial="D9").status == Device.Status.DEPLOYED
