"""The ledger service on PostgreSQL: rules, the database's backing, concurrency."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from devices import ledger, selectors, services
from devices.models import Device, DeviceEvent
from tests.devices.factories import make_device, make_device_model, make_spares

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 5, 10)


def test_a_breakage_with_a_spare_moves_both_devices_and_records_one_event(school_a, support_staff):
    broken = make_device(school=school_a)
    [spare] = make_spares(1)
    event = services.device_breakage_record(
        by=support_staff,
        school=school_a,
        serial=broken.serial,
        kind="breakage",
        cause=DeviceEvent.Cause.DROPPED,
        spare_serial=spare.serial,
        date=DAY,
    )
    broken.refresh_from_db()
    spare.refresh_from_db()
    assert (broken.status, broken.school_id) == (Device.Status.IN_REPAIR, None)
    assert (spare.status, spare.school_id) == (Device.Status.DEPLOYED, school_a.pk)
    assert (event.spare_id, event.spare_cycle, event.spare_delta) == (spare.pk, 0, -1)
    assert event.school_id == school_a.pk and event.recorded_by == support_staff


def test_it_rejects_a_device_of_another_school(school_a, school_b, support_staff):
    device = make_device(school=school_b)
    with pytest.raises(services.DeviceRuleError) as info:
        services.device_breakage_record(
            by=support_staff, school=school_a, serial=device.serial, kind="breakage", cause=""
        )
    assert info.value.field == "serial"
    assert not DeviceEvent.objects.exists()


def test_it_rejects_a_second_spare_issue_and_changes_nothing(school_a, support_staff):
    first, second = make_device(school=school_a), make_device(school=school_a)
    [spare] = make_spares(1)
    services.device_breakage_record(
        by=support_staff,
        school=school_a,
        serial=first.serial,
        kind="breakage",
        cause="",
        spare_serial=spare.serial,
    )
    with pytest.raises(services.DeviceRuleError) as info:
        services.device_breakage_record(
            by=support_staff,
            school=school_a,
            serial=second.serial,
            kind="failure",
            cause="",
            spare_serial=spare.serial,
        )
    assert info.value.field == "spare"
    second.refresh_from_db()
    assert second.status == Device.Status.DEPLOYED
    assert DeviceEvent.objects.count() == 1


def test_the_database_refuses_a_second_issue_of_the_same_spare_cycle(school_a):
    first, second = make_device(school=school_a), make_device(school=school_a)
    [spare] = make_spares(1)
    DeviceEvent.objects.create(date=DAY, device=first, kind="breakage", spare=spare, spare_cycle=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceEvent.objects.create(
            date=DAY, device=second, kind="breakage", spare=spare, spare_cycle=0
        )


def test_the_database_refuses_a_deployed_device_without_a_school():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_device(school=None, status=Device.Status.DEPLOYED)


def test_the_database_refuses_a_spare_at_a_school(school_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_device(school=school_a, status=Device.Status.SPARE)


def test_a_repaired_device_can_be_issued_again(school_a, support_staff):
    a, b = make_device(school=school_a), make_device(school=school_a)
    [spare] = make_spares(1)
    services.device_events_record(
        events=[
            ledger.Event(DAY, a.serial, ledger.Kind.BREAKAGE, spare_serial=spare.serial),
            ledger.Event(DAY + dt.timedelta(days=7), a.serial, ledger.Kind.REPAIR),
            ledger.Event(
                DAY + dt.timedelta(days=8), b.serial, ledger.Kind.BREAKAGE, spare_serial=a.serial
            ),
        ],
        by=support_staff,
    )
    a.refresh_from_db()
    assert (a.status, a.school_id, a.spare_cycle) == (Device.Status.DEPLOYED, school_a.pk, 1)
    assert list(DeviceEvent.objects.order_by("date").values_list("spare_delta", flat=True)) == [
        -1,
        1,
        -1,
    ]


def test_a_batch_with_one_bad_event_writes_nothing(school_a):
    a = make_device(school=school_a)
    [spare] = make_spares(1)
    with pytest.raises(ledger.LedgerError):
        services.device_events_record(
            events=[
                ledger.Event(DAY, a.serial, ledger.Kind.BREAKAGE, spare_serial=spare.serial),
                ledger.Event(DAY, "UNKNOWN", ledger.Kind.BREAKAGE),
            ]
        )
    assert not DeviceEvent.objects.exists()
    assert Device.objects.get(pk=spare.pk).status == Device.Status.SPARE


def test_a_school_report_changes_nothing_until_staff_confirm_it(
    school_a, school_a_user, support_staff
):
    device = make_device(school=school_a)
    [spare] = make_spares(1)
    report = services.device_fault_report(
        by=school_a_user,
        serial=device.serial,
        kind="breakage",
        cause=DeviceEvent.Cause.WATER,
        date=DAY,
    )
    device.refresh_from_db()
    assert device.status == Device.Status.DEPLOYED and not report.confirmed
    with pytest.raises(services.DeviceRuleError):
        services.device_fault_report(
            by=school_a_user, serial=device.serial, kind="failure", cause=""
        )

    confirmed = services.device_fault_confirm(
        event_id=report.pk, by=support_staff, spare_serial=spare.serial
    )
    device.refresh_from_db()
    spare.refresh_from_db()
    assert confirmed.confirmed and confirmed.confirmed_by == support_staff
    assert confirmed.recorded_by == school_a_user and confirmed.spare_delta == -1
    assert device.status == Device.Status.IN_REPAIR
    assert (spare.status, spare.school_id) == (Device.Status.DEPLOYED, school_a.pk)
    with pytest.raises(services.DeviceRuleError):
        services.device_fault_confirm(event_id=report.pk, by=support_staff)


def test_a_school_user_cannot_report_another_schools_device(school_b, school_a_user):
    device = make_device(school=school_b)
    with pytest.raises(services.DeviceRuleError):
        services.device_fault_report(
            by=school_a_user, serial=device.serial, kind="breakage", cause=""
        )
    assert not DeviceEvent.objects.exists()


def _reported(school, school_user):
    device = make_device(school=school)
    report = services.device_fault_report(
        by=school_user, serial=device.serial, kind="breakage", cause="dropped", date=DAY
    )
    return device, report


def test_a_dismissed_report_stays_on_record_with_who_when_and_why(
    school_a, school_a_user, support_staff
):
    device, report = _reported(school_a, school_a_user)
    dismissed = services.device_fault_dismiss(
        by=support_staff, event_id=report.pk, reason="  画面の保護フィルムの傷でした  "
    )
    row = DeviceEvent.objects.get(pk=report.pk)  # kept, not deleted
    assert row.dismissed_at is not None and row.dismissed_by == support_staff
    assert row.dismissal_reason == "画面の保護フィルムの傷でした"
    assert not row.confirmed and not row.is_pending
    assert dismissed.pk == row.pk
    device.refresh_from_db()
    assert (device.status, device.school_id) == (Device.Status.DEPLOYED, school_a.pk)
    assert list(selectors.pending_faults(user=support_staff)) == []
    # The school may report the device again: the dismissed report no longer waits.
    again = services.device_fault_report(
        by=school_a_user, serial=device.serial, kind="failure", cause=""
    )
    assert list(selectors.pending_faults(user=support_staff)) == [again]


def test_a_dismissed_report_cannot_be_dismissed_again_nor_confirmed(
    school_a, school_a_user, support_staff, leader
):
    device, report = _reported(school_a, school_a_user)
    [spare] = make_spares(1)
    services.device_fault_dismiss(by=support_staff, event_id=report.pk, reason="誤報")
    with pytest.raises(services.DeviceRuleError) as info:
        services.device_fault_dismiss(by=leader, event_id=report.pk, reason="二度目")
    assert str(info.value.message) == "この報告はすでに処理されています。"
    with pytest.raises(services.DeviceRuleError) as info:
        services.device_fault_confirm(by=leader, event_id=report.pk, spare_serial=spare.serial)
    assert str(info.value.message) == "この報告はすでに処理されています。"
    row = DeviceEvent.objects.get(pk=report.pk)
    assert (row.dismissed_by, row.dismissal_reason, row.confirmed) == (support_staff, "誤報", False)
    device.refresh_from_db()
    spare.refresh_from_db()
    assert device.status == Device.Status.DEPLOYED and spare.status == Device.Status.SPARE


def test_a_confirmed_report_cannot_be_dismissed(school_a, school_a_user, support_staff):
    _device, report = _reported(school_a, school_a_user)
    services.device_fault_confirm(by=support_staff, event_id=report.pk)
    with pytest.raises(services.DeviceRuleError):
        services.device_fault_dismiss(by=support_staff, event_id=report.pk, reason="誤報")
    row = DeviceEvent.objects.get(pk=report.pk)
    assert row.confirmed and row.dismissed_at is None


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_dismissal_needs_a_reason(school_a, school_a_user, support_staff, reason):
    _device, report = _reported(school_a, school_a_user)
    with pytest.raises(services.DeviceRuleError) as info:
        services.device_fault_dismiss(by=support_staff, event_id=report.pk, reason=reason)
    assert info.value.field == "reason"
    assert DeviceEvent.objects.get(pk=report.pk).is_pending


def test_the_database_refuses_a_dismissed_report_that_is_confirmed(school_a):
    device = make_device(school=school_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeviceEvent.objects.create(
            date=DAY, device=device, kind="breakage", confirmed=True, dismissed_at=timezone.now()
        )


@pytest.mark.django_db(transaction=True)
def test_two_staff_issuing_the_same_spare_at_once_issue_it_once(
    require_postgres, school_a, support_staff, leader
):
    """Two threads, two connections, one spare: PostgreSQL row locks decide."""
    model = make_device_model()
    first, second = (
        make_device(school=school_a, model=model),
        make_device(school=school_a, model=model),
    )
    [spare] = make_spares(1, model=model)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def record(name, user, device):
        try:
            barrier.wait(timeout=10)
            services.device_breakage_record(
                by=user,
                school=school_a,
                serial=device.serial,
                kind="breakage",
                cause="",
                spare_serial=spare.serial,
            )
            outcomes[name] = "ok"
        except services.DeviceRuleError as exc:
            outcomes[name] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=record, args=("a", support_staff, first)),
        threading.Thread(target=record, args=("b", leader, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(v).__name__ for v in outcomes.values()) == ["DeviceRuleError", "str"]
    assert DeviceEvent.objects.filter(spare=spare).count() == 1
    spare.refresh_from_db()
    assert spare.status == Device.Status.DEPLOYED
    statuses = sorted(
        Device.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    )
    assert statuses == [Device.Status.DEPLOYED, Device.Status.IN_REPAIR]
