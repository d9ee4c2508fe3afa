"""Security and governance: the information-security policy's documents and their
versions, the schools' acknowledgements of them, the organisation charts, the working
groups' topics and the register of learning software the schools asked to add.

Policy versions and charts are versions by effective date (gigaportal.versions), the
same mechanism as traffic's heavy-usage policy. Which edits are allowed (a version
approved and in force is frozen) is decided by security.rules and enforced by
security.services, which Django admin calls too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gigaportal.models import School
from gigaportal.outbox import OutboxItem
from gigaportal.scope import ScopedQuerySet
from gigaportal.versions import VersionedQuerySet
from security import rules

# --- Policy documents --------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    BASIC_POLICY = "basic_policy", _("Basic policy")
    STANDARDS = "standards", _("Security standards")
    PROCEDURES = "procedures", _("Implementation procedures")
    GUIDELINE = "guideline", _("Guideline")


class PolicyDocument(models.Model):
    """One document of the policy (基本方針, 対策基準, …); its text is in its versions."""

    title = models.CharField(_("document title"), max_length=200)
    kind = models.CharField(_("type of document"), max_length=20, choices=DocumentKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = rules.VersionStatus.DRAFT.value, _("draft version")
    APPROVED = rules.VersionStatus.APPROVED.value, _("approved version")


class PolicyVersion(models.Model):
    """A version of a document: a draft until approved; in force from its effective
    date until the next approved version's. Approved and in force, it is frozen: a
    correction is a new version (security.services.policy_version_new)."""

    document = models.ForeignKey(
        PolicyDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    label = models.CharField(_("version"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A draft may not have its date yet; an approved version always has one.
    effective_from = models.DateField(_("effective date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    original_file = models.FileField(_("original file"), upload_to="security/policy/", blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-effective_from", "-id"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            # Two approved versions of one document taking effect the same day would
            # leave "the version in force" to chance.
            models.UniqueConstraint(
                fields=["document", "effective_from"],
                condition=Q(status="approved"),
                name="security_one_approved_version_a_day",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(effective_from__isnull=False, approved_on__isnull=False),
                name="security_approved_version_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.label}"

    @property
    def is_approved(self) -> bool:
        return self.status == VersionStatus.APPROVED

    def facts(self) -> rules.VersionFacts:
        return rules.VersionFacts(
            status=rules.VersionStatus(self.status), effective_from=self.effective_from
        )

    def is_frozen(self, today=None) -> bool:
        return rules.is_frozen(self.facts(), today=today or timezone.localdate())


class PolicySection(models.Model):
    """An article (条) of a version; its paragraphs (項) are the body's lines. Articles
    are matched by number across versions, so a diff and a citation ("第5条第2項")
    mean the same article in every version."""

    version = models.ForeignKey(
        PolicyVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="sections"
    )
    chapter = models.CharField(_("chapter"), max_length=100, blank=True)
    article = models.PositiveSmallIntegerField(_("article number"))
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    body = models.TextField(_("article text"), help_text=_("One paragraph (項) per line."))

    class Meta:
        ordering = ["version", "article"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "article"], name="security_one_article_number_a_version"
            )
        ]

    def __str__(self) -> str:
        return rules.citation(self.article)

    def paragraphs(self) -> list[str]:
        return rules.paragraphs(self.body)


class ReasonCategory(models.TextChoices):
    NATIONAL_GUIDELINE = "national_guideline", _("Revision of the national guideline")
    PLATFORM = "platform", _("Renewal of the education information platform")
    ORGANISATION = "organisation", _("Reorganisation of the board")
    OTHER = "other", _("Other")


class RevisionReason(models.Model):
    """Why a version was revised: a category, a statement, and its items (one a line;
    a line starting with ・ details the item above it)."""

    version = models.ForeignKey(
        PolicyVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="reasons"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    category = models.CharField(_("category"), max_length=30, choices=ReasonCategory.choices)
    title = models.CharField(_("reason"), max_length=300)
    items = models.TextField(
        _("items"),
        blank=True,
        help_text=_("One item per line; a line starting with ・ details the item above it."),
    )

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("revision reason")
        verbose_name_plural = _("revision reasons")

    def __str__(self) -> str:
        return self.title

    def item_list(self) -> list[rules.Item]:
        return rules.items(self.items)


# --- Acknowledgements ------------------------------------------------------------------------


class Acknowledgement(models.Model):
    """A school's security manager (the school's account) has read a version."""

    version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="acknowledgements",
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "school"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "school"], name="security_one_acknowledgement_a_school"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.version}"


class AcknowledgementReminder(OutboxItem):
    """The e-mail asking a school to acknowledge a version, through the one outbox
    (gigaportal.outbox). One a school and version a day: a second click on the
    leader's button the same day sends nothing more."""

    version = models.ForeignKey(
        PolicyVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="reminders"
    )
    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+"
    )
    reminded_on = models.DateField(_("reminded on"), default=timezone.localdate)
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    task_name = "security.tasks.send_reminders"
    max_attempts = 5
    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta(OutboxItem.Meta):
        ordering = ["created_at", "id"]
        verbose_name = _("acknowledgement reminder")
        verbose_name_plural = _("acknowledgement reminders")
        # The outbox's index, under a name short enough for every database.
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="security_reminder_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "school", "reminded_on"],
                name="security_one_reminder_a_school_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"


# --- Organisation charts -----------------------------------------------------------------------


class ChartKind(models.TextChoices):
    SECURITY = "security", _("Security organisation")
    CSIRT = "csirt", _("CSIRT")
    COMMITTEE = "committee", _("Committee")


class OrgChart(models.Model):
    """A version of an organisation chart: the charts sharing a slug are its versions,
    each in force from its effective date (gigaportal.versions)."""

    slug = models.SlugField(_("slug"), max_length=50)
    title = models.CharField(_("chart title"), max_length=200)
    kind = models.CharField(_("type of chart"), max_length=20, choices=ChartKind.choices)
    effective_from = models.DateField(_("effective date"))
    notes = models.TextField(_("notes"), blank=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-effective_from"]
        verbose_name = _("organisation chart")
        verbose_name_plural = _("organisation charts")
        constraints = [
            models.UniqueConstraint(
                fields=["slug", "effective_from"], name="security_one_chart_version_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.effective_from:%Y-%m-%d}〜)"


class OrgNode(models.Model):
    """A box of a chart: a position (or a body: a working group, a meeting), who holds
    it, its duties and members, under its parent."""

    chart = models.ForeignKey(
        OrgChart,
        verbose_name=_("organisation chart"),
        on_delete=models.CASCADE,
        related_name="nodes",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("box above"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    position = models.CharField(_("position in the chart"), max_length=200)
    holders = models.TextField(_("holders"), blank=True, help_text=_("One a line."))
    duties = models.TextField(_("duties"), blank=True, help_text=_("One a line."))
    members = models.TextField(_("members"), blank=True, help_text=_("One a line."))
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["chart", "order", "id"]
        verbose_name = _("chart box")
        verbose_name_plural = _("chart boxes")

    def __str__(self) -> str:
        return self.position

    def holder_list(self) -> list[str]:
        return rules.lines(self.holders)

    def duty_list(self) -> list[str]:
        return rules.lines(self.duties)

    def member_list(self) -> list[str]:
        return rules.lines(self.members)


class LinkKind(models.TextChoices):
    SAME_POSITION = "same_position", _("Also holds")
    MEETING = "meeting", _("Related meeting")
    SYSTEM = "system", _("Related system")
    WORK = "work", _("Related work")
    LIAISON = "liaison", _("Works with")


class OrgLink(models.Model):
    """What a tree cannot say: a CSIRT member is a position in another chart, a working
    group has related meetings and systems. Points at another box, or names the thing."""

    node = models.ForeignKey(
        OrgNode, verbose_name=_("box"), on_delete=models.CASCADE, related_name="links"
    )
    kind = models.CharField(_("type of link"), max_length=20, choices=LinkKind.choices)
    target = models.ForeignKey(
        OrgNode,
        verbose_name=_("other box"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="links_in",
    )
    label = models.CharField(_("name"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["node", "kind", "order", "id"]
        verbose_name = _("chart link")
        verbose_name_plural = _("chart links")
        constraints = [
            models.CheckConstraint(
                condition=Q(target__isnull=False) | ~Q(label=""),
                name="security_link_names_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.node} → {self.label or self.target}"

    @property
    def text(self) -> str:
        if self.label:
            return self.label
        return str(self.target) if self.target_id else ""


# --- Working-group topics ----------------------------------------------------------------------


class TopicStatus(models.TextChoices):
    UNDER_DISCUSSION = "discussing", _("Under discussion")
    DECIDED = "decided", _("Decided")
    CONTINUING = "continuing", _("Continuing")


class WorkingGroupTopic(models.Model):
    """A theme a working group discussed and what it decided, for the committee's
    "各部会の取組状況"."""

    group = models.ForeignKey(
        OrgNode,
        verbose_name=_("working group"),
        on_delete=models.PROTECT,
        related_name="topics",
        limit_choices_to={"chart__kind": ChartKind.COMMITTEE},
    )
    theme = models.CharField(_("theme of the year"), max_length=200, blank=True)
    title = models.CharField(_("discussion topic"), max_length=200)
    summary = models.TextField(_("discussion and decision"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TopicStatus.choices)
    meeting_date = models.DateField(_("meeting date"))
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["meeting_date", "group", "order", "id"]
        verbose_name = _("working-group topic")
        verbose_name_plural = _("working-group topics")

    def __str__(self) -> str:
        return self.title


# --- Software requests -------------------------------------------------------------------------


class RequestStatus(models.TextChoices):
    UNDER_REVIEW = rules.RequestStatus.UNDER_REVIEW.value, _("under review")
    APPROVED = rules.RequestStatus.APPROVED.value, _("approved for use")
    REJECTED = rules.RequestStatus.REJECTED.value, _("not approved")


class CheckResult(models.TextChoices):
    PENDING = rules.Check.PENDING.value, _("Not checked")
    OK = rules.Check.OK.value, _("No problem")
    CONDITIONAL = rules.Check.CONDITIONAL.value, _("Acceptable with conditions")
    PROBLEM = rules.Check.PROBLEM.value, _("Problem")


class Cost(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")


class SoftwareRequest(models.Model):
    """A school asks to add a browser-based learning software; the center checks it
    (single sign-on in Google Workspace, pupils' data, the service's security terms)
    and decides, with conditions. Approved requests are the register."""

    school = models.ForeignKey(
        School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("software"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    purpose = models.TextField(_("purpose"))
    cost = models.CharField(_("cost"), max_length=10, choices=Cost.choices)
    needs_google_sign_in = models.BooleanField(_("needs Google sign-in"), default=False)
    pupil_data = models.TextField(_("pupils' data it collects"), blank=True)
    terms_url = models.URLField(_("terms of service (URL)"), max_length=500, blank=True)
    terms_notes = models.TextField(_("notes on its terms"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.UNDER_REVIEW,
    )
    check_sign_on = models.CharField(
        _("single sign-on setting (Google Workspace)"),
        max_length=20,
        choices=CheckResult.choices,
        default=CheckResult.PENDING,
    )
    check_personal_data = models.CharField(
        _("personal data"), max_length=20, choices=CheckResult.choices, default=CheckResult.PENDING
    )
    check_security_terms = models.CharField(
        _("the service's security terms"),
        max_length=20,
        choices=CheckResult.choices,
        default=CheckResult.PENDING,
    )
    review_notes = models.TextField(_("review notes"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("software request")
        verbose_name_plural = _("software requests")
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.school})"

    @property
    def checks(self) -> rules.Checklist:
        return rules.Checklist(
            sign_on=rules.Check(self.check_sign_on),
            personal_data=rules.Check(self.check_personal_data),
            security_terms=rules.Check(self.check_security_terms),
        )

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.UNDER_REVIEW
