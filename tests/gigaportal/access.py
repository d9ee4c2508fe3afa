from tests.access import EVERYONE, LEADERS, STAFF, View

VIEWS = [
    View("home", roles=EVERYONE),
    View("healthz", roles=EVERYONE, public=True),
    View("login", roles=EVERYONE, public=True, ok_status=(200, 302)),
    View("logout", roles=EVERYONE, public=True, method="post", ok_status=(302,)),
    View("password_change", roles=EVERYONE),
    View("password_change_done", roles=EVERYONE),
    View(
        "password_reset_confirm",
        roles=EVERYONE,
        public=True,
        kwargs=lambda w: {"uidb64": "MQ", "token": "invalid-token"},
    ),
    View("password_reset_complete", roles=EVERYONE, public=True),
    View("schools:list", roles=EVERYONE, hidden=lambda w: w.school_b.name),
    View("schools:import", roles=LEADERS),
    View(
        "schools:detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.school_a.pk},
        other_school_kwargs=lambda w: {"pk": w.school_b.pk},
    ),
    # Django admin is for administrators only; others are sent to its login page.
    View("admin:index", roles=frozenset({"admin"}), denied_status=(302,), id="admin:index"),
    View(
        "admin:gigaportal_user_changelist",
        roles=frozenset({"admin"}),
        denied_status=(302,),
    ),
]

# STAFF is re-exported for app declarations that import from here by habit.
__all__ = ["VIEWS", "STAFF"]
