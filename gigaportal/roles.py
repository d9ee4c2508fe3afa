from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SUPPORT = "support", _("Support staff")
    LEADER = "leader", _("Leader")
    SCHOOL = "school", _("School user")
    ADMIN = "admin", _("Administrator")


# "Center staff" means one thing everywhere: the support center's own people, the
# support staff and their leader. They are the ones named on records, visits and
# campaigns, and counted in the committee's tables by staff member.
CENTER_STAFF_ROLES = frozenset({Role.SUPPORT, Role.LEADER})
# The center's side of the portal: center staff and the portal's administrators. They
# work across all schools (gigaportal.scope), and the staff pages are theirs.
STAFF_ROLES = CENTER_STAFF_ROLES | {Role.ADMIN}
# Those who plan and report: the leader's pages, imports, policies.
LEADER_ROLES = frozenset({Role.LEADER, Role.ADMIN})
ALL_ROLES = frozenset(Role)
