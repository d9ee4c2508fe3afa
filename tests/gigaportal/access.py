from gigaportal import changelog
from gigaportal.models import ImportBatch, ObjectChange
from tests.access import EVERYONE, LEADERS, SCHOOL, STAFF, View

# In the change log's entry about school B only: school A's user must never read it.
CHANGE_MARKER_B = "changelog-marker-of-school-b"


def build(world):
    # One change-log entry about each school's own object (a School row: its
    # school_path is its pk), so each school user has a history to open and one to be
    # refused.
    world.change_a = changelog.record(
        by=world.admin,
        action=ObjectChange.Action.UPDATE,
        obj=world.school_a,
        changes={"email": ["old-a@schools.example.jp", world.school_a.email]},
    )
    world.change_b = changelog.record(
        by=world.admin,
        action=ObjectChange.Action.UPDATE,
        obj=world.school_b,
        changes={"email": [f"{CHANGE_MARKER_B}@schools.example.jp", world.school_b.email]},
    )
    world.import_batch = ImportBatch.objects.create(
        kind="schools",
        file_name="harness-schools.csv",
        sha256="0" * 64,
        status=ImportBatch.Status.DONE,
        by=world.leader,
        by_name=world.leader.display_name,
        created=2,
    )


def _history(school):
    return {"model": "gigaportal.school", "object_id": str(school.pk)}


# The change list, narrowed to School entries so that the marker stays on the first
# page whatever the other apps' builds log; the unfiltered download is checked too.
CHANGES_QUERY = "?model=gigaportal.school"

VIEWS = [
    View("home", roles=EVERYONE),
    View("healthz", roles=EVERYONE, public=True),
    View("favicon", roles=EVERYONE, public=True, ok_status=(302,)),
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
    # What came in: the leader's and administrators' pages.
    View("imports:list", roles=LEADERS, hidden=lambda w: w.import_batch.file_name),
    View("imports:detail", roles=LEADERS, kwargs=lambda w: {"pk": w.import_batch.pk}),
    View("imports:status", roles=LEADERS, kwargs=lambda w: {"pk": w.import_batch.pk}),
    # The change log: the leader and administrators read every entry, a school user
    # only those about their school's objects (never school B's, in the page or in its
    # downloads); support staff have no change-log page.
    View(
        "changes:list",
        roles=LEADERS | SCHOOL,
        query=CHANGES_QUERY,
        hidden=lambda w: CHANGE_MARKER_B,
        also_check=(
            f"{CHANGES_QUERY}&download=csv",
            "?download=csv",
            "?action=update&download=csv",
        ),
    ),
    # Anybody may open the history of an object they may see; school B's object's
    # history is a 404 for school A's user.
    View(
        "changes:object",
        roles=EVERYONE,
        kwargs=lambda w: _history(w.school_a),
        other_school_kwargs=lambda w: _history(w.school_b),
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
