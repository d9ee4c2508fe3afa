"""The devices' imports: the inventory as deployed, and a file of ledger events."""

from __future__ import annotations

import datetime as dt
import heapq
from typing import IO

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices import ledger
from devices.models import Device, DeviceEvent, DeviceModel
from devices.serials import normalize_serial
from devices.services.events import (
    LOOKUP_CHUNK,
    DeviceRuleError,
    _chunks,
    device_event_rows_write,
    latest_event_dates,
    ledger_apply_locked,
    spare_issued_once,
)
from gigaportal import imports
from gigaportal.imports import ImportResult, unknown_school
from gigaportal.models import School
from gigaportal.scratch import SortedSpill
from gigaportal.tabular import (
    Column,
    TableReader,
    TabularError,
    duplicate_checker,
    model_max_length,
    normalize,
    parse_choice,
    parse_date,
)

DEVICE_COLUMNS = (
    Column("serial", ("シリアル番号", "シリアル"), max_length=model_max_length(Device, "serial")),
    Column("model", ("機種",), max_length=model_max_length(DeviceModel, "name")),
    Column(
        "school_code", ("学校コード",), required=False, max_length=model_max_length(School, "code")
    ),
    Column("status", ("状態",), max_length=20),
    Column(
        "line_number",
        ("回線番号", "電話番号"),
        required=False,
        max_length=model_max_length(Device, "line_number"),
    ),
    Column(
        "asset_tag",
        ("資産番号", "資産管理番号"),
        required=False,
        max_length=model_max_length(Device, "asset_tag"),
    ),
    Column("kind", ("種別",), required=False, max_length=20),
)

MODEL_KIND_WORDS = {
    "ipad": DeviceModel.Kind.IPAD,
    "chromebook": DeviceModel.Kind.CHROMEBOOK,
    "クロームブック": DeviceModel.Kind.CHROMEBOOK,
}


def model_kind_from_name(name: str) -> str | None:
    """'iPad (第9世代)' → ipad, 'Chromebook Plus' → chromebook; None when unsure."""
    folded = normalize(name).lower().replace(" ", "")
    found = {kind for word, kind in MODEL_KIND_WORDS.items() if word in folded}
    return found.pop() if len(found) == 1 else None


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
    Column("serial", ("シリアル番号", "シリアル"), max_length=model_max_length(Device, "serial")),
    Column("event", ("区分",), max_length=20),
    Column(
        "replacement_serial",
        ("代替機シリアル", "代替機"),
        required=False,
        max_length=model_max_length(Device, "serial"),
    ),
    Column(
        "school_code", ("学校コード",), required=False, max_length=model_max_length(School, "code")
    ),
    Column("cause", ("原因",), required=False),
    Column("note", ("備考",), required=False, max_length=2000, multiline=True),
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


CHUNK_ROWS = 5_000


def device_import(*, file: IO[bytes], by=None, options=None, progress=None) -> ImportResult:
    """Creates devices, or updates them by serial, as deployed (the state at deployment).

    The file is streamed and written CHUNK_ROWS rows at a time inside one transaction:
    memory does not grow with the file, and a bad row anywhere rolls everything back.

    1. Read and check each row (serial unique in the file, a deployed device at a
       known school, a spare at none). A model the file names that is not registered
       yet is registered, its kind from the `kind`/種別 cell or from its name (iPad,
       Chromebook).
    2. Check each chunk against the devices kept, as long as no row so far was wrong:
       a changed status or school of a device that already has ledger events is
       refused (that is an event, not an import), and, once a model has ledger
       events, a row that would change its spare stock (a new spare, a device to or
       from spare, a spare of another model) or the model of a device with events:
       past months' spare counts are computed back from today's through the ledger, so
       stock changed outside it rewrites them.
    3. Write the chunk in bulk: new models first, then devices; only rows that differ
       are updated. A model without ledger events yet counts as its spares at
       deployment the spares it now has.
    4. Refuse the whole file if any row was bad: the transaction rolls back.
    """
    with transaction.atomic():
        return _device_import(file=file, progress=progress)


def _device_import(*, file: IO[bytes], progress=None) -> ImportResult:
    reader = TableReader(file, DEVICE_COLUMNS)
    check_duplicate = duplicate_checker(reader, "serial")
    models = {normalize(m.name).lower(): m for m in DeviceModel.objects.all()}
    new_models: dict[str, DeviceModel] = {}  # by folded name, saved with their first chunk
    schools = dict(School.objects.values_list("code", "id"))
    parse_status = parse_choice(DEPLOYMENT_STATUS_WORDS)
    parse_kind = parse_choice({**MODEL_KIND_WORDS, "iPad": DeviceModel.Kind.IPAD})
    writer = _DeviceChunkWriter(reader, new_models)
    for row in reader:
        serial = normalize_serial(row.require("serial")) or None
        check_duplicate(row, serial)
        model_name = row.require("model")
        kind = row.parse("kind", parse_kind, required=False)
        model = None
        if model_name:
            folded = normalize(model_name).lower()
            model = models.get(folded) or new_models.get(folded)
            if model is None:
                kind = kind or model_kind_from_name(model_name)
                if kind is None:
                    row.error(
                        "kind",
                        _(
                            "%(name)s is a new model: say whether it is an iPad or a "
                            "Chromebook in a 種別 (kind) column"
                        )
                        % {"name": model_name},
                    )
                else:
                    model = new_models[folded] = DeviceModel(name=model_name, kind=kind)
            elif kind and kind != model.kind:
                row.error(
                    "kind",
                    _("%(name)s is registered as %(kind)s, not %(given)s")
                    % {
                        "name": model.name,
                        "kind": model.get_kind_display(),
                        "given": DeviceModel.Kind(kind).label,
                    },
                )
        model_id = model.name if model is not None else None
        status = row.parse("status", parse_status)
        code = row.get("school_code")
        school_id = None
        if status == Device.Status.DEPLOYED:
            if not code:
                row.error("school_code", _("a deployed device needs its school code"))
            elif code not in schools:
                row.error("school_code", unknown_school(code))
            else:
                school_id = schools[code]
        elif status == Device.Status.SPARE and code:
            row.error("school_code", _("a spare belongs to no school; leave this cell empty"))
        line_number = row.get("line_number")
        asset_tag = row.get("asset_tag")
        if serial and len(serial) > Device._meta.get_field("serial").max_length:
            row.error("serial", _("at most %(limit)s characters") % {"limit": 40})
            serial = None
        if serial and model_id and status and (school_id or status == Device.Status.SPARE):
            writer.add(
                serial,
                row.number,
                {
                    "model_id": model_id,  # the model's name until it is saved
                    "school_id": school_id,
                    "status": status,
                    "line_number": line_number or "",
                    "asset_tag": asset_tag or "",
                },
            )
    writer.flush()
    reader.raise_if_errors()
    _count_spares_at_deployment(writer.named_models - writer.models_with_events)
    created_models = [{"name": m.name, "kind": m.get_kind_display()} for m in new_models.values()]
    return ImportResult(
        created=writer.created, updated=writer.updated, details={"models": created_models}
    )


class _DeviceChunkWriter:
    """Checks a chunk of parsed rows against the devices kept and writes it (see
    device_import); does nothing once any row of the file was wrong."""

    def __init__(self, reader: TableReader, new_models: dict[str, DeviceModel]) -> None:
        self.reader = reader
        self.new_models = new_models
        self.chunk: dict[str, dict] = {}
        self.rows: dict[str, int] = {}
        self.created = self.updated = 0
        self.named_models: set[int] = set()
        self.models_with_events = set(
            DeviceEvent.objects.filter(confirmed=True)
            .values_list("device__model_id", flat=True)
            .distinct()
        )
        self.model_ids: dict[str, int] = {}
        self.model_names: dict[int, str] = {}

    def add(self, serial: str, number: int, values: dict) -> None:
        self.chunk[serial] = values
        self.rows[serial] = number
        if len(self.chunk) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        chunk, rows = self.chunk, self.rows
        self.chunk, self.rows = {}, {}
        if not chunk or self.reader.errors:
            return
        reader = self.reader
        unsaved = [m for m in self.new_models.values() if m.pk is None]
        if unsaved or not self.model_ids:
            DeviceModel.objects.bulk_create(unsaved)
            self.model_ids = dict(DeviceModel.objects.values_list("name", "pk"))
            self.model_names = {pk: name for name, pk in self.model_ids.items()}
        for values in chunk.values():
            values["model_id"] = self.model_ids[values["model_id"]]
            self.named_models.add(values["model_id"])
        existing = {
            d.serial: d for d in Device.objects.select_for_update().filter(serial__in=list(chunk))
        }
        with_events = _serials_with_events([d.pk for d in existing.values()])
        models_with_events = self.models_with_events

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
                % {"serial": serial, "model": self.model_names[model_id]},
            )

        to_create, to_update = [], []
        for serial, values in chunk.items():
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
        if reader.errors:
            return
        Device.objects.bulk_create(to_create, batch_size=2000)
        Device.objects.bulk_update(to_update, list(DEVICE_FIELDS), batch_size=1000)
        self.created += len(to_create)
        self.updated += len(to_update)


def _count_spares_at_deployment(model_ids: set[int]) -> None:
    """Before its first ledger event, a model's spares at deployment are the spares it
    has: for the models the file named (others keep what admin says), one grouped
    query and one update per model that changed."""
    spares = dict(
        Device.objects.filter(status=Device.Status.SPARE, model_id__in=model_ids)
        .values("model_id")
        .annotate(n=Count("id"))
        .values_list("model_id", "n")
    )
    for model in DeviceModel.objects.filter(pk__in=model_ids):
        count = spares.get(model.pk, 0)
        if model.spares_at_deployment != count:
            DeviceModel.objects.filter(pk=model.pk).update(spares_at_deployment=count)


def _serials_with_events(device_ids: list[int]) -> set[int]:
    # A dismissed report was not a fault and never touched the device: it does not
    # hold the device in place (a report still waiting for staff does).
    events = DeviceEvent.objects.filter(dismissed_at__isnull=True)
    found: set[int] = set()
    for chunk in _chunks(device_ids):
        found.update(events.filter(device_id__in=chunk).values_list("device_id", flat=True))
        found.update(events.filter(spare_id__in=chunk).values_list("spare_id", flat=True))
    return found


_VIOLATION_COLUMNS = {
    "date": "date",
    "serial": "serial",
    "spare_serial": "replacement_serial",
    "school": "school_code",
}


EVENT_CHUNK_ROWS = 5_000
# The columns a parsed event is kept in on disk until the file is read (SortedSpill).
_SPILL_COLUMNS = ("date", "ref", "serial", "kind", "spare", "school", "cause", "note")


def device_event_import(*, file: IO[bytes], by=None, options=None, progress=None) -> ImportResult:
    """Applies a file of events in date order, all or nothing.

    1. Read and check every cell (dates, event words, school codes); each good row's
       event goes to a scratch table on disk (gigaportal.scratch), not a list, so
       memory does not grow with the file.
    2. Lock every device the events name, then apply the events in date order (the
       scratch table sorts them; rows of one day keep the file's order) EVENT_CHUNK_ROWS
       at a time with the ledger rules against the devices' states, writing each
       chunk's new states and event rows before the next chunk reads them.
    3. Every broken rule becomes a row-numbered error (in row order) and the whole
       file is refused: the transaction rolls back what the chunks wrote.
    """
    # The same event twice in one file (a copied row) is refused, not recorded twice.
    reader = TableReader(file, EVENT_COLUMNS, identical_rows=True)
    spill = SortedSpill(_SPILL_COLUMNS, order=("date",))
    try:
        _read_events(reader, spill, file, progress)
        reader.raise_if_errors()
        with transaction.atomic(), spare_issued_once():
            created = _apply_events(reader, spill, by)
    except DeviceRuleError as exc:
        raise TabularError.single(str(exc.message)) from None
    finally:
        spill.close()
    return ImportResult(created=created, updated=0)


def _read_events(reader: TableReader, spill: SortedSpill, file: IO[bytes], progress) -> None:
    schools = dict(School.objects.values_list("code", "id"))
    parse_event = parse_choice(EVENT_WORDS)
    parse_cause = parse_choice(CAUSE_WORDS)
    parsed: list[tuple] = []
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
                row.error("school_code", unknown_school(code))
        if spare and kind is not None and kind not in ledger.FAULT_KINDS:
            row.error("replacement_serial", _("only a breakage or failure names a replacement"))
        if date and serial and kind and not reader.errors:
            # ISO dates sort as dates; once a row is wrong nothing will be applied.
            parsed.append(
                (
                    date.isoformat(),
                    row.number,
                    serial,
                    str(kind),
                    spare,
                    school_id,
                    cause,
                    row["note"],
                )
            )
        if len(parsed) >= EVENT_CHUNK_ROWS:
            spill.extend(parsed)
            parsed = []
            if progress:
                progress(reader.rows_read, _tell(file))
    spill.extend(parsed)


def _tell(file: IO[bytes]) -> int:
    try:
        return file.tell()
    except (AttributeError, OSError, ValueError):
        return 0


def _apply_events(reader: TableReader, spill: SortedSpill, by) -> int:
    """Steps 2 and 3 of device_event_import; returns the events written."""
    # Locked up front, in the order _lock_devices uses, before any state is read.
    _lock_all(spill.distinct("serial", "spare"))
    today = timezone.localdate()
    broken = _FirstViolations(reader.errors.limit)
    # Per device named so far, its latest event date (None: none yet), carried from
    # chunk to chunk as the ledger carries it within one batch: read from the database
    # once per device, not again each chunk over the events the import has written.
    latest: dict[str, dt.date | None] = {}
    created = 0
    for chunk in spill.sorted_chunks(EVENT_CHUNK_ROWS):
        events = [
            ledger.Event(
                dt.date.fromisoformat(date),
                serial,
                ledger.Kind(kind),
                spare_serial=spare,
                school=school,
                ref=ref,
                cause=cause,
                note=note,
            )
            for date, ref, serial, kind, spare, school, cause, note in chunk
        ]
        named = sorted({e.serial for e in events} | {e.spare_serial for e in events} - {None})
        devices = {
            device.serial: device
            for part in _chunks(named)
            for device in Device.objects.filter(serial__in=part)
        }
        unseen = {serial: d for serial, d in devices.items() if serial not in latest}
        found = latest_event_dates(unseen)
        latest.update((serial, found.get(serial)) for serial in unseen)
        outcome = ledger_apply_locked(
            devices=devices,
            events=events,
            today=today,
            latest_dates={s: latest[s] for s in devices if latest[s] is not None},
            even_if_broken=True,
        )
        for applied in outcome.applied:
            for serial in (applied.event.serial, applied.event.spare_serial):
                if serial:
                    latest[serial] = applied.event.date
        broken.extend(outcome.violations)
        # Written even after a broken rule, so the later chunks see the states and
        # event dates they would have seen in one batch; the rollback undoes them.
        created += len(device_event_rows_write(applied=outcome.applied, devices=devices, by=by))
    for violation in broken.in_row_order():
        column = _VIOLATION_COLUMNS.get(violation.field, "serial")
        reader.errors.add(violation.event.ref, reader.header_label(column), str(violation.message))
    reader.errors.more += broken.more
    reader.raise_if_errors()
    return created


def _lock_all(serials) -> None:
    """Locks the devices with these serials (sorted), LOOKUP_CHUNK at a time and each
    part in primary-key order, as _lock_devices does, without loading them."""
    chunk: list[str] = []
    for serial in serials:
        chunk.append(serial)
        if len(chunk) >= LOOKUP_CHUNK:
            _lock_serials(chunk)
            chunk = []
    _lock_serials(chunk)


def _lock_serials(serials: list[str]) -> None:
    if serials:
        locked = Device.objects.select_for_update().filter(serial__in=serials).order_by("pk")
        list(locked.values_list("pk", flat=True))


class _FirstViolations:
    """The `limit` violations of the lowest row numbers, of any number: what the
    error list shows (the rest are counted)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._heap: list[tuple[int, int, ledger.Violation]] = []  # (-row, -seq, violation)
        self._seen = 0
        self.more = 0

    def extend(self, violations) -> None:
        for violation in violations:
            self._seen += 1
            item = (-violation.event.ref, -self._seen, violation)
            if len(self._heap) < self.limit:
                heapq.heappush(self._heap, item)
            else:
                heapq.heappushpop(self._heap, item)
                self.more += 1

    def in_row_order(self) -> list[ledger.Violation]:
        return [v for _r, _s, v in sorted(self._heap, key=lambda i: (-i[0], -i[1]))]


def _describe_devices(result: ImportResult) -> str:
    text = _("%(created)s devices created, %(updated)s updated.") % {
        "created": result.created,
        "updated": result.updated,
    }
    new = result.details.get("models") or []
    if new:
        text += " " + _("Models registered: %(models)s.") % {
            "models": "、".join(f"{m['name']} ({m['kind']})" for m in new)
        }
    return text


imports.register(
    imports.Importer(
        kind="devices",
        title=gettext_lazy("Import devices"),
        columns=DEVICE_COLUMNS,
        run=device_import,
        help_text=gettext_lazy(
            "The devices as deployed: creates devices or updates them by serial, and "
            "registers the models the file names. Nothing is written if any row is wrong."
        ),
        success_url="devices:list",
        describe=_describe_devices,
    )
)
imports.register(
    imports.Importer(
        kind="device_events",
        title=gettext_lazy("Import device events"),
        columns=EVENT_COLUMNS,
        run=device_event_import,
        help_text=gettext_lazy(
            "Breakages, failures, spares issued, repairs and retirements, applied in date "
            "order. A file that breaks a rule is refused whole."
        ),
        success_url="devices:breakage",
        additive=True,
        describe=lambda r: _("Recorded %(count)s events.") % {"count": r.created},
    )
)
