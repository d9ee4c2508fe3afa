from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gigaportal import calendar
from gigaportal.roles import LEADER_ROLES, STAFF_ROLES, Role


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
    is_active = models.BooleanField(_("active"), default=True)

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
        return f"{calendar.fiscal_year_label(self.fiscal_year)} {self.number}学期"

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
