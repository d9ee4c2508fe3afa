"""The MDM recipient list names the tablet behind each heavy line, from the devices
inventory, so the center can send the message from its MDM console."""

import csv
import io

import pytest

from gigaportal.calendar import Month
from tests.devices.factories import make_device
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services

pytestmark = pytest.mark.django_db
SEP = Month(2022, 9)


def test_the_recipient_csv_carries_the_serial_of_the_device_on_each_line(
    client, support_staff, school_a
):
    make_policy()
    heavy, unknown = make_line(school=school_a), make_line(school=school_a)
    set_usage(heavy, SEP, 250)
    set_usage(unknown, SEP, 210)
    make_device(school=school_a, serial="DMPXK1ABCD", line_number=heavy.number)
    services.evaluation_run(month=SEP)

    client.force_login(support_staff)
    response = client.get(
        "/traffic/mdm/", {"kind": "tablet_caution", "month": "2022-09", "download": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    serial_by_line = {row[1]: row[0] for row in rows[1:]}
    assert serial_by_line == {heavy.number: "DMPXK1ABCD", unknown.number: ""}
    # The last column is each action's outbox state (not yet sent from the console).
    assert [row[5] for row in rows[1:]] == ["送信待ち", "送信待ち"]


def test_a_retired_device_no_longer_answers_for_its_line(client, support_staff, school_a):
    make_policy()
    heavy = make_line(school=school_a)
    set_usage(heavy, SEP, 250)
    make_device(school=None, serial="OLD0001", line_number=heavy.number, status="retired")
    services.evaluation_run(month=SEP)
    client.force_login(support_staff)
    response = client.get(
        "/traffic/mdm/", {"kind": "tablet_caution", "month": "2022-09", "download": "csv"}
    )
    assert "OLD0001" not in response.content.decode("utf-8-sig")
