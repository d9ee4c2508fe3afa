"""Import of an existing support log (one row per piece of support)."""

from __future__ import annotations

from typing import IO

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import imports
from gigaportal.bulk import insert_rows
from gigaportal.imports import ImportResult, unknown_school
from gigaportal.models import School, User
from gigaportal.roles import CENTER_STAFF_ROLES, STAFF_ROLES
from gigaportal.tabular import (
    Column,
    Row,
    TableReader,
    model_max_length,
    parse_choice,
    parse_date,
)
from support.models import Kind, SupportRecord, Topic

IMPORT_COLUMNS = (
    Column("date", ("日付",)),
    Column("school_code", ("学校コード",), max_length=model_max_length(School, "code")),
    Column("kind", ("区分",)),
    Column("staff", ("担当",), max_length=1000),
    Column("topic", ("内容",), required=False, max_length=1000),
    Column(
        "note",
        ("備考",),
        required=False,
        max_length=model_max_length(SupportRecord, "what_was_done"),
        multiline=True,
    ),
)

KIND_WORDS = {
    "オンライン支援": Kind.ONLINE,
    "online": Kind.ONLINE,
    "訪問支援": Kind.VISIT,
    "visit": Kind.VISIT,
    "研修支援": Kind.TRAINING,
    "training": Kind.TRAINING,
}

STAFF_SEPARATORS = ("、", "/", ";", "・")
# Topic names themselves hold "・" (配布前の端末設定・配布時の説明): topics are split at
# the other separators only.
TOPIC_SEPARATORS = ("、", "/", ";")


def _split(text: str, separators) -> list[str]:
    for sep in separators:
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _split_staff(text: str) -> list[str]:
    return _split(text, STAFF_SEPARATORS)


def _name_key(text: str) -> str:
    return "".join(text.split())


CHUNK_ROWS = 5_000


def record_import(*, file: IO[bytes], by, options=None, progress=None) -> ImportResult:
    """Imports an existing log (one row per piece of support), as an import batch
    (gigaportal.imports: the same file twice changes nothing).

    The file is streamed and written in chunks of CHUNK_ROWS rows inside one
    transaction, so memory does not grow with the file and a bad row anywhere, the
    last one too, rolls everything back.

    1. Read each row; schools by code, staff by username or full name (spaces
       ignored), topics by name or code; several staff may share a cell ("佐藤、鈴木").
       A row identical to an earlier row of the file is an error (the shared reader's
       check), and so is a row identical to a record already kept before this import
       (date, school, kind, the same staff): the log was (partly) imported before.
    2. Each full chunk is checked against the records kept (in SQL) and written in
       bulk with its staff and topic links, as long as no row so far was wrong.
    3. Refuse the whole file if any row is wrong: the transaction rolls back.
    """
    with transaction.atomic():
        return _record_import(file=file, by=by, progress=progress)


def _record_import(*, file: IO[bytes], by, progress=None) -> ImportResult:
    reader = TableReader(file, IMPORT_COLUMNS, identical_rows=True)
    schools = dict(School.objects.values_list("code", "id"))
    # Center staff are named; an administrator's name gets its own clear message.
    people = list(User.objects.filter(role__in=STAFF_ROLES, is_active=True))
    staff_lookup: dict[str, int] = {}
    admin_names: set[str] = set()
    for user in people:
        keys = [user.username.lower()] + ([_name_key(user.full_name)] if user.full_name else [])
        for key in keys:
            if user.role in CENTER_STAFF_ROLES:
                staff_lookup[key] = user.pk
            else:
                admin_names.add(key)
    topic_lookup: dict[str, int] = {}
    for topic in Topic.objects.all():
        topic_lookup[_name_key(topic.name)] = topic.pk
        topic_lookup[topic.code.lower()] = topic.pk
    parse_kind = parse_choice(KIND_WORDS)
    # Records kept before this import: the ones its own chunks write come after.
    kept_until = SupportRecord.objects.aggregate(last=Max("pk"))["last"] or 0

    created = 0
    chunk: list[tuple[SupportRecord, list[int], list[int], Row]] = []
    for row in reader:
        day = row.parse("date", parse_date)
        code = row.require("school_code")
        school_id = schools.get(code) if code else None
        if code and school_id is None:
            row.error("school_code", unknown_school(code))
        kind = row.parse("kind", parse_kind)
        staff_ids: list[int] = []
        staff_text = row.require("staff")
        for name in _split_staff(staff_text or ""):
            user_id = staff_lookup.get(name.lower()) or staff_lookup.get(_name_key(name))
            if user_id is None and (name.lower() in admin_names or _name_key(name) in admin_names):
                row.error(
                    "staff",
                    _("%(name)s is an administrator, not center staff") % {"name": name},
                )
            elif user_id is None:
                row.error("staff", _("no staff member is called %(name)s") % {"name": name})
            elif user_id not in staff_ids:
                staff_ids.append(user_id)
        topic_ids: list[int] = []
        for name in _split(row.get("topic"), TOPIC_SEPARATORS):
            topic_id = topic_lookup.get(_name_key(name)) or topic_lookup.get(name.lower())
            if topic_id is None:
                row.error("topic", _("%(name)s is not a support topic") % {"name": name})
            else:
                topic_ids.append(topic_id)
        if day and school_id and kind and staff_ids:
            record = SupportRecord(
                date=day,
                school_id=school_id,
                kind=kind,
                what_was_done=row.get("note"),
                created_by_id=getattr(by, "pk", None),
            )
            chunk.append((record, staff_ids, topic_ids, row))
        if len(chunk) >= CHUNK_ROWS:
            created += _write_chunk(chunk, reader, kept_until)
            chunk = []
            if progress:
                progress(reader.rows_read, _tell(file))
    created += _write_chunk(chunk, reader, kept_until)
    reader.raise_if_errors()
    if progress:
        progress(reader.rows_read, _tell(file))
    return ImportResult(created=created)


def _tell(file) -> int:
    try:
        return file.tell()
    except (AttributeError, OSError, ValueError):
        return 0


def _write_chunk(chunk, reader: TableReader, kept_until: int) -> int:
    """Checks a chunk against the records kept and writes it, unless a row so far was
    wrong (the file will be refused: writing more would be wasted)."""
    if not chunk:
        return 0
    _report_rows_already_kept(chunk, kept_until)
    if reader.errors:
        return 0
    return len(_write_import(chunk))


def _report_rows_already_kept(chunk, kept_until: int) -> None:
    """Marks each row identical to a record kept before this import (date, school,
    kind, the same staff) as an error; two queries per chunk."""
    days = [record.date for record, _s, _t, _r in chunk]
    candidates = SupportRecord.objects.filter(
        pk__lte=kept_until,
        date__gte=min(days),
        date__lte=max(days),
        school_id__in={record.school_id for record, _s, _t, _r in chunk},
    ).values_list("pk", "date", "school_id", "kind")
    key_of = {pk: (date, school_id, kind) for pk, date, school_id, kind in candidates}
    if not key_of:
        return
    staff_of: dict[int, set[int]] = {pk: set() for pk in key_of}
    StaffLink = SupportRecord.staff.through
    for record_id, user_id in StaffLink.objects.filter(
        supportrecord_id__in=list(key_of)
    ).values_list("supportrecord_id", "user_id"):
        staff_of[record_id].add(user_id)
    kept = {(*key_of[pk], frozenset(staff)) for pk, staff in staff_of.items()}
    for record, staff_ids, _t, row in chunk:
        key = (record.date, record.school_id, str(record.kind), frozenset(staff_ids))
        if key in kept:
            row.error(
                "date",
                _("the same support (date, school, kind and staff) is already recorded"),
            )


def _write_import(chunk) -> list[SupportRecord]:
    """The chunk's records in bulk (their ids come back), then their staff and topic
    links through the shared bulk writer (COPY on PostgreSQL)."""
    records = SupportRecord.objects.bulk_create([c[0] for c in chunk], batch_size=1000)
    insert_rows(
        SupportRecord.staff.through,
        ["supportrecord", "user"],
        (
            (record.pk, user_id)
            for record, (_r, staff_ids, _t, _row) in zip(records, chunk, strict=True)
            for user_id in staff_ids
        ),
        integers=True,
    )
    insert_rows(
        SupportRecord.topics.through,
        ["supportrecord", "topic"],
        (
            (record.pk, topic_id)
            for record, (_r, _s, topic_ids, _row) in zip(records, chunk, strict=True)
            for topic_id in dict.fromkeys(topic_ids)
        ),
        integers=True,
    )
    return records


imports.register(
    imports.Importer(
        kind="support_log",
        title=gettext_lazy("Import the support log"),
        columns=IMPORT_COLUMNS,
        run=record_import,
        help_text=gettext_lazy(
            "One row per piece of support. Staff by username or full name (several separated "
            "by 、). Nothing is written if any row is wrong."
        ),
        success_url="support:record_list",
        additive=True,
        describe=lambda r: _("%(count)s support records imported.") % {"count": r.created},
    )
)
