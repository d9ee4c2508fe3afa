r"""Import speed of the carrier CSV against a raw COPY of the same file, in one run.

    DATABASE_URL=postgres://… python benchmarks/traffic_import.py [--prefecture]
        [--repeat N] [--no-large] [--profile]

Generates 25,000 lines × 12 months (with --prefecture 300,000 × 12) as a CSV, then
measures on a scratch database (<name>_bench, created and dropped here), `--repeat`
times interleaved (medians printed; each import after the first replaces the year):
- a raw `COPY … FROM STDIN (FORMAT csv)` of the same bytes into a bare table: the
  floor nothing can beat;
- psql's `\copy` of the file into a table with a unique (line, month) index and a
  month index, the whole command timed (psql's start included): the baseline of
  issue 14 (target: the import ≤ 1.5× it);
- the import in-process (an import batch as `import_traffic` runs it) and the whole
  `manage.py import_traffic` command (Python and Django start included);
- the time to re-import one month, and the time and SQL queries to evaluate one;
- unless --no-large: replacing one month (300,000 rows) in a usage table of
  300,000 lines × 12 months (3.6M rows), the partition swap against the old
  `DELETE` + `INSERT` on a plain table with the same rows and indexes, and the whole
  in-process import of that month's file (issue 14's target: ≤ 1 s).
- the floor of any import that checks each row in SQL (floor_seconds: COPY of the
  bytes, one typed INSERT of the rows passing the least check of each cell, the two
  indexes of the stored rows; no line ids, coverage or totals)
  for the year and for the large month, against what the targets leave the import
  (the year: 1.5 × psql `\copy` less the command's start-up on a one-row file).
With --profile, each import's slowest SQL statements and the SQL time by kind.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("HTTPS", "false")
# Deliveries are not measured here; without a broker they would run in-process.
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SCHOOLS = 70
MONTHS = [f"2022-{m:02d}" for m in range(1, 13)]


PROFILE = False  # --profile: each import's slowest SQL statements


class StatementTimes:
    """With --profile, times every SQL statement run inside it and prints the slowest."""

    def __init__(self, label: str):
        self.label = label
        self.times: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((time.perf_counter() - start, " ".join(str(sql).split())))

    def __enter__(self):
        if PROFILE:
            self._wrapper = connection.execute_wrapper(self)
            self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        if not PROFILE:
            return
        self._wrapper.__exit__(*exc)
        total = sum(seconds for seconds, _sql in self.times)
        print(f"  SQL of {self.label}: {len(self.times)} statements, {total:.2f} s", flush=True)
        for seconds, sql in sorted(self.times, reverse=True)[:15]:
            print(f"    {seconds:6.3f} s  {sql[:150]}", flush=True)
        kinds: dict[str, list[float]] = {}
        for seconds, sql in self.times:
            kinds.setdefault(" ".join(sql.split()[:2]), []).append(seconds)
        print(
            "    by kind: "
            + ", ".join(
                f"{kind} {len(times)}× {sum(times):.2f} s"
                for kind, times in sorted(kinds.items(), key=lambda item: -sum(item[1]))
            ),
            flush=True,
        )


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, lines: int) -> int:
    rng = random.Random(1)
    heavy = set(rng.sample(range(lines), max(lines // 1000, 10)))
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("回線番号,利用月,データ通信量(GB),学校コード\n")
        for month in MONTHS:
            for i in range(lines):
                gb = rng.uniform(150, 320) if i in heavy else rng.lognormvariate(0.5, 1.0)
                out.write(
                    f"070-{i // 10000:04d}-{i % 10000:04d},{month},{gb:,.2f},B{i % SCHOOLS:03d}\n"
                )
                rows += 1
    return rows


def variant(path: Path, number: int) -> Path:
    """A copy of the file with `number` + 1 blank lines after its last row."""
    own = path.with_name(f"usage-{number}.csv")
    with path.open("rb") as src, own.open("wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.write(b"\n" * (number + 1))
    return own


def raw_copy(path: Path) -> float:
    """The same bytes, raw COPY into a bare table: the floor."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_bare (line text, month text, usage text, school text)"
        )
        start = time.perf_counter()
        with (
            path.open("rb") as binary,
            cursor.copy("COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := binary.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_bare")
    return seconds


# The least a check of each cell costs in SQL: a line in its stored 3-4-4 form of
# digits, a month among the file's spellings, a plain decimal of bounded length, an
# ASCII school code. The import's own checks do more (other line spellings, NFKC
# forms, digit counts); these are the cheapest that still look at every cell.
FLOOR_CHECKS = (
    "r.line LIKE '___-____-____' AND r.line !~ '[^0-9-]'"
    " AND r.usage ~ '^[0-9]+(\\.[0-9]+)?$' AND length(r.usage) < 14"
    " AND r.school !~ '[^!-~]'"
)


def floor_seconds(path: Path) -> dict[str, float]:
    """The floor of any import that checks each row in SQL before it keeps it, on the
    same file, by part: the COPY of its bytes into a raw table; one INSERT of the
    typed rows that pass the least checks of each cell (FLOOR_CHECKS) into a table
    with no index; the two indexes the stored rows need (unique (line, month), and
    the evaluation's (usage_mb, month)), built on the whole table at once. Nothing
    else an import does (line ids, months, coverage, totals) is in it. Rolled back."""
    with path.open("rb") as binary:
        header = binary.readline()
    with_school = header.count(b",") >= 3
    school = "c3" if with_school else "''::text"
    cells = "c0, c1, c2" + (", c3" if with_school else "")
    parts: dict[str, float] = {}

    def timed_sql(part: str, sql: str) -> None:
        start = time.perf_counter()
        cursor.execute(sql)
        parts[part] = parts.get(part, 0.0) + time.perf_counter() - start

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("CREATE TEMP TABLE floor_raw (c0 text, c1 text, c2 text, c3 text)")
        start = time.perf_counter()
        with (
            path.open("rb") as binary,
            cursor.copy(f"COPY floor_raw ({cells}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := binary.read(1 << 20):
                copy.write(chunk)
        parts["COPY"] = time.perf_counter() - start
        cursor.execute(
            "CREATE TEMP VIEW floor_rows AS SELECT c0 AS line, c1 AS month, c2 AS usage,"
            f" {school} AS school FROM floor_raw"
        )
        cursor.execute(
            "CREATE TEMP TABLE floor_months AS SELECT DISTINCT c1 AS spelling,"
            " (c1 || '-01')::date AS day FROM floor_raw"
        )
        cursor.execute(
            "CREATE TEMP TABLE floor_typed (line varchar(20), month date,"
            " usage_mb numeric(14, 3), school varchar(20))"
        )
        timed_sql(
            "checked typed INSERT",
            "INSERT INTO floor_typed SELECT r.line, m.day, r.usage::numeric * 1024, r.school"
            f" FROM floor_rows r JOIN floor_months m ON m.spelling = r.month WHERE {FLOOR_CHECKS}",
        )
        timed_sql("two indexes", 'CREATE UNIQUE INDEX ON floor_typed (line COLLATE "C", month)')
        timed_sql("two indexes", "CREATE INDEX ON floor_typed (usage_mb, month)")
        transaction.set_rollback(True)
    return parts


def print_floor(path: Path, label: str, budget: float, budget_text: str) -> None:
    parts = floor_seconds(path)
    floor = sum(parts.values())
    print(
        f"floor of an import that checks every row in SQL, {label}: "
        + " + ".join(f"{part} {seconds:.2f} s" for part, seconds in parts.items())
        + f" = {floor:.2f} s, against {budget_text} {budget:.2f} s"
        f" ({'within it' if floor <= budget else 'over it'}; the import also turns line"
        " numbers into line ids, records each month's coverage and sums its totals)",
        flush=True,
    )


def _database() -> dict:
    return connection.settings_dict


def psql_copy(path: Path) -> float:
    """psql `\\copy` of the file into a table with a unique (line, month) index and a
    month index: the whole command, as an operator would type it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_indexed")
        cursor.execute(
            "CREATE TABLE bench_indexed (line text NOT NULL, month text NOT NULL,"
            " usage numeric NOT NULL, school text, UNIQUE (line, month))"
        )
        cursor.execute("CREATE INDEX bench_indexed_month ON bench_indexed (month)")
    db = _database()
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db["NAME"]]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    command += ["-c", f"\\copy bench_indexed FROM '{path}' (FORMAT csv, HEADER true)"]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_indexed")
    return seconds


def import_command(path: Path) -> float:
    """`manage.py import_traffic` on the file, the whole command (a new process)."""
    db = _database()
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    root = Path(__file__).resolve().parent.parent
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "import_traffic", str(path)],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


LARGE_LINES = 300_000
LARGE_MONTHS = [f"2021-{m:02d}-01" for m in range(1, 13)]


def replace_in_large_table() -> None:
    """One month (300,000 rows) replaced in a usage table of 3.6M rows: the partition
    swap against the old DELETE + INSERT on a plain table holding the same rows."""
    import datetime as dt

    from traffic.services import usage_import
    from traffic.services.partitions import months_replace

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO traffic_line (number, school_id) SELECT"
            " '070-5' || lpad((i / 10000)::text, 3, '0') || '-' || lpad((i %% 10000)::text, 4, '0'),"
            " NULL FROM generate_series(0, %s) i",
            [LARGE_LINES - 1],
        )
        months_replace(
            cursor,
            [dt.date.fromisoformat(month) for month in LARGE_MONTHS],
            "SELECT l.id, m.day, round((random() * 4096)::numeric, 3) FROM traffic_line l"
            f" CROSS JOIN unnest('{{{','.join(LARGE_MONTHS)}}}'::date[]) m(day)"
            " WHERE l.number LIKE '070-5%'",
        )
        # The same rows in a plain table with the old indexes, for the old way.
        cursor.execute(
            "CREATE TABLE bench_plain AS SELECT u.id, u.month, u.usage_mb, u.line_id"
            " FROM traffic_monthlyusage u WHERE u.month < '2022-01-01'"
        )
        cursor.execute("ALTER TABLE bench_plain ADD PRIMARY KEY (id)")
        cursor.execute("ALTER TABLE bench_plain ADD UNIQUE (line_id, month)")
        cursor.execute("CREATE INDEX bench_plain_month_mb ON bench_plain (month, usage_mb)")
        cursor.execute("ANALYZE")
    cursor = connection.cursor()
    cursor.execute("SELECT COUNT(*) FROM bench_plain")
    total = cursor.fetchone()[0]
    print(
        f"large table: {LARGE_LINES:,} lines × 12 months = {total:,} rows "
        f"(made in {time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    day = dt.date(2021, 6, 1)
    new_rows = (
        f"SELECT l.id, '{day.isoformat()}'::date, round((random() * 4096)::numeric, 3)"
        " FROM traffic_line l WHERE l.number LIKE '070-5%'"
    )
    old_runs, swap_runs = [], []
    for _attempt in range(3):
        with transaction.atomic():
            start = time.perf_counter()
            cursor.execute("DELETE FROM bench_plain WHERE month = %s", [day])
            cursor.execute(
                f"INSERT INTO bench_plain (id, line_id, month, usage_mb)"
                f" SELECT nextval('traffic_monthlyusage_id_seq'), n.* FROM ({new_rows}) n"
            )
            old_runs.append(time.perf_counter() - start)
        with transaction.atomic():
            start = time.perf_counter()
            months_replace(cursor, [day], new_rows)
            swap_runs.append(time.perf_counter() - start)
    print(
        f"replace one month ({LARGE_LINES:,} rows) in {total:,}, SQL only, median of 3:"
        f" DELETE + INSERT (plain table, the old way) {statistics.median(old_runs):.2f} s,"
        f" partition swap {statistics.median(swap_runs):.2f} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "june.csv"
        rng = random.Random(6)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("回線番号,利用月,データ通信量(GB)\n")
            for i in range(LARGE_LINES):
                out.write(
                    f"070-5{i // 10000:03d}-{i % 10000:04d},2021-06,{rng.lognormvariate(0.5, 1.0):.2f}\n"
                )
        print_floor(path, f"one month of {LARGE_LINES:,} rows", 1.0, "the target")
        runs = []
        for _attempt in range(3):
            start = time.perf_counter()
            with path.open("rb") as binary, StatementTimes("the one-month re-import in 3.6M"):
                result = usage_import(file=binary)
            runs.append(time.perf_counter() - start)
            assert result.created == LARGE_LINES
        median = statistics.median(runs)
        print(
            f"replace one month in the {total:,}-row table, in-process: the whole import of"
            f" its file ({LARGE_LINES:,} rows) median {median:.2f} s"
            f" ({', '.join(f'{run:.2f}' for run in runs)}); issue 14: ≤ 1 s,"
            f" {'met' if median <= 1 else 'not met'}",
            flush=True,
        )
    cursor.execute("DROP TABLE bench_plain")
    cursor.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefecture", action="store_true", help="300,000 lines × 12 months")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs (medians)")
    parser.add_argument("--no-large", action="store_true", help="skip the 3.6M-row table")
    parser.add_argument("--profile", action="store_true", help="print the slowest SQL")
    args, _unknown = parser.parse_known_args()
    global PROFILE
    PROFILE = args.profile
    lines = 300_000 if args.prefecture else 25_000
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; figures are for the SQLite path", flush=True)

    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        status = run(lines, max(args.repeat, 1))
        if not args.no_large and connection.vendor == "postgresql":
            replace_in_large_table()
        return status
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


def run(lines: int, repeat: int) -> int:
    from gigaportal import imports
    from gigaportal.calendar import Month
    from gigaportal.models import ImportBatch, ObjectChange, School
    from gigaportal.scope import COMMAND_LINE
    from traffic import services

    School.objects.bulk_create(
        School(code=f"B{i:03d}", name=f"ベンチ{i}小学校", kind=School.Kind.ELEMENTARY)
        for i in range(SCHOOLS)
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.csv"
        start = time.perf_counter()
        rows = write_csv(path, lines)
        size_mb = path.stat().st_size / 1024 / 1024
        print(
            f"file: {lines:,} lines × 12 months = {rows:,} rows, {size_mb:.1f} MB "
            f"(written in {time.perf_counter() - start:.1f} s)",
            flush=True,
        )

        raw_runs, copy_runs, import_runs, command_runs = [], [], [], []
        rss_before = max_rss_mb()
        for attempt in range(repeat):
            raw_runs.append(raw_copy(path))
            if connection.vendor == "postgresql":
                copy_runs.append(psql_copy(path))
            # The whole import as `manage.py import_traffic` runs it: an import batch (the
            # file's SHA-256, the batch row and its one change-log entry) around the import.
            # A file imported before is "unchanged" (its SHA-256): each import gets its own
            # copy, told apart by blank lines after the last row (which the import skips).
            own = variant(path, 2 * attempt)
            start = time.perf_counter()
            with own.open("rb") as binary, StatementTimes(f"import {attempt + 1}"):
                batch = imports.batch_import(kind="traffic_usage", file=binary, by=COMMAND_LINE)
            import_runs.append(time.perf_counter() - start)
            assert batch.status == ImportBatch.Status.DONE and batch.created == rows, batch.errors
            if connection.vendor == "postgresql":
                command_runs.append(import_command(variant(path, 2 * attempt + 1)))
                latest = ImportBatch.objects.order_by("-pk").first()
                assert latest.status == ImportBatch.Status.DONE and latest.created == rows
            print(
                f"  run {attempt + 1}: raw COPY {raw_runs[-1]:.2f} s, psql \\copy "
                f"{copy_runs[-1] if copy_runs else float('nan'):.2f} s, import in-process "
                f"{import_runs[-1]:.2f} s, import_traffic command "
                f"{command_runs[-1] if command_runs else float('nan'):.2f} s",
                flush=True,
            )
        raw_seconds = statistics.median(raw_runs)
        import_seconds = statistics.median(import_runs)
        print(f"medians of {repeat} interleaved runs:", flush=True)
        print(
            f"raw COPY:      {raw_seconds:7.2f} s  {rows / raw_seconds:12,.0f} rows/s",
            flush=True,
        )
        if copy_runs:
            copy_seconds = statistics.median(copy_runs)
            command_seconds = statistics.median(command_runs)
            print(
                f"psql \\copy (unique (line, month) and month indexes, whole command): "
                f"{copy_seconds:7.2f} s  {rows / copy_seconds:12,.0f} rows/s",
                flush=True,
            )
        print(
            f"import in-process:{import_seconds:7.2f} s  {rows / import_seconds:12,.0f} rows/s  "
            f"(max RSS {max_rss_mb():.0f} MB; {max_rss_mb() - rss_before:+.0f} MB over the "
            "baseline phase)",
            flush=True,
        )
        if copy_runs:
            print(
                f"import_traffic command (whole, Python start included): {command_seconds:7.2f} s",
                flush=True,
            )
            ratio = command_seconds / copy_seconds
            print(
                f"ratio import/psql \\copy: {import_seconds / copy_seconds:.2f}× in-process, "
                f"{ratio:.2f}× the whole command (issue 14: ≤ 1.5× the whole command,"
                f" {'met' if ratio <= 1.5 else 'not met'})",
                flush=True,
            )
        print(f"ratio import/raw COPY: {import_seconds / raw_seconds:.2f}×", flush=True)
        if copy_runs:
            # The command's start-up: the same command on a file of one row (a month
            # after the year, so that no month of it changes).
            one_row = Path(tmp) / "one-row.csv"
            one_row.write_text(
                "回線番号,利用月,データ通信量(GB),学校コード\n070-0000-0000,2023-01,1.00,B000\n",
                encoding="utf-8",
            )
            startup = statistics.median(import_command(one_row) for _run in range(3))
            print(f"import_traffic on a one-row file (start-up): {startup:.2f} s", flush=True)
            print_floor(
                path,
                f"the {rows:,}-row file",
                1.5 * copy_seconds - startup,
                "the import's share of the target (1.5 × psql \\copy − start-up)",
            )
        with path.open("rb") as binary:
            digest_seconds = time.perf_counter()
            imports.file_digest(binary)
            digest_seconds = time.perf_counter() - digest_seconds
        print(
            f"  of which the file's SHA-256: {digest_seconds:.2f} s; change-log rows written: "
            f"{ObjectChange.objects.filter(action='import').count()} for {len(import_runs)} "
            f"in-process imports of {rows:,} rows",
            flush=True,
        )

        # Importing a month again replaces it: time one month's re-import.
        one_month = Path(tmp) / "month.csv"
        with path.open(encoding="utf-8") as src, one_month.open("w", encoding="utf-8") as dst:
            dst.write(src.readline())
            for line in src:
                if ",2022-12," in line:
                    dst.write(line)
        start = time.perf_counter()
        with one_month.open("rb") as binary, StatementTimes("the one-month re-import"):
            services.usage_import(file=binary)
        print(
            f"re-import of one month ({lines:,} rows, replacing it): {time.perf_counter() - start:.2f} s",
            flush=True,
        )

    # The policy comes after the imports, so that the months are not evaluated on
    # commit (in-process here) inside the import's timing.
    services.policy_set(by=COMMAND_LINE, effective_from=Month(2022, 9))
    services.evaluation_run(month=Month(2022, 9))
    # Inside an outer transaction, so delivery (queued on commit) is not timed.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        outcome = services.evaluation_run(month=Month(2022, 10))
        evaluation_seconds = time.perf_counter() - start
    print(
        f"evaluation of 2022-10 over {lines:,} lines: {evaluation_seconds:.3f} s, {len(queries)} queries "
        f"(opened {outcome.opened}, escalated {outcome.escalated}, improved {outcome.improved})",
        flush=True,
    )
    print(f"peak memory (max RSS of the whole process): {max_rss_mb():.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
