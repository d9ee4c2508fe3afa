"""Coding free-text answers: a codebook per free-text question (its categories are
the question's options, with optional keywords) and the coding itself, one answer
or every result of a search at a time, each step undoable by the person who made it.
A coded answer counts as a choice of its category in every tally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from surveys.models import CodingStep, Kind, Option, Question, TextAnswer
from surveys.services.common import SurveyError

CODE_FIELDS = ["text", "keywords", "order"]
MAX_TEXT = Option._meta.get_field("text").max_length


def _check_free_text(question: Question) -> None:
    if question.kind != Kind.FREE_TEXT:
        raise SurveyError(_("Only free-text questions have a codebook."))


def _check_code(question: Question, code: Option | None) -> None:
    if code is not None and code.question_id != question.pk:
        raise SurveyError(_("This category belongs to another question."), field="code")


def codebook_add(*, by, question: Question, text: str, keywords: str = "") -> Option:
    _check_free_text(question)
    text = " ".join(text.split())[:MAX_TEXT]
    if not text:
        raise SurveyError(_("A category needs a name."), field="text")
    with transaction.atomic():
        if Option.objects.filter(question=question, text=text).exists():
            raise SurveyError(_("The codebook already has this category."), field="text")
        order = (Option.objects.filter(question=question).aggregate(m=Max("order"))["m"] or 0) + 1
        option = Option.objects.create(
            question=question, text=text, keywords=keywords[:500], order=order
        )
        Question.objects.filter(pk=question.pk).update(updated_at=timezone.now())
        changelog.record(
            by=by, action=changelog.Action.CREATE, obj=option, before=None, fields=CODE_FIELDS
        )
    return option


def codebook_update(
    *, by, option: Option, text: str, keywords: str = "", order: int | None = None
) -> Option:
    _check_free_text(option.question)
    text = " ".join(text.split())[:MAX_TEXT]
    if not text:
        raise SurveyError(_("A category needs a name."), field="text")
    with transaction.atomic():
        option = Option.objects.select_for_update().get(pk=option.pk)
        if (
            Option.objects.filter(question_id=option.question_id, text=text)
            .exclude(pk=option.pk)
            .exists()
        ):
            raise SurveyError(_("The codebook already has this category."), field="text")
        before = changelog.values(option, CODE_FIELDS)
        option.text, option.keywords = text, keywords[:500]
        if order is not None:
            option.order = order
        option.save()
        Question.objects.filter(pk=option.question_id).update(updated_at=timezone.now())
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=option, before=before, fields=CODE_FIELDS
        )
    return option


def codebook_delete(*, by, option: Option) -> int:
    """Removes a category; the answers it coded become uncoded (and are counted as
    such). Returns how many answers it had."""
    _check_free_text(option.question)
    with transaction.atomic():
        coded = TextAnswer.objects.filter(code=option).update(code=None)
        changelog.record(
            by=by,
            action=changelog.Action.DELETE,
            obj=option,
            changes={"text": [option.text, None], "answers": [coded, None]},
        )
        Question.objects.filter(pk=option.question_id).update(updated_at=timezone.now())
        option.delete()
    return coded


def answers_code(*, by, question: Question, code: Option | None, answer_ids: Sequence[int]) -> int:
    """Gives `code` (None: uncodes) to the question's answers among `answer_ids`, as
    one step the person may undo; other questions' answers are never touched."""
    _check_free_text(question)
    _check_code(question, code)
    with transaction.atomic():
        answers = TextAnswer.objects.select_for_update().filter(
            question=question, pk__in=list(answer_ids)[:10_000]
        )
        new = code.pk if code else None
        # Each answer's code before and after the step, so an undo can tell an answer
        # someone recoded since (it keeps its new code) from one this step changed.
        previous = [
            [pk, old, new] for pk, old in answers.values_list("pk", "code_id") if old != new
        ]
        if not previous:
            return 0
        TextAnswer.objects.filter(pk__in=[entry[0] for entry in previous]).update(code=code)
        _step(by=by, question=question, code=code, previous=previous)
    return len(previous)


def answers_matching(question: Question, query: str, *, uncoded_only: bool = True):
    """The question's answers containing `query` (any of its words, NFKC)."""
    answers = TextAnswer.objects.filter(question=question)
    if uncoded_only:
        answers = answers.filter(code__isnull=True)
    words = [w for w in query.split() if w]
    if not words:
        return answers.none()
    condition = Q()
    for word in words:
        condition &= Q(text__icontains=word)
    return answers.filter(condition)


def answers_code_matching(
    *, by, question: Question, code: Option | None, query: str, uncoded_only: bool = True
) -> int:
    """Codes every answer a search finds (bulk assignment), as one undoable step."""
    ids = list(
        answers_matching(question, query, uncoded_only=uncoded_only).values_list("pk", flat=True)
    )
    return answers_code(by=by, question=question, code=code, answer_ids=ids)


def answers_code_many(*, by, question: Question, codes: Mapping[int, int]) -> int:
    """Codes many answers at once, each with its own category (answer id → option
    id): one step and one change-log entry. For coding done elsewhere (the demo, a
    sheet coded by staff)."""
    _check_free_text(question)
    valid = set(Option.objects.filter(question=question).values_list("pk", flat=True))
    if any(code not in valid for code in codes.values()):
        raise SurveyError(_("This category belongs to another question."), field="code")
    with transaction.atomic():
        current = dict(
            TextAnswer.objects.filter(question=question, pk__in=list(codes)).values_list(
                "pk", "code_id"
            )
        )
        by_code: dict[int, list[int]] = {}
        for pk, code in codes.items():
            if pk in current and current[pk] != code:
                by_code.setdefault(code, []).append(pk)
        for code, pks in by_code.items():
            TextAnswer.objects.filter(pk__in=pks).update(code_id=code)
        previous = [[pk, current[pk], code] for code, pks in by_code.items() for pk in pks]
        if previous:
            _step(by=by, question=question, code=None, previous=previous)
    return len(previous)


def _step(*, by, question: Question, code: Option | None, previous: list) -> CodingStep:
    step = CodingStep.objects.create(
        question=question, by_id=getattr(by, "pk", None), code=code, previous=previous
    )
    changelog.record(
        by=by,
        action=changelog.Action.UPDATE,
        obj=question,
        changes={
            "coded": [None, len(previous)],
            "code": [None, code.text if code else _("(uncoded)")],
        },
    )
    return step


def coding_undo(*, by, question: Question) -> int:
    """Undoes the person's last coding step on the question that is not undone yet:
    its answers get back the codes they had (an answer recoded since, by anyone, keeps
    its new code; a category deleted since is not brought back: its answers stay
    uncoded). Returns how many answers went back."""
    with transaction.atomic():
        step = (
            CodingStep.objects.select_for_update()
            .filter(question=question, by_id=getattr(by, "pk", None), undone_at__isnull=True)
            .first()
        )
        if step is None:
            return 0
        categories = set(Option.objects.filter(question=question).values_list("pk", flat=True))
        restored = 0
        groups: dict[tuple[int | None, int | None], list[int]] = {}
        for entry in step.previous:
            # [answer, before, after]; steps saved before "after" was kept hold
            # [answer, before] and the step's own code.
            pk, old = entry[0], entry[1]
            new = entry[2] if len(entry) > 2 else step.code_id
            groups.setdefault((old if old in categories else None, new), []).append(pk)
        for (old, new), pks in groups.items():
            if old == new:
                continue
            answers = TextAnswer.objects.filter(question=question, pk__in=pks)
            answers = (
                answers.filter(code__isnull=True) if new is None else answers.filter(code_id=new)
            )
            restored += answers.update(code_id=old)
        step.undone_at = timezone.now()
        step.save(update_fields=["undone_at"])
        changelog.record(
            by=by,
            action=changelog.Action.CANCEL,
            obj=question,
            changes={"coded": [len(step.previous), 0], "restored": [None, restored]},
        )
    return restored
