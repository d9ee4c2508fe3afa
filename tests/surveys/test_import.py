"""Importing Google Forms exports: both real export forms, .xlsx, encodings, the same
file twice, a group again, and files refused whole with a Japanese message."""

import datetime as dt
import io

import pytest
from django.utils import translation

from gigaportal.models import ImportBatch, ObjectChange
from surveys.models import (
    Answer,
    Kind,
    Question,
    RespondentGroup,
    Response,
    Survey,
    TextAnswer,
)
from tests.surveys.factories import (
    EFFECT,
    OPINION,
    import_export,
    pupils_export,
    sheet_csv,
)

pytestmark = pytest.mark.django_db
JST = dt.timezone(dt.timedelta(hours=9))


def options_of(text):
    return list(Question.objects.get(text=text).options.values_list("text", flat=True))


def ticks(text):
    question = Question.objects.get(text=text)
    return {
        o.text: Answer.objects.filter(question=question, option=o).count()
        for o in question.options.all()
    }


def test_the_first_import_creates_the_survey_with_its_questions_and_answers(school_a, school_b):
    batch = import_export(
        pupils_export([school_a.name, school_b.name]),
        survey="tablet",
        group="小学生",
        title="タブレット活用アンケート",
    )
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    survey = Survey.objects.get(slug="tablet")
    assert (survey.title, survey.fiscal_year) == ("タブレット活用アンケート", 2022)
    assert (survey.opens_on, survey.closes_on) == (dt.date(2022, 11, 1), dt.date(2022, 11, 12))
    kinds = dict(Question.objects.values_list("text", "kind"))
    assert kinds["タイムスタンプ"] == Kind.TIMESTAMP
    assert kinds["学校名"] == Kind.SCHOOL
    assert kinds[EFFECT] == Kind.CHOICE
    assert kinds["よく使う教科(複数回答可)"] == Kind.CHECKBOXES  # NFKC: （） → ()
    assert kinds["どのくらい使っていますか [インターネット検索]"] == Kind.GRID_ROW
    assert Question.objects.get(text=EFFECT).is_scale
    assert Response.objects.count() == 12
    assert Response.objects.filter(school=school_a).count() == 6
    first = Response.objects.get(row_number=2)
    assert first.submitted_at.astimezone(JST).replace(tzinfo=None) == dt.datetime(
        2022, 11, 1, 8, 0, 3
    )
    # "国語, 算数" is two ticks; each respondent ticks one to two subjects.
    assert ticks("よく使う教科(複数回答可)") == {"国語": 6, "算数": 6, "理科": 6}
    assert Answer.objects.filter(school=school_b).exists()


def test_the_import_is_one_change_log_entry_for_its_batch(school_a):
    batch = import_export(pupils_export([school_a.name]), survey="tablet", group="小学生")
    entries = ObjectChange.objects.all()
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.action, entry.object_id) == (ObjectChange.Action.IMPORT, str(batch.pk))


def test_the_header_is_kept_as_written_and_compared_in_nfkc(school_a):
    header = ["タイムスタンプ", "学校名", "所属（校種）", "ＩＣＴ支援員の訪問"]
    rows = [["2022/11/30 8:15:03", school_a.name, "小学校", "よかった"]] * 3
    import_export(sheet_csv(header, rows), survey="ict")
    question = Question.objects.get(position=4)
    assert question.header == "ＩＣＴ支援員の訪問"
    assert question.text == "ICT支援員の訪問"


def test_the_forms_download_with_gmt_and_semicolons_reads_the_same(school_a):
    header = ["タイムスタンプ", "学校名", "気をつけていること"]
    rows = [
        [
            "2022/11/30 8:15:03 午前 GMT+9",
            school_a.name,
            "使う時間を決めている;使う場所を決めている",
        ],
        ["2022/11/30 12:30:00 午後 GMT+9", school_a.name, "使う時間を決めている"],
        [
            "2022/11/30 7:41:40 午後 GMT+9",
            school_a.name,
            "使う場所を決めている;フィルタリングを設定している",
        ],
    ]
    batch = import_export(sheet_csv(header, rows), survey="parents", group="保護者")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    times = [r.submitted_at.astimezone(JST).time() for r in Response.objects.order_by("row_number")]
    assert times == [dt.time(8, 15, 3), dt.time(12, 30), dt.time(19, 41, 40)]
    assert ticks("気をつけていること") == {
        "使う時間を決めている": 2,
        "使う場所を決めている": 2,
        "フィルタリングを設定している": 1,
    }


def test_a_checkbox_option_holding_a_comma_is_not_split(school_a):
    header = ["タイムスタンプ", "学校名", "使ったもの"]
    rows = [
        ["2022/11/30 8:00:00", school_a.name, "図工, 音楽の教材"],
        ["2022/11/30 8:01:00", school_a.name, "国語"],
        ["2022/11/30 8:02:00", school_a.name, "国語, 図工, 音楽の教材"],
        ["2022/11/30 8:03:00", school_a.name, "図工, 音楽の教材, 理科"],
        ["2022/11/30 8:04:00", school_a.name, "理科"],
    ]
    import_export(sheet_csv(header, rows), survey="subjects")
    assert ticks("使ったもの") == {"図工, 音楽の教材": 3, "国語": 2, "理科": 2}


def test_an_xlsx_downloaded_from_sheets_imports_like_its_csv(school_a):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "フォームの回答 1"
    sheet.append(["タイムスタンプ", "学校名", EFFECT, "端末の台数"])
    for n in range(6):
        sheet.append(
            [
                dt.datetime(2022, 11, 30, 8, n, 3),
                school_a.name,
                ["そう思う", "そう思わない", "とてもそう思う"][n % 3],
                10 + n * 7,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = import_export(buffer.getvalue(), survey="xlsx", name="回答.xlsx")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert Response.objects.count() == 6
    assert Response.objects.get(row_number=3).submitted_at.astimezone(JST).replace(
        tzinfo=None
    ) == dt.datetime(2022, 11, 30, 8, 1, 3)
    assert ticks(EFFECT) == {"とてもそう思う": 2, "そう思う": 2, "そう思わない": 2}
    numbers = Question.objects.get(text="端末の台数")
    assert numbers.kind == Kind.NUMBER
    assert sorted(TextAnswer.objects.filter(question=numbers).values_list("text", flat=True)) == [
        "10",
        "17",
        "24",
        "31",
        "38",
        "45",
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_bom_and_shift_jis_files_import_the_same(school_a, encoding):
    data = pupils_export([school_a.name]).decode("utf-8").encode(encoding)
    batch = import_export(data, survey="enc", group="小学生")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert ticks("よく使う教科(複数回答可)") == {"国語": 3, "算数": 3, "理科": 3}
    assert Question.objects.get(text="学校名").kind == Kind.SCHOOL


def test_the_same_file_twice_changes_nothing(school_a):
    data = pupils_export([school_a.name])
    import_export(data, survey="tablet", group="小学生")
    before = (Response.objects.count(), Answer.objects.count(), ObjectChange.objects.count())
    second = import_export(data, survey="tablet", group="小学生")
    assert second.status == ImportBatch.Status.UNCHANGED
    assert (
        Response.objects.count(),
        Answer.objects.count(),
        ObjectChange.objects.count(),
    ) == before


def test_the_same_file_into_another_group_or_survey_is_imported(school_a):
    """A repeat is the same file into the same survey and group: the same bytes sent to
    another group (a template filled for two groups) are imported, not refused."""
    data = pupils_export([school_a.name])
    import_export(data, survey="tablet", group="小学生")
    other_group = import_export(data, survey="tablet", group="中学生")
    other_survey = import_export(data, survey="tablet-2", group="小学生")
    assert other_group.status == other_survey.status == ImportBatch.Status.DONE
    assert Response.objects.filter(group__name="中学生").count() > 0
    assert import_export(data, survey="tablet", group="中学生").status == (
        ImportBatch.Status.UNCHANGED
    )


def test_importing_a_group_again_replaces_its_answers_and_leaves_other_groups(school_a, school_b):
    import_export(pupils_export([school_a.name]), survey="tablet", group="小学生")
    import_export(pupils_export([school_b.name], per_school=[9]), survey="tablet", group="中学生")
    batch = import_export(
        pupils_export([school_a.name], per_school=[4]), survey="tablet", group="小学生"
    )
    assert batch.details["replaced"] == 6
    elementary = RespondentGroup.objects.get(name="小学生")
    assert Response.objects.filter(group=elementary).count() == 4
    assert Response.objects.filter(group__name="中学生").count() == 9
    assert Answer.objects.filter(group=elementary, question__text=EFFECT).count() == 4


def test_codes_survive_a_new_file_for_unchanged_answers(school_a):
    from gigaportal.scope import COMMAND_LINE
    from surveys import services

    data = pupils_export([school_a.name], opinions={0: "充電が大変", 1: "画面が小さい"})
    import_export(data, survey="tablet", group="小学生")
    question = Question.objects.get(text=OPINION)
    code = services.codebook_add(by=COMMAND_LINE, question=question, text="機器")
    services.answers_code(
        by=COMMAND_LINE,
        question=question,
        code=code,
        answer_ids=list(TextAnswer.objects.values_list("pk", flat=True)),
    )
    again = pupils_export(
        [school_a.name], per_school=[7], opinions={0: "充電が大変", 6: "新しい意見"}
    )
    import_export(again, survey="tablet", group="小学生")
    coded = dict(TextAnswer.objects.values_list("text", "code_id"))
    assert coded == {"充電が大変": code.pk, "新しい意見": None}


def test_a_column_coded_by_staff_in_the_sheet_imports_as_a_choice(school_a):
    header = ["タイムスタンプ", "学校名", "ご要望をお書きください", "要望の分類"]
    rows = [
        [
            "2022/12/1 8:00:00",
            school_a.name,
            f"要望その{n}、健康観察を電子化してほしいです。",
            ["健康観察", "ネットワーク", "その他"][n % 3],
        ]
        for n in range(30)
    ]
    import_export(sheet_csv(header, rows), survey="coded")
    assert Question.objects.get(text="ご要望をお書きください").kind == Kind.FREE_TEXT
    coded = Question.objects.get(text="要望の分類")
    assert coded.kind == Kind.CHOICE
    assert ticks("要望の分類") == {"健康観察": 10, "ネットワーク": 10, "その他": 10}


def test_a_kind_chosen_in_the_preview_is_used(school_a):
    data = pupils_export([school_a.name])
    import_export(data, survey="kinds", group="小学生", kinds={EFFECT: "free_text"})
    assert Question.objects.get(text=EFFECT).kind == Kind.FREE_TEXT
    assert TextAnswer.objects.filter(question__text=EFFECT).count() == 6


def test_a_survey_keeps_a_corrected_kind_when_the_next_group_is_imported(school_a, school_b):
    from gigaportal.scope import COMMAND_LINE
    from surveys import services

    import_export(pupils_export([school_a.name]), survey="kinds", group="小学生")
    question = Question.objects.get(text=EFFECT)
    services.question_update(by=COMMAND_LINE, question=question, kind="free_text")
    import_export(pupils_export([school_b.name]), survey="kinds", group="中学生")
    assert TextAnswer.objects.filter(question=question).count() == 12


def test_the_group_must_be_named_once_a_survey_has_several(school_a):
    import_export(pupils_export([school_a.name]), survey="g", group="小学生")
    import_export(pupils_export([school_a.name], per_school=[3]), survey="g", group="中学生")
    with translation.override("ja"):
        batch = import_export(pupils_export([school_a.name], per_school=[2]), survey="g")
    assert batch.status == ImportBatch.Status.FAILED
    assert "回答者の区分" in batch.errors[0]


# --- Refused files: a Japanese message, nothing changed ---------------------------------------------------


def refused(data, **options):
    with translation.override("ja"):
        batch = import_export(data, survey=options.pop("survey", "bad"), **options)
    assert batch.status == ImportBatch.Status.FAILED
    assert not Survey.objects.filter(slug="bad").exists()
    assert Response.objects.count() == 0 and Answer.objects.count() == 0
    return batch.errors


def test_an_empty_file_is_refused():
    assert refused(b"") == ["ファイルが空です。"]


def test_a_binary_file_is_refused():
    assert refused(b"\x00\x01\x02\xff" * 100) == [
        "バイナリデータが含まれています。CSVファイルではありません。"
    ]


def test_a_file_in_another_encoding_is_refused():
    errors = refused("タイムスタンプ,質問\n".encode("utf-16"))
    assert "UTF-16" in errors[0]
    errors = refused("Zeitstempel,Frage\n2022/11/30 8:00:00,\xe4\xf6\xfc\x81\n".encode("latin-1"))
    assert "文字コード" in errors[0]


def test_a_broken_workbook_is_refused():
    assert "Excel" in refused(b"PK\x03\x04not really a zip")[0]


def test_a_header_without_rows_is_refused():
    assert refused("タイムスタンプ,質問\n".encode()) == ["見出し行だけで、データ行がありません。"]


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_row_number(school_a):
    data = sheet_csv(
        ["タイムスタンプ", "学校名", "質問"],
        [
            ["2022/11/30 8:00:00", school_a.name, "はい"],
            ["2022/11/30 8:01:00", school_a.name, "はい", "余計なセル"],
        ],
    )
    errors = refused(data)
    assert errors == ["3行目：この行は4個のセルがありますが、見出しは3列です"]


def test_a_bad_timestamp_and_an_unknown_school_are_refused_with_their_rows(school_a):
    data = sheet_csv(
        ["タイムスタンプ", "学校名", "質問"],
        [
            ["2022/11/30 8:00:00", school_a.name, "はい"],
            ["2022/11/30 8:01:00", school_a.name, "いいえ"],
            ["2022/11/30 8:01:00", school_a.name, "いいえ"],
            ["2022/11/30 8:01:00", school_a.name, "はい"],
            ["2022/11/30 8:01:00", school_a.name, "はい"],
            ["きのう", school_a.name, "はい"],
            ["2022/11/30 8:02:00", "架空小学校", "はい"],
        ],
    )
    # A few unknown names among many school names still make a school column.
    errors = refused(data)
    assert errors == [
        "7行目、列「タイムスタンプ」：'きのう' はタイムスタンプではありません（例：2022/11/30 8:15:03）",
        "8行目、列「学校名」：学校コード 架空小学校 の学校はありません",
    ]


def test_a_bad_short_name_is_refused():
    errors = refused(pupils_export(["青葉小学校"]), survey="Bad Name!")
    assert "半角" in errors[0]


# --- Columns past the distinct-answer cap ---------------------------------------------------------------


def test_checkboxes_with_more_combinations_than_the_cap_are_tallied_by_option(school_a):
    """13 options make 8,191 combinations: more distinct answers than a column keeps
    (5,000), and still every tick is counted against its option."""
    import itertools

    from surveys.services.reading import DISTINCT_CAP

    options = [f"選択肢{n:02d}" for n in range(13)]
    combos = [", ".join(c) for k in range(1, 14) for c in itertools.combinations(options, k)][
        : DISTINCT_CAP + 600
    ]
    rows = [
        [f"2022/11/{1 + n % 28} 8:{n % 60:02d}:00", school_a.name, combo]
        for n, combo in enumerate(combos)
    ]
    batch = import_export(
        sheet_csv(["タイムスタンプ", "学校名", "使ったもの"], rows), survey="many"
    )
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    question = Question.objects.get(text="使ったもの")
    assert question.kind == Kind.CHECKBOXES
    expected = {o: sum(1 for c in combos if o in c.split(", ")) for o in options}
    assert ticks("使ったもの") == expected


def test_a_choice_kind_for_a_column_with_too_many_answers_is_refused_naming_it(school_a):
    rows = [
        [f"2022/11/30 8:{n % 60:02d}:00", school_a.name, f"自由な答え{n}"] for n in range(5_100)
    ]
    data = sheet_csv(["タイムスタンプ", "学校名", "ひとこと"], rows)
    errors = refused(data, kinds={"ひとこと": "choice"})
    assert errors[0].startswith("列「ひとこと」は回答が5,000種類を超えるため")
    assert import_export(data, survey="bad").status == ImportBatch.Status.DONE
    assert Question.objects.get(text="ひとこと").kind == Kind.FREE_TEXT
