"""Pages: logging with prefilled values, reports without N+1, school scoping."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from support.models import Kind, Status, SupportRecord, SupportRequest
from tests.factories import make_school, make_user, submit_token
from tests.support.factories import make_record, make_request, topic

pytestmark = pytest.mark.django_db


def test_the_log_form_prefills_today_my_name_and_suggests_my_visits_first(
    client, support_staff, school_a, school_a_user
):
    request = make_request(
        school=school_a,
        requested_by=school_a_user,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=timezone.localdate(),
    )
    client.force_login(support_staff)
    response = client.get(reverse("support:record_create"))
    form = response.context["form"]
    assert form.initial["date"] == timezone.localdate()
    assert form.initial["staff"] == [support_staff.pk]
    assert response.context["visits"] == [request]
    text = response.content.decode()
    assert "今日のあなたの訪問予定" in text
    assert f"?request={request.pk}" in text
    # The school select lists today's schools in their own group, first.
    assert text.index("今日の訪問予定") < text.index("すべての学校")


def test_logging_from_a_visit_closes_it(client, support_staff, school_a, school_a_user):
    request = make_request(
        school=school_a,
        requested_by=school_a_user,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=timezone.localdate(),
        topic=topic("faults"),
    )
    client.force_login(support_staff)
    page = client.get(reverse("support:record_create") + f"?request={request.pk}")
    initial = page.context["form"].initial
    assert initial["school"] == school_a.pk
    assert initial["topics"] == [topic("faults").pk]
    response = client.post(
        reverse("support:record_create"),
        {
            # The token the page gave (gigaportal.submits).
            "submit_token": initial["submit_token"],
            "request": request.pk,
            "school": school_a.pk,
            "kind": "visit",
            "date": timezone.localdate().isoformat(),
            "staff": [support_staff.pk],
            "topics": [topic("faults").pk],
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.DONE
    assert SupportRecord.objects.get().request == request


def test_a_forged_request_id_is_refused(client, support_staff, school_a, school_a_user):
    done = make_request(school=school_a, requested_by=school_a_user, status=Status.DONE)
    client.force_login(support_staff)
    response = client.post(
        reverse("support:record_create") + f"?request={done.pk}",
        {"school": school_a.pk, "kind": "visit", "date": "2022-10-03", "staff": [support_staff.pk]},
    )
    assert response.status_code == 302
    assert not SupportRecord.objects.exists()


def test_a_forged_school_is_a_form_error_in_japanese(client, support_staff):
    client.force_login(support_staff)
    response = client.post(
        reverse("support:record_create"),
        {"school": 999999, "kind": "visit", "date": "2022-10-03", "staff": [support_staff.pk]},
    )
    assert response.status_code == 400
    assert "正しく選択してください" in response.content.decode()
    assert not SupportRecord.objects.exists()


def test_staff_cannot_edit_yesterdays_record_but_the_leader_can(
    client, support_staff, leader, school_a
):
    record = make_record(school=school_a, staff=support_staff)
    SupportRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    client.force_login(support_staff)
    assert client.get(reverse("support:record_edit", args=[record.pk])).status_code == 403
    client.force_login(leader)
    assert client.get(reverse("support:record_edit", args=[record.pk])).status_code == 200


def test_a_school_user_asks_only_for_their_own_school(client, school_a_user, school_b):
    client.force_login(school_a_user)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("support:request_create"),
        {
            "submit_token": submit_token(school_a_user),
            "school": school_b.pk,
            "kind": "visit",
            "preferred_date_1": day,
            "details": "x",
        },
    )
    assert response.status_code == 302
    request = SupportRequest.objects.get()
    assert request.school == school_a_user.school


def test_the_term_report_shows_the_kinds_by_term_table(client, leader, support_staff, school_a):
    for day, kind in [
        (dt.date(2022, 4, 12), Kind.VISIT),
        (dt.date(2022, 9, 12), Kind.VISIT),
        (dt.date(2022, 9, 13), Kind.ONLINE),
        (dt.date(2023, 1, 12), Kind.TRAINING),
    ]:
        make_record(school=school_a, staff=support_staff, kind=kind, date=day)
    client.force_login(leader)
    response = client.get(reverse("support:report_terms") + "?fy=2022")
    report = response.context["report"]
    assert [c.key for c in report.columns] == ["kind", "term1", "term2", "term3", "total"]
    assert [list(r[1:]) for r in report.rows] == [[0, 1, 0, 1], [1, 1, 0, 2], [0, 0, 1, 1]]
    text = response.content.decode()
    assert "訪問支援" in text and "1学期" in text and "令和4年度" in text
    csv = client.get(reverse("support:report_terms") + "?fy=2022&download=csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0] == "区分,1学期,2学期,3学期,合計"
    chart = client.get(reverse("support:report_terms_chart") + "?fy=2022")
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"


def test_an_old_fiscal_year_link_redirects_to_the_fy_parameter(client, leader):
    client.force_login(leader)
    url = reverse("support:report_terms")
    response = client.get(url + "?fiscal_year=2022&download=csv")
    assert response.status_code == 302
    path, _, query = response.url.partition("?")
    assert path == url
    assert sorted(query.split("&")) == ["download=csv", "fy=2022"]
    assert client.get(response.url)["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize(
    "url_name",
    [
        "support:report_terms",
        "support:report_schools",
        "support:report_staff",
        "support:report_topics",
        "support:report_open_requests",
        "support:record_list",
        "support:request_list",
    ],
)
def test_pages_read_in_a_fixed_number_of_queries(
    client, leader, support_staff, school_a_user, url_name, django_assert_num_queries
):
    def add_rows(n):
        for _ in range(n):
            school = make_school()
            staff = make_user(role="support")
            record = make_record(
                school=school, staff=[staff, support_staff], date=dt.date(2022, 10, 3)
            )
            record.topics.set([topic("updates"), topic("faults")])
            make_request(school=school, requested_by=leader, status=Status.SCHEDULED, staff=[staff])

    url = reverse(url_name) + "?fy=2022&status=all"
    client.force_login(leader)
    add_rows(2)
    client.get(url)  # warm the session and the translation caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_rows(6)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_a_school_sees_only_its_own_history(
    client, school_a_user, school_a, school_b, support_staff
):
    make_record(school=school_a, staff=support_staff, what_was_done="A校で実施")
    make_record(school=school_b, staff=support_staff, what_was_done="B校で実施")
    client.force_login(school_a_user)
    text = client.get(reverse("support:school_history", args=[school_a.pk])).content.decode()
    assert "A校で実施" in text and "B校で実施" not in text
    assert client.get(reverse("support:school_history", args=[school_b.pk])).status_code == 404


@pytest.mark.parametrize("end", ["2025-12-31", "2023-08-02"])
def test_a_campaign_period_past_a_year_is_refused_in_japanese(
    client, leader, support_staff, school_a, end
):
    from support.models import Campaign

    client.force_login(leader)
    response = client.post(
        reverse("support:campaign_create"),
        {
            "submit_token": submit_token(leader),
            "name": "iPadOS更新",
            "start": "2022-08-01",
            "end": end,
            "kind": "visit",
            "schools": [school_a.pk],
            "staff": [support_staff.pk],
            "visits_per_staff_per_day": 2,
        },
    )
    assert response.status_code == 400
    assert "366日以内" in response.content.decode()
    assert not Campaign.objects.exists()
