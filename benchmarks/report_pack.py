"""The committee report pack's time beside the time to render the same reports' pages,
in one run, on the demo (and with --prefecture, with the carrier file of a prefecture:
300,000 lines for January to July 2022 imported over the demo's usage of those months;
the later months are evaluated and so cannot be replaced).

    DATABASE_URL=postgres://… python benchmarks/report_pack.py [--prefecture]

On a scratch database (<name>_bench, created and dropped here):
- the baseline: every report page the pack holds, rendered by the portal (GET as the
  leader, the same periods), one after another;
- the pack's three phases: reading the registered reports, writing the PDF, writing
  the workbook; and the dashboard's month (cold cache), with its query count.
Best of three; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("HTTPS", "false")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

# The report pages of the pack for 令和4年度 up to December 2022 (as dashboard.pack reads them).
PAGES = [
    "/support/reports/terms/?fy=2022",
    "/devices/breakage/?fy=2022",
    "/traffic/?from=2022-01&to=2022-12",
    "/traffic/flow/?from=2022-04&to=2022-12",
    "/surveys/scales/?survey=tablet-use-2022",
    "/surveys/results/?survey=ict-efficiency-2022",
    "/surveys/top/?survey=ict-efficiency-2022&n=10",
    "/security/topics/?fy=2022",
    "/security/revision/?on=2022-12-31",
    "/security/charts/committee/?on=2022-12-31",
    "/security/charts/security/?on=2022-12-31",
]


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefecture", action="store_true", help="300,000 lines × 7 months")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    base_name = settings.DATABASES["default"]["NAME"]
    if connection.vendor == "postgresql":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(prefecture=args.prefecture)
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


def run(*, prefecture: bool) -> int:
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.utils import translation

    from dashboard import pack, selectors
    from gigaportal.calendar import Month
    from gigaportal.models import User
    from gigaportal.reports.pdf import pdf_bytes
    from gigaportal.reports.workbook import pack_xlsx_bytes
    from gigaportal.scope import COMMAND_LINE

    print(f"database: {connection.vendor}", flush=True)
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    data = "demo"
    if prefecture:
        data = _import_prefecture()
    print(f"data: {data}", flush=True)

    leader = User.objects.get(username="leader")
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(leader)
    pages = PAGES

    def render_pages():
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

    baseline, _ = best_of(render_pages)
    print(f"baseline: {len(pages)} report pages rendered: {baseline:7.2f} s", flush=True)

    translation.activate("ja")
    end = Month(2022, 12)
    read, sections = best_of(lambda: pack.sections(user=COMMAND_LINE, fiscal_year=2022, end=end))
    pdf_time, pdf = best_of(
        lambda: pdf_bytes(
            sections, title="委員会資料", period_label="令和4年度", as_of=dt.date(2022, 12, 31)
        )
    )
    xlsx_time, xlsx = best_of(lambda: pack_xlsx_bytes(sections))
    total = read + pdf_time + xlsx_time
    print(f"pack: reading {len(sections)} reports:   {read:7.2f} s", flush=True)
    print(f"pack: PDF ({len(pdf) / 1024:,.0f} KB):          {pdf_time:7.2f} s", flush=True)
    print(f"pack: Excel ({len(xlsx) / 1024:,.0f} KB):        {xlsx_time:7.2f} s", flush=True)
    print(f"pack: total {total:7.2f} s = {total / baseline:.2f} × the pages' time", flush=True)

    months = selectors.months_with_records(user=leader)

    def dashboard():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            selectors.monthly(user=leader, month=end, months=months)
        return len(queries)

    seconds, queries = best_of(dashboard)
    print(f"dashboard 2022-12 (cold cache): {seconds:7.3f} s, {queries} queries", flush=True)
    return 0


def _import_prefecture() -> str:
    """The carrier's file for 300,000 lines, generated as benchmarks/traffic_import.py
    does, imported as `manage.py import_traffic` imports it. Only January to July
    2022: the demo's evaluated months (from September) and the month before them may
    not be replaced, by design."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import traffic_import

    from gigaportal import imports
    from gigaportal.models import School
    from gigaportal.scope import COMMAND_LINE

    School.objects.bulk_create(
        School(code=f"B{i:03d}", name=f"ベンチ{i}小学校", kind=School.Kind.ELEMENTARY)
        for i in range(traffic_import.SCHOOLS)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.csv"
        traffic_import.MONTHS = [f"2022-{m:02d}" for m in range(1, 8)]
        rows = traffic_import.write_csv(path, 300_000)
        start = time.perf_counter()
        with path.open("rb") as binary:
            batch = imports.batch_import(kind="traffic_usage", file=binary, by=COMMAND_LINE)
        assert batch.status == "done", batch.errors
    return (
        f"demo + 300,000 lines × 7 months, 2022-01..07 ({rows:,} rows, imported in "
        f"{time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
