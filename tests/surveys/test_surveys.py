"""Survey and group edits and deletions through the services and Django admin: one
change-log entry each, answers deleted with what holds them."""

import pytest

from gigaportal.models import ObjectChange
from surveys import services
from surveys.models import Answer, Kind, Question, RespondentGroup, Response, Survey, TextAnswer
from tests.surveys.factories import EFFECT, import_export, pupils_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(school_a, school_b):
    import_export(pupils_export([school_a.name], opinions={0: "意見"}), survey="s", group="小学生")
    import_export(pupils_export([school_b.name]), survey="s", group="中学生")
    return Survey.objects.get(slug="s")


def test_deleting_a_group_deletes_its_answers_only(survey, leader):
    group = RespondentGroup.objects.get(name="小学生")
    before = ObjectChange.objects.count()
    services.group_delete(by=leader, group=group)
    assert ObjectChange.objects.count() == before + 1
    assert not Response.objects.filter(group_id=group.pk).exists()
    assert not Answer.objects.filter(group_id=group.pk).exists()
    assert not TextAnswer.objects.filter(group_id=group.pk).exists()
    assert Response.objects.filter(group__name="中学生").count() == 6


def test_deleting_a_survey_deletes_everything_it_holds(survey, leader):
    services.survey_delete(by=leader, survey=survey)
    assert not Survey.objects.exists()
    assert (
        not Response.objects.exists()
        and not Answer.objects.exists()
        and not TextAnswer.objects.exists()
    )
    assert ObjectChange.objects.first().action == ObjectChange.Action.DELETE


def test_a_group_name_stays_unique(survey, leader):
    group = RespondentGroup.objects.get(name="小学生")
    with pytest.raises(services.SurveyError):
        services.group_update(by=leader, group=group, name="中学生")


def test_admin_lists_and_edits_surveys_through_the_services(survey, client, admin):
    client.force_login(admin)
    for model in (
        "survey",
        "respondentgroup",
        "question",
        "answeroption",
        "response",
        "surveyssettings",
    ):
        response = client.get(f"/admin/surveys/{model}/")
        assert response.status_code in (200, 404), model
    question = Question.objects.get(text=EFFECT)
    response = client.post(
        f"/admin/surveys/question/{question.pk}/change/",
        {"kind": Kind.FREE_TEXT, "label": "役立ち", "is_scale": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question.refresh_from_db()
    assert question.kind == Kind.FREE_TEXT
    assert TextAnswer.objects.filter(question=question).count() == 12
    entry = ObjectChange.objects.first()
    assert entry.via == ObjectChange.Via.ADMIN
    assert entry.changes["kind"] == ["choice", "free_text"]
    response = client.post(f"/admin/surveys/survey/{survey.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Survey.objects.exists() and not Answer.objects.exists()


def test_the_threshold_setting_refuses_nonsense(client, admin):
    client.force_login(admin)
    response = client.post("/admin/surveys/surveyssettings/add/", {"suppression_threshold": "0"})
    assert response.status_code == 200  # the form again, with its error
    response = client.post("/admin/surveys/surveyssettings/add/", {"suppression_threshold": "10"})
    assert response.status_code == 302
    from surveys.models import SurveysSettings

    assert SurveysSettings.load().suppression_threshold == 10
