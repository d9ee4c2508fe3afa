"""manage.py import_survey and survey_report: the same import batches and registered
reports as the pages."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from gigaportal.models import ImportBatch, ObjectChange
from surveys.models import Question, Survey
from tests.surveys.factories import EFFECT, pupils_export, sheet_csv

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def export_file(tmp_path, school_a, school_b):
    path = tmp_path / "タブレット活用アンケート（回答） - フォームの回答 1.csv"
    path.write_bytes(pupils_export([school_a.name, school_b.name]))
    return path


def test_the_first_import_creates_the_survey_named_after_the_form(export_file):
    out = run(
        "import_survey",
        str(export_file),
        "--survey",
        "tablet",
        "--group",
        "小学生",
        "--fiscal-year",
        "2022",
    )
    assert "12" in out
    survey = Survey.objects.get()
    assert (survey.slug, survey.title, survey.fiscal_year) == (
        "tablet",
        "タブレット活用アンケート",
        2022,
    )
    entry = ObjectChange.objects.get()
    assert entry.via == ObjectChange.Via.COMMAND
    again = run("import_survey", str(export_file), "--survey", "tablet", "--group", "小学生")
    assert ImportBatch.objects.latest("pk").status == ImportBatch.Status.UNCHANGED
    assert again


def test_a_bad_file_or_short_name_stops_the_command(tmp_path, export_file):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        sheet_csv(
            ["タイムスタンプ", "質問"], [["きのう", "はい"], ["2022/11/30 8:00:00", "はい", "余計"]]
        )
    )
    with pytest.raises(CommandError):
        call_command("import_survey", str(bad), "--survey", "tablet")
    with pytest.raises(CommandError):
        call_command("import_survey", str(export_file), "--survey", "Not A Slug")
    with pytest.raises(CommandError):
        call_command("import_survey", str(tmp_path / "missing.csv"), "--survey", "tablet")
    assert not Survey.objects.exists()


def test_every_report_prints(export_file, school_a):
    run("import_survey", str(export_file), "--survey", "tablet", "--group", "小学生")
    effect = Question.objects.get(text=EFFECT)
    likert = list(
        csv.reader(
            io.StringIO(run("survey_report", "likert", "--survey", "tablet", "--format", "csv"))
        )
    )
    assert likert[0] == ["question", "group", "n", "positive", "neutral", "negative"]
    top = run(
        "survey_report",
        "top",
        "--survey",
        "tablet",
        "--question",
        str(effect.position),
        "--n",
        "2",
        "--format",
        "csv",
    )
    assert top.splitlines()[0] == "rank,option,count,percent"
    assert "その他" in top
    crosstab = run(
        "survey_report",
        "crosstab",
        "--survey",
        "tablet",
        "--rows",
        EFFECT,
        "--columns",
        str(effect.position + 1),
        "--format",
        "table",
    )
    assert "total" in crosstab
    rates = run("survey_report", "rates", "--fiscal-year", "2022", "--format", "csv")
    assert "tablet" in rates or "タブレット活用アンケート" in rates
    school = run(
        "survey_report", "tally", "--survey", "tablet", "--school", school_a.code, "--format", "csv"
    )
    assert school.splitlines()[0] == "scope,question,group,option,count,percent"
    for args in (("--top", "0"), ("--school", "NOPE")):
        with pytest.raises(CommandError):
            call_command("survey_report", "tally", "--survey", "tablet", *args)
    with pytest.raises(CommandError):
        call_command("survey_report", "tally", "--survey", "nope")
    with pytest.raises(CommandError):
        call_command("survey_report", "top", "--survey", "tablet", "--question", "999")
