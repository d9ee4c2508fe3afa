"""Correcting a question after its import: kind (the answers are converted), label,
option order and polarity, one change-log entry each."""

import pytest

from gigaportal.models import ObjectChange
from surveys import services
from surveys.models import Answer, Kind, Option, Question, TextAnswer
from tests.surveys.factories import EFFECT, SUBJECTS, import_export, pupils_export, sheet_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(school_a):
    import_export(pupils_export([school_a.name]), survey="s", group="小学生")


def test_a_choice_becomes_free_text_and_back(survey, leader):
    question = Question.objects.get(text=EFFECT)
    services.question_update(by=leader, question=question, kind=Kind.FREE_TEXT)
    assert not Answer.objects.filter(question=question).exists()
    assert TextAnswer.objects.filter(question=question).count() == 6
    services.question_update(by=leader, question=question, kind=Kind.CHOICE)
    assert Answer.objects.filter(question=question).count() == 6
    assert set(question.options.values_list("text", flat=True)) == {
        "とてもそう思う",
        "そう思う",
        "あまりそう思わない",
        "そう思わない",
    }


def test_checkboxes_read_as_a_single_choice_keep_each_combination(survey, leader):
    question = Question.objects.get(text="よく使う教科(複数回答可)")
    services.question_update(by=leader, question=question, kind=Kind.CHOICE)
    question.refresh_from_db()
    assert not question.multiple
    assert set(question.options.values_list("text", flat=True)) == {
        "国語",
        "算数",
        "理科",
        "国語, 算数",
        "算数, 理科",
        "国語, 理科",
    }
    services.question_update(by=leader, question=question, kind=Kind.CHECKBOXES)
    question.refresh_from_db()
    assert question.multiple
    assert Answer.objects.filter(question=question).count() == 9


def test_a_number_must_be_a_number_everywhere(survey, leader):
    question = Question.objects.get(text=EFFECT)
    with pytest.raises(services.SurveyError):
        services.question_update(by=leader, question=question, kind=Kind.NUMBER)
    assert Answer.objects.filter(question=question).count() == 6


def test_a_timestamp_stays_a_timestamp(survey, leader):
    question = Question.objects.get(kind=Kind.TIMESTAMP)
    with pytest.raises(services.SurveyError):
        services.question_update(by=leader, question=question, kind=Kind.CHOICE)


def test_order_label_and_polarity_are_one_change_log_entry(survey, leader):
    question = Question.objects.get(text=EFFECT)
    options = list(question.options.order_by("order"))
    before = ObjectChange.objects.count()
    services.question_update(
        by=leader,
        question=question,
        kind=question.kind,
        label="役に立つか",
        is_scale=True,
        options=[
            services.OptionInput(pk=o.pk, order=len(options) - i, label="", polarity=o.polarity)
            for i, o in enumerate(options)
        ],
    )
    assert ObjectChange.objects.count() == before + 1
    entry = ObjectChange.objects.first()
    assert entry.changes["label"] == ["", "役に立つか"]
    assert entry.changes["options"][1][0].startswith("そう思わない")
    assert (
        list(question.options.order_by("order").values_list("text", flat=True))[0] == "そう思わない"
    )


def test_the_question_page_saves_and_refuses_forged_values(survey, client, leader):
    question = Question.objects.get(text=EFFECT)
    client.force_login(leader)
    url = f"/surveys/s/questions/{question.pk}/"
    assert client.get(url).status_code == 200
    option = question.options.first()
    data = {"kind": "choice", "label": "役立ち", "is_scale": "on"}
    for o in question.options.all():
        data |= {f"order_{o.pk}": o.order, f"label_{o.pk}": "", f"polarity_{o.pk}": o.polarity}
    assert client.post(url, {**data, "kind": "timestamp"}).status_code == 400
    assert client.post(url, {**data, f"order_{option.pk}": "x"}).status_code == 400
    assert client.post(url, {**data, f"polarity_{option.pk}": "7"}).status_code == 400
    assert client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.label == "役立ち"


def test_reading_a_scale_again_sets_order_and_polarity(school_a, leader):
    header = ["タイムスタンプ", "学校名", "満足度"]
    rows = [
        [f"2022/12/1 8:0{n}:00", school_a.name, a]
        for n, a in enumerate(["満足", "不満", "とても満足", "とても不満", "どちらともいえない"])
    ]
    import_export(sheet_csv(header, rows), survey="scale")
    question = Question.objects.get(text="満足度")
    Option.objects.filter(question=question).update(polarity=None, order=0)
    services.scale_apply(by=leader, question=question)
    assert list(question.options.order_by("order").values_list("text", "polarity")) == [
        ("とても満足", 1),
        ("満足", 1),
        ("どちらともいえない", 0),
        ("不満", -1),
        ("とても不満", -1),
    ]


def test_a_kind_change_is_recorded(survey, leader):
    question = Question.objects.get(text=SUBJECTS.replace("（", "(").replace("）", ")"))
    services.question_update(by=leader, question=question, kind=Kind.FREE_TEXT)
    assert ObjectChange.objects.first().changes["kind"] == ["checkboxes", "free_text"]
