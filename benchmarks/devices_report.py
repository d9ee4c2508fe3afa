"""Device import and breakage-report timings, each next to a baseline measured in the
same run on the same database.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/devices_report.py

Uses a throwaway database (test_<name>, created and dropped here) so it never touches
real data. Figures: seconds, best of three for the reports.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from devices import demo, reports, selectors
    from devices.models import Device, DeviceModel
    from gigaportal import demo as portal_demo
    from gigaportal import imports
    from gigaportal.calendar import Month
    from gigaportal.scope import COMMAND_LINE

    out = io.StringIO()
    portal_demo.load(stdout=out)
    print(f"database: {connection.vendor}")

    # 1. Importing 24,213 + 750 iPads from CSV vs. a plain bulk_create of the same rows.
    DeviceModel.objects.create(name="iPad", kind="ipad", spares_at_deployment=750)
    codes = [c for c in portal_demo.DEMO_SCHOOLS if c[0] != "H001"]
    lines = ["serial,model,school_code,status"]
    lines += [f"B{i:07d},iPad,{codes[i % len(codes)][0]},deployed" for i in range(24_213)]
    lines += [f"S{i:07d},iPad,,spare" for i in range(750)]
    data = ("\n".join(lines) + "\n").encode()

    # As `manage.py import_devices` runs it: an import batch (digest, one change-log
    # entry) around the import. The same file again is a no-op batch, so the re-import
    # is timed with a file that differs by one byte (every row unchanged but one).
    start = time.perf_counter()
    result = imports.batch_import(kind="devices", file=io.BytesIO(data), by=COMMAND_LINE)
    import_seconds = time.perf_counter() - start
    changed = data.replace(b"B0000000,iPad", b"B0000000,ipad")
    start = time.perf_counter()
    again = imports.batch_import(kind="devices", file=io.BytesIO(changed), by=COMMAND_LINE)
    reimport_seconds = time.perf_counter() - start
    assert result.status == "done" and again.status == "done", (result.errors, again.errors)

    model = DeviceModel.objects.get(name="iPad")
    school_ids = list(portal_demo.School.objects.exclude(code="H001").values_list("pk", flat=True))
    Device.objects.all().delete()
    start = time.perf_counter()
    Device.objects.bulk_create(
        [
            Device(
                serial=f"B{i:07d}",
                model=model,
                school_id=school_ids[i % len(school_ids)],
                status="deployed",
            )
            for i in range(24_213)
        ]
        + [Device(serial=f"S{i:07d}", model=model, status="spare") for i in range(750)],
        batch_size=2000,
    )
    baseline_insert = time.perf_counter() - start
    print(
        f"import_devices {result.created} rows: {import_seconds:.2f}s "
        f"(baseline bulk_create of the same rows, no CSV: {baseline_insert:.2f}s); "
        f"re-import unchanged ({again.updated} updated): {reimport_seconds:.2f}s"
    )

    # 2. The demo ledger, then the breakage report vs. raw SQL counts.
    Device.objects.all().delete()
    DeviceModel.objects.all().delete()
    start = time.perf_counter()
    demo.load(stdout=out)
    demo_seconds = time.perf_counter() - start
    print(f"demo load (25,704 devices, 487 events through the ledger service): {demo_seconds:.2f}s")

    def report():
        figures = selectors.breakage_figures(
            user=COMMAND_LINE, start=Month(2022, 4), end=Month(2022, 12)
        )
        reports.breakage_report(figures)

    def raw_counts():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.model_id, COUNT(*) FROM devices_deviceevent e "
                "JOIN devices_device d ON d.id = e.device_id "
                "WHERE e.kind IN ('breakage', 'failure') AND e.date BETWEEN %s AND %s "
                "GROUP BY d.model_id",
                ["2022-04-01", "2022-12-31"],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT model_id, COUNT(*) FROM devices_device WHERE status = 'spare' GROUP BY model_id"
            )
            cursor.fetchall()

    def full_scan():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM devices_device")
            cursor.fetchall()

    print(
        f"breakage report 2022-04..2022-12: {best_of(report) * 1000:.1f} ms "
        f"(baseline raw SQL incident + spare counts: {best_of(raw_counts) * 1000:.1f} ms; "
        f"COUNT(*) of all devices: {best_of(full_scan) * 1000:.1f} ms)"
    )
    rates = best_of(
        lambda: selectors.school_model_rates(
            user=COMMAND_LINE, start=Month(2022, 4), end=Month(2022, 12)
        )
    )
    forecast = best_of(lambda: selectors.forecasts(user=COMMAND_LINE))
    print(f"rates by school: {rates * 1000:.1f} ms; forecast: {forecast * 1000:.1f} ms")


if __name__ == "__main__":
    main()
