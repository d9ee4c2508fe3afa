"""Tallies as registered reports: the numbers in the page, the chart's input, the
downloads and the command are one set of rows; small groups are left out everywhere;
a school user sees their school's suppressed tallies beside the city's."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gigaportal import reports
from gigaportal.reports import Period
from gigaportal.scope import COMMAND_LINE
from surveys.models import Question, SurveysSettings
from tests.factories import make_school
from tests.surveys.factories import EFFECT, import_export, pupils_export

pytestmark = pytest.mark.django_db
SUBJECTS_TEXT = "よく使う教科(複数回答可)"


def rows_of(report, question=None):
    found = [dict(zip(report.keys, row, strict=True)) for row in report.rows]
    return [r for r in found if question is None or r["question"] == question]


@pytest.fixture
def survey(school_a, school_b):
    """Pupils (school A 6, school B 6), junior-high pupils (4 answers: a small group)
    and teachers (12)."""
    import_export(pupils_export([school_a.name, school_b.name]), survey="tablet", group="小学生")
    import_export(pupils_export([school_a.name], per_school=[4]), survey="tablet", group="中学生")
    import_export(pupils_export([school_a.name, school_b.name]), survey="tablet", group="教職員")
    return "tablet"


def tally(user=COMMAND_LINE, **filters):
    return reports.get("surveys.tally").run(user=user, survey="tablet", **filters)


def test_a_group_of_four_answers_is_left_out_with_the_reason(survey):
    with translation.override("ja"):
        report = tally()
    assert "中学生" not in {r["group"] for r in rows_of(report)}
    assert any("中学生：回答が5件未満のため表示しません" in str(note) for note in report.notes)


def test_with_the_total_shown_a_second_group_is_hidden_so_the_four_cannot_be_worked_out(survey):
    with translation.override("ja"):
        report = tally()
    effect = rows_of(report, EFFECT)
    # 小学生 12 and 教職員 12: the total minus both would give 中学生's 4 back, so the
    # first of the smallest (小学生) is hidden too; the total stays.
    assert {r["group"] for r in effect} == {"教職員", "全体"}
    assert any(
        "小学生：回答の少ない区分が他の数値から分からないよう" in str(n) for n in report.notes
    )
    total = next(r for r in effect if r["group"] == "全体" and r["option"] == "とてもそう思う")
    assert total["count"] == 3 + 1 + 3  # 12 + 4 + 12 respondents, every fourth of them


def test_percents_are_of_respondents_and_checkboxes_may_pass_a_hundred(survey):
    report = tally()
    subjects = [
        r
        for r in rows_of(report, SUBJECTS_TEXT)
        if r["group"] == "全体" or r["group"] == "All groups"
    ]
    assert {r["option"]: r["count"] for r in subjects} == {"国語": 14, "算数": 14, "理科": 13}
    assert sum(r["percent"] for r in subjects) > 100
    assert all(
        isinstance(r["percent"], Decimal) and r["percent"].as_tuple().exponent == -1
        for r in subjects
    )


def test_the_threshold_is_the_admin_setting(survey):
    SurveysSettings(suppression_threshold=3).save()
    assert "中学生" in {r["group"] for r in rows_of(tally(), EFFECT)}


def test_the_command_prints_exactly_the_documented_columns(survey, capsys):
    call_command("survey_report", "tally", "--survey", "tablet", "--format", "csv")
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == ["question", "group", "option", "count", "percent"]
    assert ["よく使う教科(複数回答可)", "小学生", "国語", "6", "50.0"] in lines or [
        "よく使う教科(複数回答可)",
        "教職員",
        "国語",
        "6",
        "50.0",
    ] in lines
    assert not any(line[1] == "中学生" for line in lines[1:])


def test_the_page_and_its_downloads_hold_the_commands_rows(survey, client, leader):
    client.force_login(leader)
    response = client.get("/surveys/results/?survey=tablet&download=csv")
    page_rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    report = tally()
    assert [[str(v) for v in row] for row in report.rows] == page_rows
    page = client.get("/surveys/results/?survey=tablet")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="question-block"') == len(
        {r[0] for r in report.rows}
    )


def test_a_school_user_sees_their_school_beside_the_city_and_never_another_school(
    survey, client, school_a_user, school_b
):
    client.force_login(school_a_user)
    response = client.get("/surveys/results/?survey=tablet&download=csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    scopes = {line[0] for line in lines[1:]}
    assert scopes == {"青葉小学校", "市全体"} or scopes == {"青葉小学校", "Whole city"}
    assert school_b.name not in response.content.decode("utf-8-sig")
    assert client.get(f"/surveys/results/?survey=tablet&school={school_b.pk}").status_code == 404
    assert client.get("/surveys/free-text/?survey=tablet").status_code == 403


def test_a_schools_own_small_groups_are_hidden_for_the_school(survey, school_a, school_a_user):
    report = tally(user=school_a_user)
    mine = [r for r in rows_of(report, EFFECT) if r["scope"] == school_a.name]
    # School A: 小学生 6, 中学生 4 (hidden), 教職員 6; with a total, one more goes.
    assert "中学生" not in {r["group"] for r in mine}


def test_staff_may_look_at_one_school_beside_the_city(survey, school_b, leader):
    report = tally(user=leader, school=school_b.pk)
    assert {r["scope"] for r in rows_of(report)} == {school_b.name, "Whole city"} or {
        r["scope"] for r in rows_of(report)
    } == {school_b.name, "市全体"}


def test_top_n_folds_the_rest_into_other(survey):
    report = tally(top=2)
    subjects = [r for r in rows_of(report, SUBJECTS_TEXT) if r["group"] in ("全体", "All groups")]
    assert [(r["option"], r["count"]) for r in subjects] == [
        ("国語", 14),
        ("算数", 14),
        ("その他", 13),
    ]


def test_likert_shares_come_from_the_same_counts(survey):
    report = reports.get("surveys.likert").run(user=COMMAND_LINE, survey="tablet")
    effect = [r for r in rows_of(report, EFFECT) if r["group"] in ("全体", "All groups")]
    assert effect == [
        {
            "question": EFFECT,
            "group": effect[0]["group"],
            "n": 28,
            "positive": Decimal("50.0"),
            "neutral": Decimal("0.0"),
            "negative": Decimal("50.0"),
        }
    ]


def test_the_charts_are_pngs_drawn_for_each_question(survey, client, leader):
    client.force_login(leader)
    question = Question.objects.get(text=EFFECT)
    for url in (
        f"/surveys/results/chart/{question.pk}-1.png?survey=tablet",
        f"/surveys/scales/chart/{question.pk}-1.png?survey=tablet",
        f"/surveys/results/chart/{Question.objects.get(text=SUBJECTS_TEXT).pk}-1.png?survey=tablet&top=2",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")
    assert client.get("/surveys/results/chart/999999-1.png?survey=tablet").status_code == 404


def test_a_crosstab_hides_small_cells(school_a, school_b):
    header = ["タイムスタンプ", "学校名", "所属", "分類"]
    rows = []
    plan = [
        ("小学校", "校務", 20),
        ("小学校", "授業", 3),
        ("小学校", "家庭", 15),
        ("中学校", "校務", 12),
        ("中学校", "授業", 10),
        ("中学校", "家庭", 9),
    ]
    n = 0
    for kind, category, count in plan:
        for _ in range(count):
            rows.append([f"2022/12/1 8:{n % 60:02d}:00", school_a.name, kind, category])
            n += 1
    from tests.surveys.factories import sheet_csv

    import_export(sheet_csv(header, rows), survey="ct")
    questions = {q.text: q.pk for q in Question.objects.filter(survey__slug="ct")}
    report = reports.get("surveys.crosstab").run(
        user=COMMAND_LINE, survey="ct", rows=questions["所属"], columns=questions["分類"]
    )
    table = {row[0]: row[1:] for row in report.rows}
    assert table["小学校"].count("*") >= 2  # the 3 and its partner
    assert "*" in table["中学校"]  # the column's partner
    assert report.footer[0][-1] == 69


def test_the_response_rate_is_against_the_people_asked(survey):
    from surveys.models import RespondentGroup

    group = RespondentGroup.objects.get(name="教職員")
    group.target_population = 48
    group.save()
    report = reports.get("surveys.rates").run(user=COMMAND_LINE, period=Period.fiscal(2022))
    row = next(r for r in rows_of(report) if r["group"] == "教職員")
    assert (row["responses"], row["asked"], row["rate"]) == (12, 48, Decimal("25.0"))


def test_odd_query_parameters_never_break_a_report(survey, client, leader):
    client.force_login(leader)
    question = Question.objects.get(text=EFFECT).pk
    for query in (
        "?survey=",
        "?survey=%00",
        "?survey=nope",
        "?survey=tablet&top=abc",
        "?survey=tablet&top=-3",
        "?survey=tablet&top=99999999999999",
        "?survey=tablet&school=x",
        "?survey=tablet&school=999999",
        "?survey=tablet&rows=1&columns=x",
        f"?survey=tablet&question={question}&n=0",
        "?survey=tablet&group=99999",
        "?survey=tablet&q=%00%01",
        "?survey=" + "a" * 500,
        "?fy=9999",
    ):
        for page in ("results", "scales", "top", "crosstab", "rates", "free-text"):
            response = client.get(f"/surveys/{page}/{query}")
            assert response.status_code in (200, 404), (page, query, response.status_code)


# --- A fixed number of queries, whatever the number of responses -------------------------------------


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as context:
        fn()
    return len(context.captured_queries)


@pytest.mark.parametrize("user_name", ["leader", "school_a_user"])
def test_the_tally_page_runs_the_same_queries_for_ten_or_five_hundred_responses(
    client, cast, school_a, school_b, user_name
):
    import_export(
        pupils_export([school_a.name, school_b.name], per_school=[5, 5]),
        survey="small",
        group="小学生",
    )
    import_export(
        pupils_export([school_a.name, school_b.name], per_school=[250, 250]),
        survey="large",
        group="小学生",
    )
    for n, school in enumerate(make_school() for _ in range(3)):
        import_export(
            pupils_export([school.name], per_school=[30 + n]), survey="large", group=f"区分{n}"
        )
    client.force_login(cast[user_name])
    small = queries(lambda: client.get("/surveys/results/?survey=small"))
    large = queries(lambda: client.get("/surveys/results/?survey=large"))
    assert small == large
    small_csv = queries(lambda: client.get("/surveys/results/?survey=small&download=csv"))
    large_csv = queries(lambda: client.get("/surveys/results/?survey=large&download=csv"))
    assert small_csv == large_csv


def test_the_command_runs_the_same_queries_for_ten_or_five_hundred_responses(
    cast, school_a, school_b, capsys
):
    import_export(
        pupils_export([school_a.name, school_b.name], per_school=[5, 5]),
        survey="small",
        group="小学生",
    )
    import_export(
        pupils_export([school_a.name, school_b.name], per_school=[250, 250]),
        survey="large",
        group="小学生",
    )
    small = queries(
        lambda: call_command("survey_report", "tally", "--survey", "small", "--format", "csv")
    )
    large = queries(
        lambda: call_command("survey_report", "tally", "--survey", "large", "--format", "csv")
    )
    assert small == large <= 12
