"""Writes for devices. Every status change goes through `ledger_apply`: it locks the
devices an event names, runs the pure rules (devices.ledger), and saves the new
states in bulk. The callers write the event rows in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from devices import ledger
from devices.models import Device, DeviceEvent, DeviceModel
from devices.serials import normalize_serial
from gigaportal.models import School
from gigaportal.services import ImportResult
from gigaportal.tabular import (
    Column,
    TableReader,
    TabularError,
    duplicate_checker,
    normalize,
    parse_choice,
    parse_date,
)

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
    before = {serial: device.as_state() for serial, device in devices.items()}
    outcome = ledger.apply_events(
        before,
        events,
        latest_dates=_latest_event_dates(devices),
        today=timezone.localdate(),  # settings.TIME_ZONE: Asia/Tokyo
    )
    if not outcome.ok:
        raise ledger.LedgerError(outcome.violations)
    changed = outcome.changed(before)
    for serial, state in changed.items():
        device = devices[serial]
        device.status = state.status.value
        device.school_id = state.school
        device.spare_cycle = state.spare_cycle
    Device.objects.bulk_update(
        [devices[s] for s in changed], ["status", "school", "spare_cycle"], batch_size=1000
    )
    return LedgerResult(devices, list(outcome.applied))


def _latest_event_dates(devices: dict[str, Device]) -> dict[str, dt.date]:
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


def _event_row(applied: ledger.Applied, devices: dict[str, Device], recorded_by) -> DeviceEvent:
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
        recorded_by=recorded_by,
        confirmed=True,
    )


def device_events_record(*, events: Sequence[ledger.Event], recorded_by=None) -> list[DeviceEvent]:
    """Applies events and writes them, all or nothing. Raises LedgerError."""
    try:
        with transaction.atomic():
            result = ledger_apply(events=events)
            rows = [_event_row(a, result.devices, recorded_by) for a in result.applied]
            return DeviceEvent.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError as exc:
        # The unique issue constraint is the last line of defence; the row lock
        # normally refuses a second issue before it gets here.
        if "a_spare_is_issued_once_per_cycle" in str(exc):
            raise DeviceRuleError(_("This spare has already been issued."), field="spare") from exc
        raise


def device_breakage_record(
    *,
    user,
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
            [row] = device_events_record(events=[event], recorded_by=user)
        except ledger.LedgerError as exc:
            violation = exc.violations[0]
            field = {"spare_serial": "spare", "date": "date"}.get(violation.field, "serial")
            raise DeviceRuleError(violation.message, field=field) from None
    return row


def device_fault_report(
    *, user, device: Device, kind: str, cause: str, note: str = "", date: dt.date | None = None
) -> DeviceEvent:
    """A school user's report of a fault on one of their devices. It waits for staff to
    confirm it and changes no status until then."""
    if kind not in ledger.FAULT_KINDS:
        raise DeviceRuleError(_("Choose breakage or failure."), field="kind")
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.status != Device.Status.DEPLOYED or device.school_id != user.school_id:
            raise DeviceRuleError(_("This device is not deployed at your school."), field="serial")
        if DeviceEvent.objects.filter(device=device, confirmed=False).exists():
            raise DeviceRuleError(
                _("A fault on this device has already been reported and awaits confirmation."),
                field="serial",
            )
        return DeviceEvent.objects.create(
            date=date or timezone.localdate(),
            device=device,
            kind=kind,
            cause=cause,
            school_id=device.school_id,
            note=note,
            recorded_by=user,
            confirmed=False,
        )


def device_fault_confirm(*, event_id: int, user, spare_serial: str = "") -> DeviceEvent:
    """Staff confirm a school's report: the device goes to repair and, if named, a spare
    is issued. The report row itself becomes the ledger entry."""
    with transaction.atomic():
        report = (
            DeviceEvent.objects.select_for_update()
            .select_related("device")
            .filter(pk=event_id, confirmed=False)
            .first()
        )
        if report is None:
            raise DeviceRuleError(_("This report has already been handled."))
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
        report.confirmed_by = user
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
    return report


def device_fault_dismiss(*, event_id: int) -> bool:
    """Staff dismiss a report that was not a fault; it never touched the stock."""
    deleted, _rows = DeviceEvent.objects.filter(pk=event_id, confirmed=False).delete()
    return bool(deleted)


# --- Imports ------------------------------------------------------------------------------

DEVICE_COLUMNS = (
    Column("serial", ("シリアル番号", "シリアル")),
    Column("model", ("機種",)),
    Column("school_code", ("学校コード",), required=False),
    Column("status", ("状態",)),
    Column("line_number", ("回線番号", "電話番号"), required=False),
    Column("asset_tag", ("資産番号", "資産管理番号"), required=False),
)

DEPLOYMENT_STATUS_WORDS = {
    "deployed": Device.Status.DEPLOYED,
    "配置": Device.Status.DEPLOYED,
    "配備": Device.Status.DEPLOYED,
    "spare": Device.Status.SPARE,
    "保守用": Device.Status.SPARE,
    "予備": Device.Status.SPARE,
}

EVENT_COLUMNS = (
    Column("date", ("日付",)),
    Column("serial", ("シリアル番号", "シリアル")),
    Column("event", ("区分",)),
    Column("replacement_serial", ("代替機シリアル", "代替機"), required=False),
    Column("school_code", ("学校コード",), required=False),
    Column("cause", ("原因",), required=False),
    Column("note", ("備考",), required=False),
)

EVENT_WORDS = {
    "破損": ledger.Kind.BREAKAGE,
    "breakage": ledger.Kind.BREAKAGE,
    "故障": ledger.Kind.FAILURE,
    "failure": ledger.Kind.FAILURE,
    "払出": ledger.Kind.ISSUE,
    "issue": ledger.Kind.ISSUE,
    "修理完了": ledger.Kind.REPAIR,
    "repair": ledger.Kind.REPAIR,
    "廃棄": ledger.Kind.RETIRE,
    "retire": ledger.Kind.RETIRE,
}

CAUSE_WORDS = {
    **{label: value for value, label in DeviceEvent.Cause.choices},
    **{value: value for value in DeviceEvent.Cause.values},
}

DEVICE_FIELDS = ("model_id", "school_id", "status", "line_number", "asset_tag")


def device_import(*, file: IO[bytes]) -> ImportResult:
    """Creates devices, or updates them by serial, as deployed (the state at deployment).

    1. Read and check every row (serial unique in the file, model known, a deployed
       device at a known school, a spare at none).
    2. Refuse the whole file if any row is bad, including a changed status or school
       of a device that already has ledger events (that is an event, not an import),
       and, once a model has ledger events, a row that would change its spare stock
       (a new spare, a device to or from spare, a spare of another model) or the
       model of a device with events: past months' spare counts are computed back
       from today's through the ledger, so stock changed outside it rewrites them.
    3. Write in bulk, in one transaction: only rows that differ are updated.
    """
    reader = TableReader(file, DEVICE_COLUMNS)
    check_duplicate = duplicate_checker(reader, "serial")
    models = {
        normalize(name).lower(): pk for pk, name in DeviceModel.objects.values_list("pk", "name")
    }
    schools = dict(School.objects.values_list("code", "id"))
    parse_status = parse_choice(DEPLOYMENT_STATUS_WORDS)
    parsed: dict[str, dict] = {}
    rows: dict[str, int] = {}
    for row in reader:
        serial = normalize_serial(row.require("serial")) or None
        check_duplicate(row, serial)
        model_name = row.require("model")
        model_id = models.get(model_name.lower()) if model_name else None
        if model_name and model_id is None:
            row.error(
                "model",
                _("unknown model %(name)r (known: %(known)s)")
                % {
                    "name": model_name,
                    "known": " / ".join(DeviceModel.objects.values_list("name", flat=True)),
                },
            )
        status = row.parse("status", parse_status)
        code = row.get("school_code")
        school_id = None
        if status == Device.Status.DEPLOYED:
            if not code:
                row.error("school_code", _("a deployed device needs its school code"))
            elif code not in schools:
                row.error("school_code", _("unknown school code %(code)s") % {"code": code})
            else:
                school_id = schools[code]
        elif status == Device.Status.SPARE and code:
            row.error("school_code", _("a spare belongs to no school; leave this cell empty"))
        if serial and model_id and status and (school_id or status == Device.Status.SPARE):
            parsed[serial] = {
                "model_id": model_id,
                "school_id": school_id,
                "status": status,
                "line_number": row.get("line_number"),
                "asset_tag": row.get("asset_tag"),
            }
            rows[serial] = row.number
    reader.raise_if_errors()

    with transaction.atomic():
        serials = list(parsed)
        existing: dict[str, Device] = {}
        for chunk in _chunks(serials):
            existing.update(
                (d.serial, d) for d in Device.objects.select_for_update().filter(serial__in=chunk)
            )
        with_events = _serials_with_events([d.pk for d in existing.values()])
        models_with_events = set(
            DeviceEvent.objects.filter(confirmed=True)
            .values_list("device__model_id", flat=True)
            .distinct()
        )
        model_names = dict(DeviceModel.objects.values_list("pk", "name"))

        def stock_error(serial: str, column: str, model_id: int) -> None:
            # The breakage table computes past spare counts back from today's, through
            # the ledger's deltas: stock changed without an event would rewrite them.
            reader.errors.add(
                rows[serial],
                reader.header_label(column),
                _(
                    "%(serial)s: %(model)s has ledger events, so this import would change "
                    "past months' spare counts; record it through the ledger "
                    "(払出 / 修理完了) instead"
                )
                % {"serial": serial, "model": model_names[model_id]},
            )

        to_create, to_update = [], []
        for serial, values in parsed.items():
            device = existing.get(serial)
            new_model = values["model_id"]
            is_spare = values["status"] == Device.Status.SPARE
            if device is None:
                if is_spare and new_model in models_with_events:
                    stock_error(serial, "status", new_model)
                    continue
                to_create.append(Device(serial=serial, **values))
                continue
            if any(getattr(device, f) != values[f] for f in DEVICE_FIELDS):
                moved = device.status != values["status"] or device.school_id != values["school_id"]
                was_spare = device.status == Device.Status.SPARE
                touched = {device.model_id, new_model} & models_with_events
                model_changed = device.model_id != new_model
                if model_changed and device.pk in with_events:
                    reader.errors.add(
                        rows[serial],
                        reader.header_label("model"),
                        _("%(serial)s has ledger events; its model cannot be changed by import")
                        % {"serial": serial},
                    )
                    continue
                if touched and (was_spare != is_spare or (is_spare and model_changed)):
                    stock_error(
                        serial, "status" if was_spare != is_spare else "model", min(touched)
                    )
                    continue
                if moved and device.pk in with_events:
                    reader.errors.add(
                        rows[serial],
                        reader.header_label("status"),
                        _(
                            "%(serial)s has ledger events; record an event to change its status or school"
                        )
                        % {"serial": serial},
                    )
                    continue
                for field_name, value in values.items():
                    setattr(device, field_name, value)
                to_update.append(device)
        reader.raise_if_errors()
        Device.objects.bulk_create(to_create, batch_size=2000)
        Device.objects.bulk_update(to_update, list(DEVICE_FIELDS), batch_size=1000)
    return ImportResult(created=len(to_create), updated=len(to_update))


def _serials_with_events(device_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(device_ids):
        found.update(
            DeviceEvent.objects.filter(device_id__in=chunk).values_list("device_id", flat=True)
        )
        found.update(
            DeviceEvent.objects.filter(spare_id__in=chunk).values_list("spare_id", flat=True)
        )
    return found


_VIOLATION_COLUMNS = {
    "date": "date",
    "serial": "serial",
    "spare_serial": "replacement_serial",
    "school": "school_code",
}


def device_event_import(*, file: IO[bytes], recorded_by=None) -> ImportResult:
    """Applies a file of events in date order, all or nothing.

    1. Read and check every cell (dates, event words, school codes).
    2. Apply the events with the ledger rules against the devices' current states;
       every broken rule becomes a row-numbered error and nothing is written.
    3. Write the events in bulk with the new states.
    """
    reader = TableReader(file, EVENT_COLUMNS)
    schools = dict(School.objects.values_list("code", "id"))
    parse_event = parse_choice(EVENT_WORDS)
    parse_cause = parse_choice(CAUSE_WORDS)
    events: list[ledger.Event] = []
    for row in reader:
        date = row.parse("date", parse_date)
        serial = normalize_serial(row.require("serial")) or None
        kind = row.parse("event", parse_event)
        spare = normalize_serial(row.get("replacement_serial")) or None
        code = row.get("school_code")
        cause = row.parse("cause", parse_cause, required=False) or ""
        school_id = None
        if code:
            school_id = schools.get(code)
            if school_id is None:
                row.error("school_code", _("unknown school code %(code)s") % {"code": code})
        if spare and kind is not None and kind not in ledger.FAULT_KINDS:
            row.error("replacement_serial", _("only a breakage or failure names a replacement"))
        if date and serial and kind:
            events.append(
                ledger.Event(
                    date,
                    serial,
                    kind,
                    spare_serial=spare,
                    school=school_id,
                    ref=row.number,
                    cause=cause,
                    note=row.get("note"),
                )
            )
    reader.raise_if_errors()
    try:
        rows = device_events_record(events=events, recorded_by=recorded_by)
    except ledger.LedgerError as exc:
        for violation in sorted(exc.violations, key=lambda v: v.event.ref):
            column = _VIOLATION_COLUMNS.get(violation.field, "serial")
            reader.errors.add(
                violation.event.ref, reader.header_label(column), str(violation.message)
            )
        reader.raise_if_errors()
        raise  # pragma: no cover - a LedgerError always has violations
    except DeviceRuleError as exc:
        raise TabularError.single(str(exc.message)) from None
    return ImportResult(created=len(rows), updated=0)
