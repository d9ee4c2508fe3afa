from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SUPPORT = "support", _("Support staff")
    LEADER = "leader", _("Leader")
    SCHOOL = "school", _("School user")
    ADMIN = "admin", _("Administrator")


# The center's own people: they work across all schools.
STAFF_ROLES = frozenset({Role.SUPPORT, Role.LEADER, Role.ADMIN})
# Those who plan and report: the leader's pages, dashboards, policies.
LEADER_ROLES = frozenset({Role.LEADER, Role.ADMIN})
ALL_ROLES = frozenset(Role)
