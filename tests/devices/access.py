"""Every devices URL, for the permission harness (tests/test_access.py)."""

from __future__ import annotations

import datetime as dt

from devices import ledger, services
from devices.models import DeviceEvent
from tests.access import EVERYONE, LEADERS, SCHOOL, STAFF, View
from tests.devices.factories import make_device, make_device_model


def build(world):
    model = make_device_model()
    world.device_a = make_device(school=world.school_a, model=model, serial="HARNESSA1")
    world.device_b = make_device(school=world.school_b, model=model, serial="HARNESSB1")
    world.fault_b = DeviceEvent.objects.create(
        date="2022-05-01",
        device=world.device_b,
        kind="breakage",
        school=world.school_b,
        confirmed=False,
        note="marker-of-school-b",
    )
    # A device that broke at school B and went, repaired, to school A as a spare: school
    # A's user sees the device but not what happened to it at school B.
    world.device_moved = make_device(school=world.school_b, model=model, serial="HARNESSM1")
    services.device_events_record(
        events=[
            ledger.Event(
                dt.date(2022, 4, 10),
                "HARNESSM1",
                ledger.Kind.BREAKAGE,
                note="marker-history-at-school-b",
            ),
            ledger.Event(dt.date(2022, 5, 10), "HARNESSM1", ledger.Kind.REPAIR),
            ledger.Event(
                dt.date(2022, 6, 10), "HARNESSM1", ledger.Kind.ISSUE, school=world.school_a.pk
            ),
        ]
    )


VIEWS = [
    View("devices:list", roles=EVERYONE, hidden=lambda w: w.device_b.serial),
    # A device's next ledger step: staff only; a school user cannot reach another
    # school's device (404) nor record a step at all (403).
    View(
        "devices:step",
        roles=STAFF,
        method="post",
        data=lambda w: {"kind": "retire", "date": "2022-04-01", "note": "x"},
        kwargs=lambda w: {"pk": w.device_a.pk},
        ok_status=(302,),
    ),
    View(
        "devices:detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.device_a.pk},
        other_school_kwargs=lambda w: {"pk": w.device_b.pk},
    ),
    View(
        "devices:detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.device_moved.pk},
        hidden=lambda w: "marker-history-at-school-b",
        id="devices:detail[history of a moved device]",
    ),
    View(
        "devices:school",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.school_a.pk},
        other_school_kwargs=lambda w: {"pk": w.school_b.pk},
    ),
    View(
        "devices:serials",
        roles=EVERYONE,
        query="?q=HARNESS",
        hidden=lambda w: w.device_b.serial,
    ),
    View("devices:record", roles=STAFF),
    View("devices:report_fault", roles=SCHOOL),
    View("devices:faults", roles=STAFF),
    View(
        "devices:confirm_fault",
        roles=STAFF,
        method="post",
        kwargs=lambda w: {"pk": w.fault_b.pk},
        ok_status=(302,),
    ),
    View(
        "devices:dismiss_fault",
        roles=STAFF,
        method="post",
        kwargs=lambda w: {"pk": w.fault_b.pk},
        data=lambda w: {"reason": "not a fault"},
        ok_status=(302,),
    ),
    View("devices:import", roles=LEADERS),
    View("devices:import_events", roles=LEADERS),
    View("devices:breakage", roles=STAFF, query="?fy=2022"),
    View(
        "devices:breakage", roles=STAFF, query="?fy=2022&download=csv", id="devices:breakage[csv]"
    ),
    View(
        "devices:breakage",
        roles=STAFF,
        query="?fy=2022&download=xlsx",
        id="devices:breakage[xlsx]",
    ),
    View(
        "devices:breakage_chart",
        roles=STAFF,
        kwargs=lambda w: {"model_pk": w.device_a.model_id},
        query="?fy=2022",
    ),
    View("devices:rates", roles=STAFF, query="?fy=2022", also_check=("?fy=2022&download=csv",)),
    View("devices:causes", roles=STAFF, query="?fy=2022&download=csv"),
    View("devices:forecast", roles=STAFF),
]
