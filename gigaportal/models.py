from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gigaportal import calendar
from gigaportal.roles import CENTER_STAFF_ROLES, LEADER_ROLES, STAFF_ROLES, Role
from gigaportal.scope import ScopedQuerySet


class School(models.Model):
    class Kind(models.TextChoices):
        ELEMENTARY = "elementary", _("Elementary school")
        JUNIOR_HIGH = "junior_high", _("Junior high school")
        SPECIAL_NEEDS = "special_needs", _("Special-needs school")
        BRANCH = "branch", _("Branch school")
        HIGH = "high", _("High school")

    code = models.CharField(_("school code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    email = models.EmailField(_("contact e-mail"), blank=True)
    # Letters to the parents are signed by the principal (校長名).
    principal_name = models.CharField(_("principal"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    school_path = "pk"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.name


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal user. The role decides the pages; a school user is bound to one school."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SUPPORT)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A school user without a school could see nothing or, worse, be mistaken
            # for staff by careless code: the database refuses that state.
            models.CheckConstraint(
                condition=Q(role=Role.SCHOOL, school__isnull=False) | ~Q(role=Role.SCHOOL),
                name="school_user_has_school",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_center_staff(self) -> bool:
        """Support staff or the leader (gigaportal.roles.CENTER_STAFF_ROLES)."""
        return self.is_active and self.role in CENTER_STAFF_ROLES

    @property
    def sees_all_schools(self) -> bool:
        """Center staff and administrators: every school's rows (gigaportal.scope)."""
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_leader(self) -> bool:
        return self.is_active and self.role in LEADER_ROLES

    @property
    def is_school_user(self) -> bool:
        return self.role == Role.SCHOOL

    def clean(self) -> None:
        super().clean()
        if self.role == Role.SCHOOL and self.school_id is None:
            raise ValidationError({"school": _("A school user must belong to a school.")})


class FiscalTerm(models.Model):
    """A term (学期) of one fiscal year, when it differs from the default calendar."""

    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    number = models.PositiveSmallIntegerField(_("term"), choices=[(1, 1), (2, 2), (3, 3)])
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))

    class Meta:
        ordering = ["fiscal_year", "number"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "number"], name="one_term_number_a_year"
            ),
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="term_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        from gigaportal import dates

        return f"{dates.fiscal_year_text(self.fiscal_year)} {dates.term_text(self.number)}"

    def as_term(self) -> calendar.Term:
        return calendar.Term(self.fiscal_year, self.number, self.start, self.end)

    def clean(self) -> None:
        if not (self.fiscal_year and self.number and self.start and self.end):
            return  # the field errors say what is missing
        # Checked together with the year's other terms (edited or default): a term
        # outside its year, or overlapping another, would count a visit in two terms.
        others = FiscalTerm.objects.filter(fiscal_year=self.fiscal_year).exclude(number=self.number)
        year = calendar.merge_terms(
            self.fiscal_year, [*(t.as_term() for t in others), self.as_term()]
        )
        if calendar.validate_terms(year):
            raise ValidationError(
                _(
                    "The term must lie inside its fiscal year, end after it starts and "
                    "not overlap another term of the year."
                )
            )


class Heartbeat(models.Model):
    """When a periodic task last ran on a worker; /healthz reports it so a stopped
    beat or worker is noticed."""

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M}"


class Via(models.TextChoices):
    """How a change reached the portal."""

    WEB = "web", _("portal page")
    ADMIN = "admin", _("Django admin")
    COMMAND = "command", _("command line")
    SYSTEM = "system", _("automatic")


class Attributed(models.Model):
    """Who did it: the person (kept as they were named), the channel and the request."""

    by = models.ForeignKey(
        "User",
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    by_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.WEB)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)

    class Meta:
        abstract = True

    @property
    def by_display(self) -> str:
        """The person's name; for the command line, the login that ran it; else the
        portal itself (in the reader's language)."""
        if self.by_id or self.via not in (Via.COMMAND, Via.SYSTEM):
            return self.by_name
        label = str(self.get_via_display())
        return f"{label} ({self.by_name})" if self.by_name else label


class ObjectChange(Attributed):
    """Who changed what, when (after NetBox's ObjectChange).

    Written by the services in the transaction that makes the change (see
    gigaportal.changelog), and by Django admin through the same services. A bulk import
    is one entry, for its ImportBatch, never one per row. The person's name and the
    object's text are kept as they were, so the entry still reads right after a rename
    or a deletion.
    """

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("change log", "created")
        UPDATE = "update", pgettext_lazy("change log", "changed")
        DELETE = "delete", pgettext_lazy("change log", "deleted")
        IMPORT = "import", pgettext_lazy("change log", "imported")
        SCHEDULE = "schedule", pgettext_lazy("change log", "scheduled")
        COMPLETE = "complete", pgettext_lazy("change log", "completed")
        CANCEL = "cancel", pgettext_lazy("change log", "cancelled")
        CONFIRM = "confirm", pgettext_lazy("change log", "confirmed")
        DISMISS = "dismiss", pgettext_lazy("change log", "dismissed")
        ISSUE = "issue", pgettext_lazy("change log", "spare issued")
        EVALUATE = "evaluate", pgettext_lazy("change log", "evaluated")
        ACKNOWLEDGE = "acknowledge", pgettext_lazy("change log", "acknowledged")
        RESEND = "resend", pgettext_lazy("change log", "sent again")
        LOGIN = "login", pgettext_lazy("change log", "logged in")
        LOGIN_FAILED = "login_failed", pgettext_lazy("change log", "login failed")

    Via = Via

    time = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(
        pgettext_lazy("change log", "action"), max_length=20, choices=Action.choices
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("object type"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    school = models.ForeignKey(
        School,
        verbose_name=_("school"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # {"field": [before, after]}; a creation has None before, a deletion None after.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    school_path = "school"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("change log")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="changelog_object"),
            models.Index(fields=["school", "time"], name="changelog_school_time"),
            models.Index(fields=["by", "time"], name="changelog_by_time"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.time)
        return (
            f"{when:%Y-%m-%d %H:%M} {self.by_name} {self.get_action_display()} {self.object_repr}"
        )

    def lines(self):
        """The changes as a person reads them (gigaportal.changelog.change_lines)."""
        from gigaportal.changelog import change_lines

        return change_lines(self)


class ImportBatch(Attributed):
    """One file brought in by an import (schools, users, devices, device events, data
    usage, the support log, surveys): who, when, which file (name and SHA-256), what it
    did, and for a browser upload handled by a worker, its progress.

    The same file twice is a no-op everywhere, in the way its kind needs: an additive
    kind (the support log, device events: the same rows twice would count twice) never
    applies a file it applied before, and a unique index makes that hold even for two
    uploads at the same moment; a kind that replaces (schools, users, devices, a usage
    month) skips a file only when it is the last one applied, so an earlier file can be
    imported again to undo a later one.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("imported")
        UNCHANGED = "unchanged", _("already imported")
        FAILED = "failed", _("refused")

    kind = models.CharField(_("kind"), max_length=40)
    # What the file went into when a kind has several (gigaportal.imports.Importer.target).
    target = models.CharField(_("imported into"), max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    # A browser upload waiting for (or read by) a worker; deleted when the batch ends.
    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    # The uploader's language: a worker writes the row messages in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # The importer's rows add to what is there (see the class's docstring).
    additive = models.BooleanField(_("adds rows"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    refused = models.PositiveIntegerField(_("rows refused"), default=0)
    # Row-numbered messages of a refused file.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # What else the kind reports (the months of a usage file, new lines, …).
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["kind", "sha256"], name="import_kind_digest")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target", "sha256"],
                condition=Q(status="done", additive=True) & ~Q(sha256=""),
                name="import_applied_once",
            )
        ]

    def __str__(self) -> str:
        return self.file_name or f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.UNCHANGED, self.Status.FAILED}


class SubmitToken(models.Model):
    """One form submitted once (gigaportal.submits): the token a form page was issued,
    spent by its first post, and what that post made, so that a double click or a
    re-sent form finds the first result instead of making a second. The unique index
    on `token` is what decides when two posts of one token arrive at the same moment."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(_("token"), max_length=64, unique=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("object type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Where a repeat of the post is sent: the page the first post went to.
    url = models.CharField(_("address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("submitted form")
        verbose_name_plural = _("submitted forms")

    def __str__(self) -> str:
        return f"{self.user_id} {self.token[:8]}… @ {self.created_at:%Y-%m-%d %H:%M}"
