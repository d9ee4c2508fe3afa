"""Peak memory (and time) of the worker-side import, by file size: the support log, the
schools list, devices, device events and a survey export (its import, and its preview:
`--kinds surveys,survey_preview`) at 5 MB and 50 MB (`--sizes 5,50,200` for others,
`--kinds support_log,schools` for fewer), each beside a baseline measured in the same
run: the peak of a process that only reads the same file through the csv module (what
any import must at least do).

Every figure comes from a fresh child process (its peak RSS, resource.getrusage), so
one run does not inherit another's memory. The imports run as a worker runs them (an
import batch through gigaportal.imports) on a scratch database (<name>_bench, created
and dropped here); the size limits are lifted for the run.

    DATABASE_URL=postgres://... SECRET_KEY=x python benchmarks/import_memory.py [--sizes 5,50]
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))

from benchmarks.survey_sheet import write_sheet  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

KINDS = ("support_log", "schools", "devices", "device_events", "surveys")
# A survey file goes to the survey import (or its preview) as the confirm step sends it.
SURVEY_KINDS = {"surveys": "survey_responses", "survey_preview": "survey_preview"}
STAFF = ("bench-staff-1", "bench-staff-2", "bench-staff-3")
BENCH_SCHOOLS = 70
# The device events file takes these devices round failure → repair → issue, one step
# a day from EVENTS_START: 200 MB is about 1,200 days.
BENCH_DEVICES = 5_000
EVENTS_START = "2010-01-01"
EVENT_STEPS = ("故障", "修理完了", "払出")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


# --- The files ------------------------------------------------------------------------


def write_file(kind: str, path: Path, megabytes: float, run: int) -> int:
    """A file of about `megabytes`, every row its own; returns its rows."""
    target = int(megabytes * 1024 * 1024)
    rng = random.Random(run)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        if kind == "support_log":
            out.write("日付,学校コード,区分,担当,内容,備考\n")
            kinds = ("訪問支援", "オンライン支援", "研修支援")
            while out.tell() < target:
                # A date range of its own per run: nothing matches an earlier run's records.
                year = 2000 + run
                out.write(
                    f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d},"
                    f"BM{rng.randrange(BENCH_SCHOOLS):03d},{rng.choice(kinds)},"
                    f"{rng.choice(STAFF)},アップデート,記録{rows}の対応内容\n"
                )
                rows += 1
        elif kind in SURVEY_KINDS:
            schools = [f"計測校{n}" for n in range(BENCH_SCHOOLS)]
            return write_sheet(out, schools, rng, until_bytes=target)
        elif kind == "schools":
            out.write("学校コード,学校名,校種,メール,校長名\n")
            while out.tell() < target:
                out.write(
                    f"R{run}S{rows:07d},市立第{rows}小学校,小学校,"
                    f"s{rows}@school.example.jp,校長 {rows}\n"
                )
                rows += 1
        elif kind == "devices":
            out.write("シリアル番号,機種,学校コード,状態\n")
            while out.tell() < target:
                out.write(f"R{run}D{rows:08d},iPad (第9世代),BM{rows % BENCH_SCHOOLS:03d},配備\n")
                rows += 1
        else:
            # Newest day first, so the import has to sort the whole file by date.
            out.write("日付,シリアル番号,区分,代替機シリアル,学校コード,原因,備考\n")
            steps = 0
            size = out.tell()
            while size < target:
                size += sum(len(line.encode()) for line in _event_step(steps))
                steps += 1
            for step in reversed(range(steps)):
                out.writelines(_event_step(step))
            rows = steps * BENCH_DEVICES
    return rows


def _event_step(step: int) -> list[str]:
    """One day of events: every bench device takes its next step of the cycle."""
    import datetime as dt

    day = (dt.date.fromisoformat(EVENTS_START) + dt.timedelta(days=step)).isoformat()
    word = EVENT_STEPS[step % 3]
    lines = []
    for n in range(BENCH_DEVICES):
        school = f"BM{n % BENCH_SCHOOLS:03d}" if word == "払出" else ""
        lines.append(f"{day},BD{n:06d},{word},,{school},,\n")
    return lines


# --- The children -----------------------------------------------------------------------


def child_baseline(path: str) -> dict:
    """Django set up as for the import, then the file read through the csv module."""
    import csv

    import django

    django.setup()
    start = time.perf_counter()
    rows = 0
    with open(path, encoding="utf-8", newline="") as text:
        for _row in csv.reader(text):
            rows += 1
    return {"rows": rows - 1, "seconds": time.perf_counter() - start, "peak_mb": peak_mb()}


def child_import(kind: str, path: str) -> dict:
    import django

    django.setup()
    from gigaportal import imports
    from gigaportal.scope import COMMAND_LINE

    options = None
    if kind in SURVEY_KINDS:
        # A new group each run, so that no run is a repeat of another.
        options = {"survey": "bench", "group": f"g{time.time_ns()}", "file_name": path}
        kind = SURVEY_KINDS[kind]
    start = time.perf_counter()
    with open(path, "rb") as binary:
        batch = imports.batch_import(
            kind=kind, file=binary, by=COMMAND_LINE, name=path, options=options
        )
    seconds = time.perf_counter() - start
    if batch.status != "done":
        raise SystemExit(f"{kind} import failed: {batch.errors[:3]}")
    return {"rows": batch.created + batch.updated, "seconds": seconds, "peak_mb": peak_mb()}


def run_child(*args: str, env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, str(HERE), "--child", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr or result.stdout)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- The run ----------------------------------------------------------------------------


def main(sizes: list[float], kinds: list[str]) -> None:
    from django.conf import settings
    from django.db import connection

    from gigaportal.models import School, User

    School.objects.bulk_create(
        [School(code=f"BM{i:03d}", name=f"計測校{i}", kind="elementary") for i in range(70)]
    )
    for username in STAFF:
        User.objects.create(username=username, role="support", full_name=username)
    from devices.models import Device, DeviceModel

    model = DeviceModel.objects.create(name="iPad (第9世代)", kind="ipad")
    schools = list(School.objects.order_by("code"))
    Device.objects.bulk_create(
        Device(
            serial=f"BD{n:06d}", model=model, school=schools[n % BENCH_SCHOOLS], status="deployed"
        )
        for n in range(BENCH_DEVICES)
    )

    database = settings.DATABASES["default"]
    env = dict(os.environ)
    env["IMPORT_MAX_MB_DEFAULT"] = "100000"
    for kind in (*KINDS, *SURVEY_KINDS.values()):
        env[f"IMPORT_MAX_MB_{kind.upper()}"] = "100000"
    if connection.vendor == "postgresql":
        user = database.get("USER") or ""
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"

    print(f"database: {connection.vendor}; peak RSS of a fresh process per figure")
    print(
        f"{'import':<13} {'file':>8} {'rows':>10}  {'import peak':>12} {'time':>8}  "
        f"{'csv-only peak':>14} {'time':>7}  {'extra':>8}"
    )
    run = 0
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            for megabytes in sizes:
                run += 1
                path = Path(scratch) / f"{kind}-{megabytes}.csv"
                rows = write_file(kind, path, megabytes, run)
                size = path.stat().st_size / (1024 * 1024)
                base = run_child("baseline", str(path), env=env)
                done = run_child("import", kind, str(path), env=env)
                assert done["rows"] == rows == base["rows"], (done, rows, base)
                print(
                    f"{kind:<13} {size:>6.1f}MB {rows:>10,}  {done['peak_mb']:>10.0f}MB "
                    f"{done['seconds']:>7.1f}s  {base['peak_mb']:>12.0f}MB "
                    f"{base['seconds']:>6.1f}s  {done['peak_mb'] - base['peak_mb']:>+6.0f}MB",
                    flush=True,
                )
                path.unlink()
                if (kind, megabytes) == (kinds[-1], sizes[-1]):
                    break  # the scratch database is dropped next, faster than emptied
                with connection.cursor() as cursor:
                    # Each run starts from the same database.
                    if kind in SURVEY_KINDS:
                        cursor.execute(
                            "DELETE FROM surveys_answer; DELETE FROM surveys_textanswer; "
                            "DELETE FROM surveys_response"
                        )
                    elif kind == "support_log":
                        cursor.execute(
                            "DELETE FROM support_supportrecord_staff; "
                            "DELETE FROM support_supportrecord_topics; "
                            "DELETE FROM support_supportrecord"
                        )
                    elif kind == "schools":
                        cursor.execute("DELETE FROM gigaportal_school WHERE code LIKE 'R%%S%%'")
                    elif kind == "devices":
                        cursor.execute("DELETE FROM devices_device WHERE serial LIKE 'R%%D%%'")
                    else:
                        cursor.execute("DELETE FROM devices_deviceevent")
                        for n, school in enumerate(schools):
                            # Every bench device deployed at its school again.
                            cursor.execute(
                                "UPDATE devices_device SET status = 'deployed', spare_cycle = 0, "
                                "school_id = %s WHERE serial LIKE 'BD%%' "
                                "AND CAST(SUBSTR(serial, 3) AS INTEGER) %% %s = %s",
                                [school.pk, BENCH_SCHOOLS, n],
                            )


def on_scratch_database(sizes: list[float], kinds: list[str]) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        main(sizes, kinds)
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5,50", help="file sizes in MB, e.g. 5,50,200")
    parser.add_argument("--kinds", default=",".join(KINDS), help="also: survey_preview")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args()
    if args.child:
        what, *rest = args.child
        figures = child_baseline(*rest) if what == "baseline" else child_import(*rest)
        print(json.dumps(figures))
    else:
        on_scratch_database(
            [float(s) for s in args.sizes.split(",")], [k for k in args.kinds.split(",") if k]
        )
