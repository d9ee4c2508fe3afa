"""Who may open each support page (see tests/access.py for the format)."""

import datetime as dt

from support.models import Campaign, Kind, Status
from tests.access import EVERYONE, LEADERS, SCHOOL, STAFF, View
from tests.support.factories import make_record, make_request


def build(world):
    world.record_a = make_record(
        school=world.school_a, staff=world.support_staff, what_was_done="A校の記録マーカー"
    )
    world.record_b = make_record(
        school=world.school_b,
        staff=world.support_staff,
        kind=Kind.ONLINE,
        what_was_done="B校の記録マーカー",
    )
    world.request_a = make_request(
        school=world.school_a, requested_by=world.school_a_user, details="A校の依頼マーカー"
    )
    world.request_b = make_request(
        school=world.school_b,
        requested_by=world.school_b_user,
        status=Status.SCHEDULED,
        staff=[world.support_staff],
        details="B校の依頼マーカー",
    )
    world.campaign = Campaign.objects.create(
        name="iPadOS更新",
        start=dt.date(2022, 8, 1),
        end=dt.date(2022, 8, 5),
        created_by=world.leader,
    )


LEADER_OR_SCHOOL = LEADERS | SCHOOL

VIEWS = [
    View("support:record_list", roles=EVERYONE, hidden=lambda w: w.school_b.name),
    View("support:record_create", roles=STAFF),
    View(
        "support:record_detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.record_a.pk},
        other_school_kwargs=lambda w: {"pk": w.record_b.pk},
    ),
    # The author edits a record on the day it was logged; the leader and admin always.
    View(
        "support:record_edit",
        roles=STAFF,
        kwargs=lambda w: {"pk": w.record_a.pk},
        other_school_kwargs=lambda w: {"pk": w.record_b.pk},
    ),
    View("support:import", roles=LEADERS),
    View(
        "support:request_list",
        roles=EVERYONE,
        query="?status=all",
        hidden=lambda w: w.school_b.name,
    ),
    View("support:request_create", roles=LEADER_OR_SCHOOL),
    View(
        "support:request_detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.request_a.pk},
        other_school_kwargs=lambda w: {"pk": w.request_b.pk},
    ),
    # A POST with no data: the allowed get the page back with the form's message.
    View(
        "support:request_schedule",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"pk": w.request_a.pk},
        ok_status=(302,),
    ),
    # The confirmation page, then the cancellation itself (with a reason and the tick).
    View(
        "support:request_cancel",
        roles=LEADER_OR_SCHOOL,
        kwargs=lambda w: {"pk": w.request_a.pk},
        other_school_kwargs=lambda w: {"pk": w.request_b.pk},
        id="support:request_cancel[confirm page]",
    ),
    View(
        "support:request_cancel",
        roles=LEADER_OR_SCHOOL,
        method="post",
        data=lambda w: {"note": "日程が合わないため", "confirm": "on"},
        kwargs=lambda w: {"pk": w.request_a.pk},
        other_school_kwargs=lambda w: {"pk": w.request_b.pk},
        ok_status=(302,),
    ),
    View(
        "support:request_comment",
        roles=EVERYONE,
        method="post",
        data=lambda w: {"text": "3時間目にお願いします。"},
        kwargs=lambda w: {"pk": w.request_a.pk},
        other_school_kwargs=lambda w: {"pk": w.request_b.pk},
        ok_status=(302,),
    ),
    View("support:campaign_list", roles=STAFF),
    View("support:campaign_create", roles=LEADERS),
    View("support:campaign_detail", roles=STAFF, kwargs=lambda w: {"pk": w.campaign.pk}),
    View("support:calendar", roles=STAFF),
    View("support:feed_settings", roles=STAFF),
    # The feed is reached by its secret address alone; a wrong token is a 404 for all.
    View(
        "support:feed",
        roles=EVERYONE,
        public=True,
        kwargs=lambda w: {"token": "not-a-real-token"},
        ok_status=(404,),
    ),
    View(
        "support:report_terms",
        roles=STAFF,
        query="?fy=2022",
        also_check=("?fy=2022&download=csv",),
    ),
    View("support:report_terms_chart", roles=STAFF, query="?fy=2022"),
    View(
        "support:report_months",
        roles=STAFF,
        query="?from=2022-04&to=2022-12",
        also_check=("?from=2022-04&to=2022-12&download=csv",),
    ),
    View(
        "support:report_schools",
        roles=STAFF,
        hidden=lambda w: w.school_b.name,
        also_check=("?download=csv",),
    ),
    View("support:report_staff", roles=STAFF, also_check=("?download=xlsx",)),
    View("support:report_topics", roles=STAFF),
    View(
        "support:report_open_requests",
        roles=STAFF,
        hidden=lambda w: w.school_b.name,
        also_check=("?download=csv",),
    ),
    View(
        "support:school_history",
        roles=EVERYONE,
        kwargs=lambda w: {"school_pk": w.school_a.pk},
        other_school_kwargs=lambda w: {"school_pk": w.school_b.pk},
        also_check=("?download=csv",),
    ),
]
