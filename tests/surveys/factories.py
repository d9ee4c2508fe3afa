"""Google Forms exports for tests, and a helper that imports one the way the page and
the command do (an import batch)."""

from __future__ import annotations

import csv
import io

from gigaportal import imports
from gigaportal.models import ImportBatch
from gigaportal.scope import COMMAND_LINE
from surveys import services

EFFECT = "タブレットは学習に役立つと思いますか"
SUBJECTS = "よく使う教科（複数回答可）"
GRID = "どのくらい使っていますか"
OPINION = "ご意見があればお書きください"


def sheet_csv(header, rows, *, encoding="utf-8") -> bytes:
    """A response sheet saved as CSV (Google Sheets quotes every cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def pupils_export(school_names, *, per_school=None, opinions=None) -> bytes:
    """A small pupils' form: timestamp, school, a Likert scale, checkboxes, a grid row
    and free text. `per_school` gives each school's number of rows (default 6)."""
    scale = ["とてもそう思う", "そう思う", "あまりそう思わない", "そう思わない"]
    subjects = ["国語", "算数", "理科", "国語, 算数", "算数, 理科", "国語, 理科"]
    often = ["よく使う", "ときどき使う", "あまり使わない", "まったく使わない"]
    header = [
        "タイムスタンプ",
        "学校名",
        EFFECT,
        SUBJECTS,
        f"{GRID} [インターネット検索]",
        f"{GRID} [動画]",
        OPINION,
    ]
    rows = []
    counts = per_school or [6] * len(school_names)
    n = 0
    for school, count in zip(school_names, counts, strict=True):
        for _ in range(count):
            opinion = (opinions or {}).get(n, "")
            rows.append(
                [
                    f"2022/11/{1 + n % 28} {8 + n % 10}:{n % 60:02d}:03",
                    school,
                    scale[n % 4],
                    subjects[n % 6],
                    often[n % 4],
                    often[(n + 1) % 4],
                    opinion,
                ]
            )
            n += 1
    return sheet_csv(header, rows)


def import_export(
    data: bytes, *, survey: str, group: str = "", by=COMMAND_LINE, name="export.csv", **options
) -> ImportBatch:
    return imports.batch_import(
        kind=services.IMPORT_KIND,
        file=io.BytesIO(data),
        by=by,
        name=name,
        options={"survey": survey, "group": group, "file_name": name, **options},
    )
