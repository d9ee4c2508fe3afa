"""Writes for devices through the ledger. Every status change goes through
`ledger_apply`: it locks the devices an event names, runs the pure rules
(devices.ledger) and saves the new states in bulk; the callers write the event rows in
the same transaction, and record the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from devices import ledger
from devices.models import Device, DeviceEvent
from devices.serials import normalize_serial
from gigaportal import changelog
from gigaportal.bulk import update_rows
from gigaportal.models import School

LOOKUP_CHUNK = 5000


class DeviceRuleError(Exception):
    """A single recording refused by a rule, with a message for the user."""

    def __init__(self, message, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(str(message))


def _chunks(items: Sequence, size: int = LOOKUP_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_devices(serials: Iterable[str]) -> dict[str, Device]:
    """The named devices, locked until the transaction ends, in primary-key order so
    two transactions locking overlapping sets cannot deadlock."""
    wanted = sorted({s for s in serials if s})
    found: dict[str, Device] = {}
    for chunk in _chunks(wanted):
        for device in Device.objects.select_for_update().filter(serial__in=chunk).order_by("pk"):
            found[device.serial] = device
    return found


@dataclass(frozen=True)
class LedgerResult:
    devices: dict[str, Device]
    applied: list[ledger.Applied]


def ledger_apply(*, events: Sequence[ledger.Event]) -> LedgerResult:
    """The one place a device's status changes.

    1. Lock every device the events name (the subject and any spare).
    2. Apply the events to their states with the pure rules, in date order.
    3. Refuse the whole batch (LedgerError) if any event breaks a rule.
    4. Save the changed states in bulk.
    Must run inside the caller's transaction, which writes the event rows.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_apply must run inside transaction.atomic()")
    devices = _lock_devices([e.serial for e in events] + [e.spare_serial for e in events])
    outcome = ledger_apply_locked(devices=devices, events=events, today=timezone.localdate())
    if not outcome.ok:
        raise ledger.LedgerError(outcome.violations)
    return LedgerResult(devices, list(outcome.applied))


def ledger_apply_locked(
    *,
    devices: dict[str, Device],
    events: Sequence[ledger.Event],
    today: dt.date,
    latest_dates: dict[str, dt.date] | None = None,
    even_if_broken: bool = False,
) -> ledger.Outcome:
    """Applies events (in date order) to devices the caller has locked and saves the
    states they changed; nothing is saved when an event broke a rule, unless
    `even_if_broken` (the events that kept the rules are saved, and the caller refuses
    the batch and rolls back). The latest recorded event dates come from the database
    unless the caller knows them (`latest_dates`: a caller applying a long date-ordered
    run of events a chunk at a time carries them from chunk to chunk)."""
    before = {serial: device.as_state() for serial, device in devices.items()}
    outcome = ledger.apply_events(
        before,
        events,
        latest_dates=latest_event_dates(devices) if latest_dates is None else latest_dates,
        today=today,  # settings.TIME_ZONE: Asia/Tokyo
    )
    if not outcome.ok and not even_if_broken:
        return outcome
    changed = outcome.changed(before)
    for serial, state in changed.items():
        device = devices[serial]
        device.status = state.status.value
        device.school_id = state.school
        device.spare_cycle = state.spare_cycle
    # One statement, not bulk_update's CASE per field, whose compilation grows with the
    # rows: an import writes a chunk's thousands of states at a time.
    update_rows(
        Device,
        ["status", "school", "spare_cycle"],
        [
            (devices[s].pk, state.status.value, state.school, state.spare_cycle)
            for s, state in changed.items()
        ],
    )
    return outcome


def latest_event_dates(devices: dict[str, Device]) -> dict[str, dt.date]:
    """Per serial, the date of the latest confirmed event the device took part in (as
    the subject or as the spare issued): two grouped queries per chunk."""
    serial_of = {device.pk: serial for serial, device in devices.items()}
    latest: dict[str, dt.date] = {}
    confirmed = DeviceEvent.objects.filter(confirmed=True)
    for chunk in _chunks(list(serial_of)):
        for role in ("device_id", "spare_id"):
            rows = (
                confirmed.filter(**{f"{role}__in": chunk})
                .values(role)
                .annotate(latest=Max("date"))
                .values_list(role, "latest")
            )
            for pk, date in rows:
                serial = serial_of[pk]
                latest[serial] = max(date, latest.get(serial, date))
    return latest


def _event_row(applied: ledger.Applied, devices: dict[str, Device], by) -> DeviceEvent:
    event = applied.event
    spare = devices[applied.spare_serial] if applied.spare_serial else None
    return DeviceEvent(
        date=event.date,
        device=devices[event.serial],
        kind=ledger.Kind(event.kind).value,
        cause=event.cause,
        spare=spare,
        spare_cycle=applied.spare_cycle,
        spare_delta=applied.spare_delta,
        school_id=applied.school,
        note=event.note,
        recorded_by_id=getattr(by, "pk", None),
        confirmed=True,
    )


def device_events_record(*, events: Sequence[ledger.Event], by=None) -> list[DeviceEvent]:
    """Applies events and writes them in bulk, all or nothing. Raises LedgerError. The
    caller records the change (one entry for a page's event, one for an import)."""
    with spare_issued_once(), transaction.atomic():
        result = ledger_apply(events=events)
        return device_event_rows_write(applied=result.applied, devices=result.devices, by=by)


def device_event_rows_write(
    *, applied: Sequence[ledger.Applied], devices: dict[str, Device], by=None
) -> list[DeviceEvent]:
    """The rows of events applied by ledger_apply(_locked), in bulk."""
    rows = [_event_row(a, devices, by) for a in applied]
    return DeviceEvent.objects.bulk_create(rows, batch_size=1000)


@contextmanager
def spare_issued_once():
    """A second issue of one spare in one cycle, refused by the database, as a rule's
    message (DeviceRuleError)."""
    try:
        yield
    except IntegrityError as exc:
        # The unique issue constraint is the last line of defence; the row lock
        # normally refuses a second issue before it gets here.
        if "a_spare_is_issued_once_per_cycle" in str(exc):
            raise DeviceRuleError(_("This spare has already been issued."), field="spare") from exc
        raise


def device_breakage_record(
    *,
    by,
    school: School,
    serial: str,
    kind: str,
    cause: str,
    spare_serial: str = "",
    note: str = "",
    date: dt.date | None = None,
) -> DeviceEvent:
    """A breakage or failure recorded by staff at a school, with an optional spare
    issued to replace it (the phone form). Raises DeviceRuleError."""
    if kind not in ledger.FAULT_KINDS:
        raise DeviceRuleError(_("Choose breakage or failure."), field="kind")
    serial, spare_serial = normalize_serial(serial), normalize_serial(spare_serial)
    with transaction.atomic():
        device = Device.objects.filter(serial=serial).only("school_id", "status").first()
        if device is None:
            raise DeviceRuleError(
                _("No device has the serial %(serial)s.") % {"serial": serial}, field="serial"
            )
        if device.school_id != school.pk:
            raise DeviceRuleError(
                _("%(serial)s is not deployed at %(school)s.")
                % {"serial": serial, "school": school.name},
                field="serial",
            )
        event = ledger.Event(
            date or timezone.localdate(),
            serial,
            ledger.Kind(kind),
            spare_serial=spare_serial or None,
            cause=cause,
            note=note,
        )
        try:
            [row] = device_events_record(events=[event], by=by)
        except ledger.LedgerError as exc:
            violation = exc.violations[0]
            field = {"spare_serial": "spare", "date": "date"}.get(violation.field, "serial")
            raise DeviceRuleError(violation.message, field=field) from None
        _record_event(by, row, changelog.Action.ISSUE if row.spare_id else changelog.Action.CREATE)
    return row


EVENT_FIELDS = ["date", "device", "kind", "cause", "spare", "school", "note", "confirmed"]


def _record_event(by, event: DeviceEvent, action: str, before=None) -> None:
    changelog.record(by=by, action=action, obj=event, before=before, fields=EVENT_FIELDS)


def device_step_record(
    *,
    by,
    serial: str,
    kind: str,
    date: dt.date | None = None,
    school: School | None = None,
    note: str = "",
) -> DeviceEvent:
    """The next step of a device from its page: back from repair, retired, or a spare
    issued to a school, through the ledger's rules. Raises DeviceRuleError."""
    kind = ledger.Kind(kind)
    if kind in ledger.FAULT_KINDS:
        raise DeviceRuleError(_("Record a breakage or failure on the breakage form."), field="kind")
    event = ledger.Event(
        date or timezone.localdate(),
        normalize_serial(serial),
        kind,
        school=school.pk if school else None,
        note=note,
    )
    with transaction.atomic():
        try:
            [row] = device_events_record(events=[event], by=by)
        except ledger.LedgerError as exc:
            violation = exc.violations[0]
            raise DeviceRuleError(violation.message, field=violation.field) from None
        _record_event(
            by,
            row,
            changelog.Action.ISSUE if kind is ledger.Kind.ISSUE else changelog.Action.CREATE,
        )
    return row


def device_fault_report(
    *, by, serial: str, kind: str, cause: str, note: str = "", date: dt.date | None = None
) -> DeviceEvent:
    """A school user's report of a fault on one of their school's deployed devices. It
    waits for staff to confirm it and changes no status until then."""
    if kind not in ledger.FAULT_KINDS:
        raise DeviceRuleError(_("Choose breakage or failure."), field="kind")
    with transaction.atomic():
        device = (
            Device.objects.for_user(by)
            .select_for_update()
            .filter(serial=normalize_serial(serial), status=Device.Status.DEPLOYED)
            .first()
        )
        if device is None or device.school_id != by.school_id:
            raise DeviceRuleError(
                _("No device with this serial is deployed at your school."), field="serial"
            )
        if DeviceEvent.objects.filter(
            device=device, confirmed=False, dismissed_at__isnull=True
        ).exists():
            raise DeviceRuleError(
                _("A fault on this device has already been reported and awaits confirmation."),
                field="serial",
            )
        event = DeviceEvent.objects.create(
            date=date or timezone.localdate(),
            device=device,
            kind=kind,
            cause=cause,
            school_id=device.school_id,
            note=note,
            recorded_by=by,
            confirmed=False,
        )
        _record_event(by, event, changelog.Action.CREATE)
    return event


def device_fault_confirm(*, by, event_id: int, spare_serial: str = "") -> DeviceEvent:
    """Staff confirm a school's report: the device goes to repair and, if named, a spare
    is issued. The report row itself becomes the ledger entry."""
    with transaction.atomic():
        report = (
            DeviceEvent.objects.select_for_update()
            .select_related("device")
            .filter(pk=event_id, confirmed=False, dismissed_at__isnull=True)
            .first()
        )
        if report is None:
            raise DeviceRuleError(_("This report has already been handled."))
        before = changelog.values(report, EVENT_FIELDS)
        event = ledger.Event(
            report.date,
            report.device.serial,
            ledger.Kind(report.kind),
            spare_serial=normalize_serial(spare_serial) or None,
        )
        try:
            result = ledger_apply(events=[event])
        except ledger.LedgerError as exc:
            violation = exc.violations[0]
            raise DeviceRuleError(
                violation.message, field="spare" if violation.field == "spare_serial" else ""
            ) from None
        [applied] = result.applied
        report.confirmed = True
        report.confirmed_by = by if getattr(by, "pk", None) else None
        report.spare = result.devices[applied.spare_serial] if applied.spare_serial else None
        report.spare_cycle = applied.spare_cycle
        report.spare_delta = applied.spare_delta
        report.school_id = applied.school
        report.save(
            update_fields=[
                "confirmed",
                "confirmed_by",
                "spare",
                "spare_cycle",
                "spare_delta",
                "school",
            ]
        )
        _record_event(by, report, changelog.Action.CONFIRM, before=before)
    return report


def device_fault_dismiss(*, by, event_id: int, reason: str) -> DeviceEvent:
    """Staff dismiss a report that was not a fault, saying why; it never touched the
    stock and stays on record (who, when, why). Raises DeviceRuleError."""
    reason = (reason or "").strip()
    if not reason:
        raise DeviceRuleError(_("Say why the report is dismissed."), field="reason")
    with transaction.atomic():
        report = (
            DeviceEvent.objects.select_for_update()
            .filter(pk=event_id, confirmed=False, dismissed_at__isnull=True)
            .first()
        )
        if report is None:
            raise DeviceRuleError(_("This report has already been handled."))
        report.dismissed_at = timezone.now()
        report.dismissed_by = by if getattr(by, "pk", None) else None
        report.dismissal_reason = reason[:300]
        report.save(update_fields=["dismissed_at", "dismissed_by", "dismissal_reason"])
        changelog.record(
            by=by,
            action=changelog.Action.DISMISS,
            obj=report,
            changes={"dismissal_reason": [None, report.dismissal_reason]},
        )
    return report
