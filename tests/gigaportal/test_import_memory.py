"""The imports' memory does not grow with the file (issue 13): the Python heap's peak
(tracemalloc) while importing ten times the rows stays within a small factor of the
peak for one time the rows. Chunks are made small (the rows written at a time, and the
1 MB the encoding check decodes at a time), so several fit in the smaller file too and
what is measured is what the import keeps from one chunk to the next. No timing.

On PostgreSQL, the workers' database. On SQLite, Django's bulk writes leave reference
cycles that only CPython's full collections free, which come when the garbage reaches
a share of the process's objects: the peak there climbs for the first 10,000 rows or
so and then stays (10,000 and 30,000 support-log rows: 1.13 and 1.14 MB; with a
collection after each chunk it is flat from the start), which a 10x comparison of
small files cannot tell apart from growth."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from devices.models import Device, DeviceEvent
from devices.services import imports as device_imports
from gigaportal import services as gigaportal_services
from gigaportal import tabular
from gigaportal.models import School
from support.models import SupportRecord
from support.services import imports as support_imports
from tests.devices.factories import make_device, make_device_model
from tests.memory import peak_bytes

ROWS = 1_000
CHUNK = 200
# A dict or list kept per row costs ≥ 100 bytes a row: 10× the rows would add ≥ 0.9 MB
# over a peak of a few MB, past this factor.
FACTOR = 1.5


@pytest.fixture(autouse=True)
def small_encoding_chunks(monkeypatch):
    monkeypatch.setattr(tabular, "_DETECT_CHUNK", 16 * 1024)


def support_log(count: int, *, year: int) -> bytes:
    lines = ["日付,学校コード,区分,担当,内容,備考"]
    lines += [
        f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d},A001,訪問支援,support_staff,,記録{n}"
        for n in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db
@pytest.mark.usefixtures("require_postgres")
def test_the_support_log_import_holds_the_same_memory_for_ten_times_the_rows(
    monkeypatch, leader, support_staff, school_a
):
    monkeypatch.setattr(support_imports, "CHUNK_ROWS", CHUNK)

    def run(count: int, year: int):
        data = support_log(count, year=year)
        return lambda: support_imports.record_import(file=io.BytesIO(data), by=leader)

    run(CHUNK, 2015)()  # first use: translations, query compilation, lazy imports
    small = peak_bytes(run(ROWS, 2016))
    large = peak_bytes(run(10 * ROWS, 2017))
    assert SupportRecord.objects.count() == CHUNK + 11 * ROWS
    assert large < FACTOR * small, (small, large)


@pytest.mark.django_db
@pytest.mark.usefixtures("require_postgres")
def test_the_schools_import_holds_the_same_memory_for_ten_times_the_rows(monkeypatch):
    monkeypatch.setattr(gigaportal_services, "SCHOOL_CHUNK_ROWS", CHUNK)

    def run(count: int, prefix: str):
        lines = ["学校コード,学校名,校種"] + [
            f"{prefix}{n:06d},第{n}小学校,小学校" for n in range(count)
        ]
        data = ("\n".join(lines) + "\n").encode()
        return lambda: gigaportal_services.school_import(file=io.BytesIO(data))

    run(CHUNK, "W")()
    small = peak_bytes(run(ROWS, "S"))
    large = peak_bytes(run(10 * ROWS, "L"))
    assert School.objects.count() == CHUNK + 11 * ROWS
    assert large < FACTOR * small, (small, large)


def device_events(serials: list[str], count: int, *, start: dt.date, school: str) -> bytes:
    """`count` events that keep the rules, each device going round failure → repair →
    issue, one step a day; written newest first, so the import must sort them."""
    steps = ("故障", "修理完了", "払出")
    lines = []
    for n in range(count):
        step, serial = divmod(n, len(serials))
        code = school if steps[step % 3] == "払出" else ""
        day = start + dt.timedelta(days=step)
        lines.append(f"{day.isoformat()},{serials[serial]},{steps[step % 3]},,{code},,")
    return (
        "日付,シリアル番号,区分,代替機シリアル,学校コード,原因,備考\n"
        + "\n".join(reversed(lines))
        + "\n"
    ).encode()


@pytest.mark.django_db
@pytest.mark.usefixtures("require_postgres")
def test_the_device_events_import_holds_the_same_memory_for_ten_times_the_rows(
    monkeypatch, school_a
):
    monkeypatch.setattr(device_imports, "EVENT_CHUNK_ROWS", CHUNK)
    model = make_device_model()
    serials = [make_device(school=school_a, model=model).serial for _ in range(50)]
    # Each file begins after the last one ended (10 × ROWS events are 200 days).
    starts = iter(dt.date(2016, 1, 1) + dt.timedelta(days=400 * n) for n in range(3))

    def run(count: int):
        data = device_events(serials, count, start=next(starts), school="A001")
        return lambda: device_imports.device_event_import(file=io.BytesIO(data))

    # Every file takes each device round whole cycles (3 events each), so it ends
    # deployed again and the next file's first failure keeps the rules.
    rows = ROWS - ROWS % (3 * len(serials))
    run(3 * len(serials))()
    small = peak_bytes(run(rows))
    large = peak_bytes(run(10 * rows))
    assert DeviceEvent.objects.count() == 3 * len(serials) + 11 * rows
    assert Device.objects.filter(status=Device.Status.DEPLOYED).count() == len(serials)
    assert large < FACTOR * small, (small, large)


@pytest.mark.django_db
@pytest.mark.usefixtures("require_postgres")
def test_the_devices_import_holds_the_same_memory_for_ten_times_the_rows(monkeypatch, school_a):
    monkeypatch.setattr(device_imports, "CHUNK_ROWS", CHUNK)
    make_device_model()

    def run(count: int, prefix: str):
        lines = ["シリアル番号,機種,学校コード,状態"]
        lines += [f"{prefix}{n:07d},iPad,A001,配備" for n in range(count)]
        data = ("\n".join(lines) + "\n").encode()
        return lambda: device_imports.device_import(file=io.BytesIO(data))

    run(CHUNK, "W")()
    small = peak_bytes(run(ROWS, "S"))
    large = peak_bytes(run(10 * ROWS, "L"))
    assert Device.objects.count() == CHUNK + 11 * ROWS
    assert large < FACTOR * small, (small, large)
