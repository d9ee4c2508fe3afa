"""The demo's ICT survey reproduces the committee papers' tables exactly, from
generated answers imported through the real importer; the tablet-use survey has its
four groups and four themes."""

import csv
import io
import re
import unicodedata
from pathlib import Path

import pytest
from django.core.management import call_command

from gigaportal import demo as portal_demo
from gigaportal.models import ImportBatch
from surveys import demo
from surveys.models import Kind, Question, Response, Survey, TextAnswer

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_3ee138903101a49b.txt"

# The papers' tables (資料6), as printed there.
CATEGORIES = {"校務での利用": 124, "授業での利用": 64, "家庭との連携": 145, "その他": 7}
APPLICATIONS = {"Google": 215, "C4th": 23, "ミライシード": 14, "Microsoft": 8, "その他": 80}
GOOGLE_APPS = {
    "フォーム": 102,
    "クラスルーム": 77,
    "ドライブ": 12,
    "ミート": 7,
    "カレンダー": 5,
    "ジャムボード": 4,
    "スライド": 2,
    "スプレッドシート": 2,
    "メール": 1,
    "チャット": 1,
    "サイト": 1,
    "その他": 1,
}
TOP_TEN = [
    ("児童生徒健康観察、欠席連絡電子化", 51),
    ("分割ネットワークの見直し、クラウド化、ゼロトラスト", 48),
    ("校務外部系ネットワーク（メール）セキュリティと使い勝手のバランス見直し", 38),
    ("各種書類の電子化ペーパーレス", 38),
    ("校務支援システムのデータ連携", 29),
    ("学習者用端末の教員への配備", 23),
    ("預り金関係事務の改善（システム化、電子マネー活用等）", 23),
    ("ログイン認証仕様変更（顔認証改善、ログイン負担の軽減）", 22),
    ("ICT関係サポートスタッフの拡充", 22),
    ("教材書式、各種事務書式等の教職員間の共有", 22),
    ("その他", 404),
]


@pytest.fixture
def loaded(db):
    out = io.StringIO()
    portal_demo.load(stdout=out)
    demo.load(stdout=out)
    return out.getvalue()


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def tally(*args) -> list[dict]:
    out = io.StringIO()
    call_command(
        "survey_report", "tally", "--survey", demo.ICT_SLUG, *args, "--format", "csv", stdout=out
    )
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def table(rows, question) -> dict[str, int]:
    return {r["option"]: int(r["count"]) for r in rows if r["question"] == question}


def test_the_tally_prints_the_papers_category_application_and_google_app_tables(loaded):
    rows = tally()
    assert {r["group"] for r in rows} == {"教職員"}
    assert table(rows, demo.Q_CATEGORY) == CATEGORIES
    assert list(table(rows, demo.Q_CATEGORY)) == list(CATEGORIES)  # the papers' order
    assert table(rows, demo.Q_APP) == APPLICATIONS
    assert table(rows, demo.Q_GOOGLE) == GOOGLE_APPS
    assert sum(CATEGORIES.values()) == sum(APPLICATIONS.values()) == 340
    assert Response.objects.filter(survey__slug=demo.ICT_SLUG).count() == 935


def test_top_ten_prints_the_papers_ten_requests_and_the_rest_as_other_404(loaded):
    rows = tally("--top", "10")
    requests = [(r["option"], int(r["count"])) for r in rows if r["question"] == demo.Q_REQUEST]
    assert requests == TOP_TEN
    assert sum(count for _name, count in requests) == 720
    # The other tables are not changed by --top 10, except the Google apps' twelve.
    assert table(rows, demo.Q_CATEGORY) == CATEGORIES


def test_the_figures_are_the_seed_texts_own(loaded):
    """The expected tables above are the seed's, not copied from the demo."""
    if not SEED.exists():
        pytest.skip("the seed text is not next to this checkout")
    text = SEED.read_text(encoding="utf-8")
    for name, count in TOP_TEN[:-1]:
        first_words = re.sub(r"[（(].*$", "", name).replace("ICT", "ＩＣＴ")[:8]
        assert first_words in text.replace("\n", ""), name
        assert str(count) in text
    assert "その他 404" in text and "合計意見数 720" in text
    for name, count in GOOGLE_APPS.items():
        assert f"{name} {count}" in text


def test_the_requests_were_coded_through_the_codebook_and_the_practices_wait_for_coding(loaded):
    survey = Survey.objects.get(slug=demo.ICT_SLUG)
    requests = Question.objects.get(survey=survey, text=demo.Q_REQUEST)
    assert requests.kind == Kind.FREE_TEXT
    assert not TextAnswer.objects.filter(question=requests, code__isnull=True).exists()
    practices = Question.objects.get(survey=survey, text=demo.Q_PRACTICE)
    assert TextAnswer.objects.filter(question=practices, code__isnull=True).count() == 340
    assert practices.options.count() == len(demo.PRACTICE_CODES)
    assert survey.target_population == 2100
    assert ImportBatch.objects.filter(status=ImportBatch.Status.DONE).count() == 5


def test_the_tablet_survey_has_four_groups_on_four_themes(loaded):
    survey = Survey.objects.get(slug=demo.TABLET_SLUG)
    assert list(survey.groups.values_list("name", flat=True)) == [
        "小学生",
        "中学生",
        "教職員",
        "保護者",
    ]
    rows = list(
        Question.objects.filter(survey=survey, kind=Kind.GRID_ROW).values_list(
            "grid_title", "grid_row"
        )
    )
    # Compared in NFKC, as the import keeps the question texts.
    effect_rows = {row for title, row in rows if title == nfkc(demo.EFFECT)}
    assert effect_rows == {nfkc(theme) for theme in demo.THEMES}
    assert Question.objects.filter(survey=survey, is_scale=True).count() >= 12
    counts = {g.name: Response.objects.filter(group=g).count() for g in survey.groups.all()}
    assert counts == demo.SIZES
    # The parents' Forms download: 午前/午後 GMT+9 times and ";" checkboxes read right.
    care = Question.objects.get(survey=survey, text__startswith="家庭でタブレットを使うときに")
    assert care.multiple and care.options.count() == 4


def test_a_second_run_changes_nothing(loaded):
    before = (Response.objects.count(), ImportBatch.objects.count())
    out = io.StringIO()
    demo.load(stdout=out)
    assert (Response.objects.count(), ImportBatch.objects.count()) == before
    assert "already" in out.getvalue()
