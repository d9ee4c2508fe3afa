"""Corrections of a question after its import: kind, label, answer scale, and its
options' order, labels and polarity. A kind change converts the stored answers in
place (set-based), with the same rules the import uses (surveys.recognize)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.bulk import insert_rows
from surveys import recognize
from surveys.models import Answer, Kind, Option, Polarity, Question, TextAnswer
from surveys.services.common import SurveyError

QUESTION_FIELDS = ["kind", "label", "is_scale", "multiple"]
SEPARATOR = recognize.SEPARATORS[0]


@dataclass(frozen=True)
class OptionInput:
    pk: int
    order: int
    label: str = ""
    polarity: int | None = None


def _options_text(question: Question) -> list[str]:
    """The options as the change log shows them: order, text, label and polarity."""
    lines = []
    for option in question.options.order_by("order", "id"):
        text = option.text + (f"（{option.label}）" if option.label else "")
        if option.polarity is not None:
            text += f" [{Polarity(option.polarity).label}]"
        lines.append(text)
    return lines


def question_update(
    *,
    by,
    question: Question,
    kind: str,
    label: str = "",
    is_scale: bool = False,
    options: Sequence[OptionInput] = (),
) -> Question:
    """Corrects a question.

    1. A timestamp or school column is read from files only; the others may become
       any editable kind.
    2. A new kind converts the answers: each response's answer is taken as text (its
       options joined by ", ") and read again as the new kind (options learned as the
       import learns them; a number must be a number everywhere).
    3. Label, scale, and the options' order, labels and polarity are saved.
    4. One change-log entry with every field that changed.
    """
    editable = {k.value for k in recognize.EDITABLE_KINDS}
    if kind != question.kind and (kind not in editable or question.kind not in editable):
        raise SurveyError(_("This kind is read from the file only."), field="kind")
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        before = changelog.values(question, QUESTION_FIELDS)
        before["options"] = _options_text(question)
        if kind != question.kind:
            _convert(question, recognize.Kind(kind))
            question.kind = kind
        by_pk = {o.pk: o for o in options}
        changed = []
        for option in Option.objects.filter(question=question):
            given = by_pk.get(option.pk)
            if given is None:
                continue
            option.order, option.label = given.order, given.label[:200]
            option.polarity = given.polarity if given.polarity in (-1, 0, 1) else None
            changed.append(option)
        Option.objects.bulk_update(changed, ["order", "label", "polarity"])
        question.label = label[:200]
        question.is_scale = bool(is_scale) and question.is_choice
        question.save()
        after = changelog.values(question, QUESTION_FIELDS)
        after["options"] = _options_text(question)
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=question, before=before, after=after
        )
    return question


def _answer_texts(question: Question) -> list[tuple[int, int, int | None, str]]:
    """(response, group, school, text) of every answer to the question."""
    if question.is_choice:
        order = {
            pk: (o, text) for pk, o, text in question.options.values_list("pk", "order", "text")
        }
        joined: dict[int, list] = {}
        meta: dict[int, tuple[int, int | None]] = {}
        for response, group, school, option in Answer.objects.filter(question=question).values_list(
            "response_id", "group_id", "school_id", "option_id"
        ):
            joined.setdefault(response, []).append(order[option])
            meta[response] = (group, school)
        return [
            (response, *meta[response], SEPARATOR.join(text for _o, text in sorted(parts)))
            for response, parts in joined.items()
        ]
    return list(
        TextAnswer.objects.filter(question=question).values_list(
            "response_id", "group_id", "school_id", "text"
        )
    )


def _convert(question: Question, kind: recognize.Kind) -> None:
    texts = _answer_texts(question)
    values = Counter(text for *_r, text in texts)
    if kind is recognize.Kind.NUMBER:
        bad = [t for t in values if recognize.parse_number(t) is None]
        if bad:
            raise SurveyError(
                _("%(count)s answers are not numbers (e.g. %(example)s).")
                % {"count": sum(values[t] for t in bad), "example": bad[0]},
                field="kind",
            )
    kept = list(question.options.values_list("text", flat=True)) if question.is_choice else []
    if kind is recognize.Kind.CHECKBOXES or kind is recognize.Kind.GRID_ROW:
        # A single choice's options were whole answers: joined ones are read again.
        kept = [text for text in kept if not recognize.has_separator(text)]
    Answer.objects.filter(question=question).delete()
    TextAnswer.objects.filter(question=question).delete()
    if kind in (recognize.Kind.FREE_TEXT, recognize.Kind.NUMBER):
        question.options.all().delete()
        question.multiple = False
        insert_rows(
            TextAnswer,
            ["response", "question", "group", "school", "text", "number"],
            (
                (
                    r,
                    question.pk,
                    g,
                    s,
                    t,
                    recognize.parse_number(t) if kind is recognize.Kind.NUMBER else None,
                )
                for r, g, s, t in texts
            ),
        )
        return
    guess = recognize.recognize_column(
        position=question.position,
        header=question.header,
        values=values,
        known_kind=kind,
        known_options=kept,
    )
    question.multiple = guess.multiple
    wanted = set(guess.options)
    question.options.exclude(text__in=wanted).delete()
    existing = dict(question.options.values_list("text", "pk"))
    order = len(existing)
    fresh = []
    for text in guess.options:
        if text not in existing:
            polarity = guess.scale.polarity.get(text) if guess.scale else None
            fresh.append(
                Option(
                    question=question,
                    text=text[:500],
                    order=order,
                    polarity=int(polarity) if polarity is not None else None,
                )
            )
            order += 1
    Option.objects.bulk_create(fresh)
    ids = dict(question.options.values_list("text", "pk"))
    if guess.scale is not None and not question.is_scale:
        question.is_scale = True
    insert_rows(
        Answer,
        ["response", "question", "option", "group", "school"],
        (
            (r, question.pk, ids[piece], g, s)
            for r, g, s, t in texts
            for piece in guess.splits.get(t, (t,))
            if piece in ids
        ),
    )


def scale_apply(*, by, question: Question) -> Question:
    """Reads the question's options as an answer scale again (order and polarity)."""
    scale = recognize.recognize_scale(question.options.values_list("text", flat=True))
    if scale is None:
        raise SurveyError(
            _("These answers are not a scale the portal knows; set the polarity of each.")
        )
    options = {o.text: o for o in question.options.all()}
    inputs = [
        OptionInput(
            pk=options[text].pk,
            order=index,
            label=options[text].label,
            polarity=int(scale.polarity[text]),
        )
        for index, text in enumerate(scale.options)
    ]
    return question_update(
        by=by,
        question=question,
        kind=question.kind,
        label=question.label,
        is_scale=True,
        options=inputs,
    )


def kind_choices() -> list[tuple[str, str]]:
    return [(k.value, Kind(k.value).label) for k in recognize.EDITABLE_KINDS]
