"""Surveys imported from Google Forms: a survey, its respondent groups, its questions
(the file's header kept as written) and options, the responses, and their answers.

Answers are stored so that a tally is one GROUP BY whatever the number of questions
and responses: a ticked option is an `Answer` row (a checkbox answer is several),
a free-text or number answer a `TextAnswer` row, and coding a free-text answer sets
its `code`, an option of the same question (its codebook), so coded answers count
like a choice everywhere. Each answer carries its response's group and school, so
tallies read one table and are scoped by school without a join.

Answers are written only by the import and by the services (kind corrections,
coding); a response's answers are deleted by the service before the response
(`DO_NOTHING`: no per-row cascade on a hot path).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gigaportal.calendar import fiscal_year_label
from gigaportal.models import School
from gigaportal.scope import ScopedQuerySet
from surveys import recognize


class Kind(models.TextChoices):
    CHOICE = recognize.Kind.CHOICE.value, _("single choice")
    CHECKBOXES = recognize.Kind.CHECKBOXES.value, _("checkboxes")
    GRID_ROW = recognize.Kind.GRID_ROW.value, _("grid row")
    FREE_TEXT = recognize.Kind.FREE_TEXT.value, _("free text")
    NUMBER = recognize.Kind.NUMBER.value, _("number")
    TIMESTAMP = recognize.Kind.TIMESTAMP.value, _("timestamp")
    SCHOOL = recognize.Kind.SCHOOL.value, _("school")


class Polarity(models.IntegerChoices):
    NEGATIVE = -1, _("negative")
    NEUTRAL = 0, _("neutral")
    POSITIVE = 1, _("positive")


class SurveysSettings(models.Model):
    """Settings of the surveys app that administrators change in admin (one row)."""

    suppression_threshold = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "A group with fewer answers to a question than this is not shown in its "
            "tallies, charts or downloads, so that no pupil can be identified "
            "(education statistics use 5 to 30, most often 10)."
        ),
    )

    class Meta:
        verbose_name = _("surveys settings")
        verbose_name_plural = _("surveys settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="surveys_settings_single_row")
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def save(self, *args, **kwargs):
        self.pk = 1  # a single row: the admin edits it, nobody creates a second
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> SurveysSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class Survey(models.Model):
    slug = models.SlugField(_("short name"), max_length=60, unique=True, allow_unicode=False)
    title = models.CharField(_("title"), max_length=200)
    fiscal_year = models.PositiveIntegerField(
        _("fiscal year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    opens_on = models.DateField(_("answers from"), null=True, blank=True)
    closes_on = models.DateField(_("answers until"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=200, blank=True)
    target_population = models.PositiveIntegerField(
        _("people asked"),
        null=True,
        blank=True,
        help_text=_("For the response rate, e.g. 2,100 staff."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-fiscal_year", "-created_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True)
                | Q(closes_on__isnull=True)
                | Q(opens_on__lte=models.F("closes_on")),
                name="survey_opens_before_it_closes",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)


class RespondentGroup(models.Model):
    """Who answered one of the survey's forms: 小学生, 中学生, 教職員, 保護者."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    target_population = models.PositiveIntegerField(_("people asked"), null=True, blank=True)
    # The file its responses came from (the last import replaced the earlier ones).
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["survey", "order", "id"]
        verbose_name = _("respondent group")
        verbose_name_plural = _("respondent groups")
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="survey_group_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("column"))
    # The file's header as written, and its NFKC form (how files and commands name it).
    header = models.TextField(_("header as written"))
    text = models.TextField(_("question"))
    label = models.CharField(
        _("label"), max_length=200, blank=True, help_text=_("A shorter name for pages and charts.")
    )
    kind = models.CharField(_("answer format"), max_length=20, choices=Kind.choices)
    # Checkbox answers (and checkbox-grid rows): several options per respondent.
    multiple = models.BooleanField(_("several answers"), default=False)
    grid_title = models.TextField(_("grid question"), blank=True)
    grid_row = models.CharField(_("grid row"), max_length=200, blank=True)
    is_scale = models.BooleanField(
        _("answer scale"), default=False, help_text=_("Charted with positive and negative sides.")
    )
    # Touched by every change to the question or its options: charts are cached by it.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["survey", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "text"], name="survey_question_text_once")
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return self.label or self.text

    @property
    def is_choice(self) -> bool:
        return self.kind in recognize.CHOICE_KINDS

    @property
    def counts_as_choice(self) -> bool:
        """Tallied by option: a choice kind, or free text with a codebook."""
        return self.is_choice or self.kind == Kind.FREE_TEXT


class Option(models.Model):
    """An answer a choice question offers, or a category of a free-text question's
    codebook (with optional keywords that suggest it)."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    text = models.CharField(_("answer"), max_length=500)
    label = models.CharField(_("label"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    polarity = models.SmallIntegerField(
        _("polarity"), choices=Polarity.choices, null=True, blank=True
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_("Words that suggest this category, separated by 、 or spaces."),
    )

    class Meta:
        ordering = ["question", "order", "id"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        constraints = [
            models.UniqueConstraint(fields=["question", "text"], name="question_option_once")
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return self.label or self.text

    def keyword_list(self) -> list[str]:
        import re

        return [word for word in re.split(r"[、,，\s]+", self.keywords or "") if word]


class Response(models.Model):
    """One row of a group's file."""

    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses"
    )
    group = models.ForeignKey(
        RespondentGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="+"
    )
    row_number = models.PositiveIntegerField(_("row"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["group", "row_number"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(fields=["group", "row_number"], name="survey_response_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.group} #{self.row_number}"


class Answer(models.Model):
    """One ticked option of one response (a checkbox answer is several rows).

    The table of a survey's every tick (100,000 responses × 30 questions is three
    million rows): its references are not database constraints, which would cost a
    trigger per reference per row on PostgreSQL; the import and the services are its
    only writers and keep them whole (a question's answers go with it, a group's are
    deleted before its responses)."""

    response = models.ForeignKey(
        Response, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    option = models.ForeignKey(
        Option, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    group = models.ForeignKey(
        RespondentGroup,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    school = models.ForeignKey(
        School,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        # Cross-tabulations (joined on the response) and a question's answers. Tallies
        # read the whole table in one pass and a group's answers are deleted by a scan
        # (only when it is imported again): one index, not more, to keep the import fast.
        indexes = [models.Index(fields=["question", "response"], name="survey_answer_question")]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.question_id} = {self.option_id}"


class TextAnswer(models.Model):
    """A free-text (or number) answer; coding sets `code`, an option of its question."""

    response = models.ForeignKey(
        Response, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    group = models.ForeignKey(
        RespondentGroup, on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    school = models.ForeignKey(
        School, on_delete=models.DO_NOTHING, null=True, related_name="+", db_index=False
    )
    text = models.TextField(_("answer"))
    number = models.DecimalField(_("number"), max_digits=20, decimal_places=6, null=True)
    code = models.ForeignKey(
        Option,
        verbose_name=pgettext_lazy("survey coding", "category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("free-text answer")
        verbose_name_plural = _("free-text answers")
        indexes = [
            models.Index(fields=["question", "code"], name="survey_text_question_code"),
            models.Index(fields=["group"], name="survey_text_group"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_text_once")
        ]

    def __str__(self) -> str:
        return self.text[:50]


class CodingStep(models.Model):
    """One coding action (one answer, or every result of a search), kept so that the
    person who made it can undo it: the answers and the codes they had before."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    code = models.ForeignKey(Option, on_delete=models.SET_NULL, null=True, related_name="+")
    # [[text answer id, code id before or null], …]
    previous = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("coding step")
        verbose_name_plural = _("coding steps")

    def __str__(self) -> str:
        return f"{self.question_id} {self.created_at:%Y-%m-%d %H:%M}"
