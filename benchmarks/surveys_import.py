"""Survey benchmark: import a Google Forms export of 100,000 responses × 30 questions
(as `manage.py import_survey` runs it: an import batch) and tally it (the registered
report the page and the command print), next to pandas reading the same file and
counting each column with value_counts, measured in the same run. Everything happens
on a scratch database (<name>_bench, created and dropped here).

    DATABASE_URL=postgres://... SECRET_KEY=x python benchmarks/surveys_import.py [--responses 100000]
"""

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
# The file (61 MB) is over the 50 MB a survey import accepts by default: lifted here.
os.environ.setdefault("IMPORT_MAX_MB_SURVEY_RESPONSES", "100000")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402

from gigaportal import imports, reports  # noqa: E402
from gigaportal.models import School  # noqa: E402
from gigaportal.scope import COMMAND_LINE  # noqa: E402
from surveys import services  # noqa: E402
from surveys.models import Answer, Response, TextAnswer  # noqa: E402

AGREE = ("とてもそう思う", "そう思う", "あまりそう思わない", "そう思わない")
OFTEN = ("ほぼ毎日", "週に数回", "月に数回", "ほとんど使わない")
SUBJECTS = ("国語", "算数・数学", "理科", "社会", "外国語", "図工, 音楽の教材")
THEMES = ("インターネット検索", "画像や動画", "個別最適化", "協働的な学習", "デジタル配信", "回収")


def export(path: Path, responses: int, schools: list[str], rng: random.Random) -> int:
    """A response sheet saved as CSV: a timestamp and 30 questions (the school, 24
    scale grid rows, 2 checkbox questions, a choice, a number, a free-text one)."""
    header = ["タイムスタンプ", "学校名"]
    header += [f"効果があると思いますか [{t}]" for t in THEMES]
    header += [f"学校での利用 [{t}]" for t in THEMES]
    header += [f"家での利用 [{t}]" for t in THEMES]
    header += [f"省力化 [{t}]" for t in THEMES]
    header += [
        "よく使う教科（複数回答可）",
        "使うアプリ（複数回答可）",
        "学年",
        "1日の利用時間（分）",
    ]
    header += ["ご意見があればお書きください"]
    start = dt.datetime(2022, 11, 7, 8)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for n in range(responses):
            moment = start + dt.timedelta(seconds=n * 7)
            row = [
                f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}:{moment.second:02d}",
                rng.choice(schools),
            ]
            row += [rng.choice(AGREE) for _ in THEMES]
            row += [rng.choice(OFTEN) for _ in THEMES]
            row += [rng.choice(OFTEN) for _ in THEMES]
            row += [rng.choice(AGREE) for _ in THEMES]
            row.append(", ".join(rng.sample(SUBJECTS, rng.randint(1, 3))))
            row.append(
                ", ".join(
                    rng.sample(
                        ("ミライシード", "Google", "ロイロノート", "Teams"), rng.randint(1, 2)
                    )
                )
            )
            row.append(f"{rng.randint(1, 6)}年")
            row.append(str(rng.randint(0, 240)))
            row.append(
                f"意見{rng.randrange(50_000)}：家でも使いたいです。" if rng.random() < 0.3 else ""
            )
            writer.writerow(row)
    return len(header) - 1


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def pandas_baseline(path: Path) -> tuple[float, float]:
    """pandas reading the file and counting every column's values."""
    import pandas as pd

    frame, t_read = timed(lambda: pd.read_csv(path, dtype=str, keep_default_na=False))
    _, t_count = timed(lambda: [frame[c].value_counts() for c in frame.columns])
    return t_read, t_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(1)
    School.objects.bulk_create(
        [School(code=f"BM{i:03d}", name=f"計測{i}小学校", kind="elementary") for i in range(70)]
    )
    schools = list(School.objects.values_list("name", flat=True))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        questions = export(path, args.responses, schools, rng)
        size = path.stat().st_size
        print(
            f"{connection.vendor}: {args.responses:,} responses × {questions} questions, "
            f"{size / 1e6:.0f} MB"
        )

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with path.open("rb") as binary:
            batch, t_import = timed(
                lambda: imports.batch_import(
                    kind=services.IMPORT_KIND,
                    file=binary,
                    by=COMMAND_LINE,
                    name=path.name,
                    options={"survey": "bench", "group": "小学生", "file_name": path.name},
                )
            )
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert batch.status == "done", batch.errors[:5]
        answers = Answer.objects.count() + TextAnswer.objects.count()
        print(
            f"import: {t_import:.1f} s ({args.responses / t_import:,.0f} responses/s, "
            f"{answers:,} answer rows, peak memory +{grown:.0f} MB)"
        )

        spec = reports.get("surveys.tally")
        settings.DEBUG = True  # count the queries
        reset_queries()
        report, t_tally = timed(lambda: spec.run(user=COMMAND_LINE, survey="bench"))
        tally_queries = len(connection.queries)
        settings.DEBUG = False
        _, t_top = timed(lambda: spec.run(user=COMMAND_LINE, survey="bench", top=3))
        school = School.objects.first()
        _, t_school = timed(lambda: spec.run(user=COMMAND_LINE, survey="bench", school=school.pk))
        print(
            f"tally: {t_tally * 1000:.0f} ms in {tally_queries} queries ({len(report.rows)} rows); "
            f"top 3: {t_top * 1000:.0f} ms; one school beside the city: {t_school * 1000:.0f} ms"
        )

        t_read, t_count = pandas_baseline(path)
        print(
            f"baseline pandas: read_csv {t_read:.1f} s + value_counts of every column "
            f"{t_count * 1000:.0f} ms = {t_read + t_count:.1f} s "
            f"(import ÷ pandas read {t_import / t_read:.1f}x; tally ÷ value_counts "
            f"{t_tally / t_count:.1f}x)"
        )
        # The import stores what pandas only counts: responses, answers and options a
        # page can tally, cross-tabulate and code, checkboxes split at their options.
        assert Response.objects.count() == args.responses


def on_scratch_database() -> None:
    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


if __name__ == "__main__":
    on_scratch_database()
