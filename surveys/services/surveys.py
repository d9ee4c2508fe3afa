"""Edits of a survey and its respondent groups, and deletions in the order the
answers' tables need (they carry no per-row cascade)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from surveys.models import Answer, RespondentGroup, Response, Survey, TextAnswer
from surveys.services.common import SurveyError

SURVEY_FIELDS = [
    "title",
    "fiscal_year",
    "opens_on",
    "closes_on",
    "method",
    "target_population",
    "notes",
]
GROUP_FIELDS = ["name", "order", "target_population"]


def survey_update(*, by, survey: Survey, **values) -> Survey:
    """Sets a survey's description (not its short name: files and commands use it)."""
    unknown = set(values) - set(SURVEY_FIELDS)
    if unknown:
        raise TypeError(f"not survey fields: {sorted(unknown)}")
    opens, closes = (
        values.get("opens_on", survey.opens_on),
        values.get("closes_on", survey.closes_on),
    )
    if opens and closes and opens > closes:
        raise SurveyError(
            _("The first day of answers must not be after the last."), field="closes_on"
        )
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        before = changelog.values(survey, SURVEY_FIELDS)
        for name, value in values.items():
            setattr(survey, name, value)
        survey.full_clean(exclude=["slug"])
        survey.save()
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=survey, before=before, fields=SURVEY_FIELDS
        )
    return survey


def group_update(*, by, group: RespondentGroup, **values) -> RespondentGroup:
    unknown = set(values) - set(GROUP_FIELDS)
    if unknown:
        raise TypeError(f"not group fields: {sorted(unknown)}")
    name = values.get("name", group.name)
    if not name:
        raise SurveyError(_("A group needs a name."), field="name")
    if (
        RespondentGroup.objects.filter(survey_id=group.survey_id, name=name)
        .exclude(pk=group.pk)
        .exists()
    ):
        raise SurveyError(_("The survey already has a group of this name."), field="name")
    with transaction.atomic():
        group = RespondentGroup.objects.select_for_update().get(pk=group.pk)
        before = changelog.values(group, GROUP_FIELDS)
        for field_name, value in values.items():
            setattr(group, field_name, value)
        group.save()
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=group, before=before, fields=GROUP_FIELDS
        )
    return group


def _delete_responses(**lookup) -> int:
    """A group's or a survey's answers, then their responses: set-based deletes."""
    Answer.objects.filter(**lookup).delete()
    TextAnswer.objects.filter(**lookup).delete()
    deleted, _by_model = Response.objects.filter(**lookup).delete()
    return deleted


def group_delete(*, by, group: RespondentGroup) -> None:
    """Deletes a group with its responses and answers."""
    with transaction.atomic():
        responses = Response.objects.filter(group=group).count()
        changelog.record(
            by=by,
            action=changelog.Action.DELETE,
            obj=group,
            changes={"name": [group.name, None], "responses": [responses, None]},
        )
        _delete_responses(group=group)
        group.delete()


def survey_delete(*, by, survey: Survey) -> None:
    """Deletes a survey with everything it holds."""
    with transaction.atomic():
        responses = Response.objects.filter(survey=survey).count()
        changelog.record(
            by=by,
            action=changelog.Action.DELETE,
            obj=survey,
            changes={
                "slug": [survey.slug, None],
                "title": [survey.title, None],
                "responses": [responses, None],
            },
        )
        Answer.objects.filter(question__survey=survey).delete()
        TextAnswer.objects.filter(question__survey=survey).delete()
        Response.objects.filter(survey=survey).delete()
        survey.delete()
