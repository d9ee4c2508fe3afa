"""The Google Forms response sheet the survey benchmarks import (surveys_import.py,
import_memory.py): a timestamp and 30 questions (the school, 24 scale grid rows, 2
checkbox questions, a choice, a number, free text for three in ten), every timestamp
its own. No Django here: the scripts that use it set Django up themselves."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from typing import TextIO

AGREE = ("とてもそう思う", "そう思う", "あまりそう思わない", "そう思わない")
OFTEN = ("ほぼ毎日", "週に数回", "月に数回", "ほとんど使わない")
SUBJECTS = ("国語", "算数・数学", "理科", "社会", "外国語", "図工, 音楽の教材")
APPS = ("ミライシード", "Google", "ロイロノート", "Teams")
THEMES = ("インターネット検索", "画像や動画", "個別最適化", "協働的な学習", "デジタル配信", "回収")
GRIDS = ("効果があると思いますか", "学校での利用", "家での利用", "省力化")
HEADER = [
    "タイムスタンプ",
    "学校名",
    *(f"{grid} [{theme}]" for grid in GRIDS for theme in THEMES),
    "よく使う教科（複数回答可）",
    "使うアプリ（複数回答可）",
    "学年",
    "1日の利用時間（分）",
    "ご意見があればお書きください",
]
QUESTIONS = len(HEADER) - 1
START = dt.datetime(2022, 11, 7, 8)


def response_row(n: int, school: str, rng: random.Random) -> list[str]:
    """The n-th response (7 seconds after the one before) from `school`."""
    moment = START + dt.timedelta(seconds=n * 7)
    row = [
        f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment:%M:%S}",
        school,
    ]
    for scale in (AGREE, OFTEN, OFTEN, AGREE):
        row += [rng.choice(scale) for _ in THEMES]
    row.append(", ".join(rng.sample(SUBJECTS, rng.randint(1, 3))))
    row.append(", ".join(rng.sample(APPS, rng.randint(1, 2))))
    row += [f"{rng.randint(1, 6)}年", str(rng.randint(0, 240))]
    row.append(f"意見{rng.randrange(50_000)}：家でも使いたいです。" if rng.random() < 0.3 else "")
    return row


def write_sheet(
    out: TextIO,
    schools: Sequence[str],
    rng: random.Random,
    *,
    responses: int | None = None,
    until_bytes: int | None = None,
) -> int:
    """Writes the sheet to `out` (a text file opened with newline=""): `responses`
    rows, or rows until the file reaches `until_bytes`. Returns the rows written."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    n = 0
    while (responses is None or n < responses) and (
        until_bytes is None or out.tell() < until_bytes
    ):
        writer.writerow(response_row(n, rng.choice(schools), rng))
        n += 1
    return n
