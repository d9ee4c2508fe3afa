"""Who may open each traffic page (see tests/access.py)."""

from gigaportal.calendar import Month
from gigaportal.models import ImportBatch
from tests.access import EVERYONE, LEADERS, SCHOOL, STAFF, View
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import SchoolNotice

SEP, OCT, NOV, DEC = (Month(2022, m) for m in (9, 10, 11, 12))
B_LINE = "070-8888-0001"


def build(world):
    """School A: one heavy line; school B: three (one with a known number). Both months
    evaluated, so each school has cases at ② and a notice in its inbox."""
    make_policy()
    world.line_a = make_line(school=world.school_a, number="070-7777-0001")
    set_usage(world.line_a, SEP, 250)
    set_usage(world.line_a, OCT, 250)
    world.lines_b = [
        make_line(school=world.school_b, number=B_LINE),
        make_line(school=world.school_b),
        make_line(school=world.school_b),
    ]
    for line in world.lines_b:
        set_usage(line, SEP, 210)
        set_usage(line, OCT, 210)
    # Line A and school B's first line stay heavy until step ④, the parents' letter.
    for line in (world.line_a, world.lines_b[0]):
        set_usage(line, NOV, 250)
        set_usage(line, DEC, 250)
    for month in (SEP, OCT, NOV, DEC):
        services.evaluation_run(month=month)
    world.case_a = world.line_a.cases.get()
    world.case_b = world.lines_b[0].cases.get()
    notices = SchoolNotice.objects.order_by("pk")
    world.notice_a = notices.filter(school=world.school_a, action__kind="school_notice").first()
    world.notice_b = notices.filter(school=world.school_b, action__kind="school_notice").first()
    world.letter_a = notices.get(school=world.school_a, action__kind="parent_letter")
    world.letter_b = notices.filter(school=world.school_b, action__kind="parent_letter").first()
    # January 2023 is in but not confirmed (the leader's confirm); December, the latest
    # evaluated month, has nothing sent yet (the leader's reopen).
    set_usage(world.line_a, Month(2023, 1), 1, confirmed=False)
    # A usage file imported in the background: its batch pages (gigaportal.imports).
    world.usage_batch = ImportBatch.objects.create(
        kind="traffic_usage",
        file_name="usage.csv",
        size=10,
        status=ImportBatch.Status.DONE,
        created=3,
        by=world.leader,
        by_name=world.leader.display_name,
    )


def a(pk_of):
    return lambda w: {"pk": pk_of(w).pk}


VIEWS = [
    # Monthly totals: school A's user sees its own 250 GB a month, staff the city's 880.
    View("traffic:usage", roles=EVERYONE, hidden=lambda w: "880", also_check=("?download=csv",)),
    View("traffic:usage_chart", roles=EVERYONE),
    # Cohort flow: staff see "② 4" in October; school A only its own "② 1".
    View("traffic:flow", roles=EVERYONE, hidden=lambda w: "② 4"),
    View(
        "traffic:case_list",
        roles=EVERYONE,
        hidden=lambda w: B_LINE,
        also_check=("?download=csv", "?month=2022-10&stage=2"),
    ),
    View(
        "traffic:case_detail",
        roles=EVERYONE,
        kwargs=a(lambda w: w.case_a),
        other_school_kwargs=a(lambda w: w.case_b),
    ),
    View("traffic:line_list", roles=EVERYONE, hidden=lambda w: B_LINE),
    View(
        "traffic:line_detail",
        roles=EVERYONE,
        kwargs=a(lambda w: w.line_a),
        other_school_kwargs=a(lambda w: w.lines_b[0]),
    ),
    View("traffic:inbox", roles=EVERYONE, hidden=lambda w: w.school_b.name),
    View(
        "traffic:notice_detail",
        roles=EVERYONE,
        kwargs=a(lambda w: w.notice_a),
        other_school_kwargs=a(lambda w: w.notice_b),
    ),
    View(
        "traffic:notice_print",
        roles=EVERYONE,
        kwargs=a(lambda w: w.letter_a),
        other_school_kwargs=a(lambda w: w.letter_b),
    ),
    # Only the school acknowledges its notices.
    View(
        "traffic:notice_acknowledge",
        roles=SCHOOL,
        method="post",
        kwargs=a(lambda w: w.notice_a),
        other_school_kwargs=a(lambda w: w.notice_b),
        ok_status=(302,),
    ),
    View("traffic:import", roles=LEADERS),
    # The pages of a large upload's batch (were traffic:import_job and its status).
    View(
        "imports:detail",
        roles=LEADERS,
        kwargs=a(lambda w: w.usage_batch),
        id="imports:detail[traffic_usage]",
    ),
    View(
        "imports:status",
        roles=LEADERS,
        kwargs=a(lambda w: w.usage_batch),
        id="imports:status[traffic_usage]",
    ),
    # The months' states: the leader's page, its confirm and reopen steps (GET shows the
    # figures again, POST does it: the second leader finds it done, 409 with the reason).
    View("traffic:months", roles=LEADERS),
    View("traffic:month_confirm", roles=LEADERS, kwargs=lambda w: {"month": "2023-01"}),
    View(
        "traffic:month_confirm",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"month": "2023-01"},
        ok_status=(302, 409),
        id="traffic:month_confirm[post]",
    ),
    View("traffic:month_reopen", roles=LEADERS, kwargs=lambda w: {"month": "2022-12"}),
    View(
        "traffic:month_reopen",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"month": "2022-12"},
        ok_status=(302, 409),
        id="traffic:month_reopen[post]",
    ),
    View(
        "traffic:mdm_csv",
        roles=STAFF,
        hidden=lambda w: B_LINE,
        query="?kind=tablet_caution&month=2022-09",
    ),
]
