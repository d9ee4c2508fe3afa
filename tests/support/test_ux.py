"""Issue 9, support: the record and request lists' filters, search and downloads; a
school's comment on its request; cancelling with a reason and a tick; the staff
report's names. Through the views, as a user would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from gigaportal.models import ObjectChange
from support.models import Kind, RequestComment, RequestEvent, Status, SupportRequest
from tests.factories import make_user, submit_token
from tests.support.factories import make_record, make_request

pytestmark = pytest.mark.django_db


def record_ids(response) -> list[int]:
    """The records of the record table, in the order shown."""
    assert response.status_code == 200
    pattern = re.escape(reverse("support:record_detail", args=[999999])).replace("999999", r"(\d+)")
    return [int(pk) for pk in re.findall(f'<td><a href="{pattern}">', response.content.decode())]


def request_ids(response) -> list[int]:
    assert response.status_code == 200
    pattern = re.escape(reverse("support:request_detail", args=[999999])).replace(
        "999999", r"(\d+)"
    )
    return [int(pk) for pk in re.findall(f'<td><a href="{pattern}">', response.content.decode())]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def colleague(db):
    from gigaportal.roles import Role

    return make_user(role=Role.SUPPORT, username="support_two", full_name="鈴木 一郎")


@pytest.fixture
def records(school_a, school_b, support_staff, colleague):
    """Three records: A by 佐藤 (visit), B by 鈴木 (online), A by both (training)."""
    return [
        make_record(
            school=school_a,
            staff=support_staff,
            kind=Kind.VISIT,
            date=dt.date(2022, 5, 10),
            what_was_done="電子黒板との接続を確認",
        ),
        make_record(
            school=school_b,
            staff=colleague,
            kind=Kind.ONLINE,
            date=dt.date(2022, 6, 20),
            what_was_done="Googleクラスルームの使い方",
        ),
        make_record(
            school=school_a,
            staff=[colleague, support_staff],
            kind=Kind.TRAINING,
            date=dt.date(2022, 9, 1),
            what_was_done="校内研修：ロイロノート",
        ),
    ]


# --- 9. The record list -----------------------------------------------------------------


def test_the_record_list_filters_by_school_staff_and_kind(
    client, support_staff, colleague, school_a, records
):
    """Issue 9: the record list filters by school, by staff member and by support kind."""
    visit, online, training = records
    client.force_login(support_staff)
    url = reverse("support:record_list")
    assert record_ids(client.get(url, {"school": school_a.pk})) == [training.pk, visit.pk]
    assert record_ids(client.get(url, {"staff": colleague.pk})) == [training.pk, online.pk]
    assert record_ids(client.get(url, {"kind": "online"})) == [online.pk]
    assert record_ids(client.get(url, {"school": school_a.pk, "kind": "visit"})) == [visit.pk]


def test_the_record_list_filters_by_a_date_range(client, support_staff, records):
    """Issue 9: from/to keep the records between the two days, both included."""
    visit, online, training = records
    client.force_login(support_staff)
    url = reverse("support:record_list")
    assert record_ids(client.get(url, {"from": "2022-05-10", "to": "2022-06-20"})) == [
        online.pk,
        visit.pk,
    ]
    assert record_ids(client.get(url, {"from": "2022-06-21"})) == [training.pk]
    assert record_ids(client.get(url, {"to": "2022-05-10"})) == [visit.pk]
    # Swapped by mistake: the same range.
    assert record_ids(client.get(url, {"from": "2022-06-20", "to": "2022-05-10"})) == [
        online.pk,
        visit.pk,
    ]


def test_mine_shows_only_the_logged_in_staff_members_records(
    client, support_staff, colleague, records
):
    """Issue 9: 「自分の記録のみ」 (?mine=1) shows only the records of the person logged in."""
    visit, online, training = records
    client.force_login(support_staff)
    url = reverse("support:record_list")
    assert record_ids(client.get(url, {"mine": "1"})) == [training.pk, visit.pk]
    # It wins over a staff filter for someone else.
    assert record_ids(client.get(url, {"mine": "1", "staff": colleague.pk})) == [
        training.pk,
        visit.pk,
    ]
    client.force_login(colleague)
    assert record_ids(client.get(url, {"mine": "1"})) == [training.pk, online.pk]


def test_the_record_search_finds_what_was_done_and_the_school_name(client, support_staff, records):
    """Issue 9: the record search looks in 「内容」 and in the school's name."""
    visit, online, training = records
    client.force_login(support_staff)
    url = reverse("support:record_list")
    assert record_ids(client.get(url, {"q": "ロイロ"})) == [training.pk]
    assert record_ids(client.get(url, {"q": "googleクラス"})) == [online.pk]  # any case
    assert record_ids(client.get(url, {"q": "第一中"})) == [online.pk]
    assert record_ids(client.get(url, {"q": "青葉", "kind": "visit"})) == [visit.pk]
    assert record_ids(client.get(url, {"q": "存在しない言葉"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2022-13-45"},
        {"to": "2022-02-30"},
        {"from": "abc", "to": "１２３"},
        {"from": "0001-01-01"},
        {"school": "abc", "staff": "-1", "kind": "evil"},
        {"sort": "evil", "page": "abc"},
        {"page": "999999"},
    ],
)
def test_bad_filter_values_are_ignored_not_an_error(client, support_staff, records, params):
    """Issue 9: a bad date (?from=2022-13-45) or id in the record filters is ignored: 200, never a 500."""
    client.force_login(support_staff)
    assert len(record_ids(client.get(reverse("support:record_list"), params))) == 3


def test_the_record_download_holds_the_filtered_records(client, support_staff, records):
    """Issue 9: the record list's CSV holds the rows the filters and the search select."""
    visit, online, training = records
    client.force_login(support_staff)
    rows = csv_rows(
        client.get(reverse("support:record_list"), {"q": "青葉", "mine": "1", "download": "csv"})
    )
    assert len(rows) == 3
    assert {row[-2] for row in rows[1:]} == {"電子黒板との接続を確認", "校内研修：ロイロノート"}


def test_the_record_list_makes_the_same_queries_for_3_and_30_records(
    client,
    support_staff,
    colleague,
    school_a,
    school_b,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    """Issue 9: the record list has no N+1 (staff, topics, schools): 30 records cost as many queries as 3."""
    from tests.support.factories import topic

    def add(count: int) -> None:
        for n in range(count):
            record = make_record(
                school=school_a if n % 2 else school_b,
                staff=[support_staff, colleague] if n % 3 else support_staff,
                date=dt.date(2022, 5, 1) + dt.timedelta(days=n),
            )
            record.topics.set([topic("updates")])

    add(3)
    client.force_login(support_staff)
    client.get(reverse("support:record_list"))
    with django_assert_max_num_queries(40) as small:
        assert len(record_ids(client.get(reverse("support:record_list")))) == 3
    add(27)
    with django_assert_num_queries(len(small)):
        assert len(record_ids(client.get(reverse("support:record_list")))) == 30


# --- 10. The request list ------------------------------------------------------------------


@pytest.fixture
def requests_(school_a, school_b, school_a_user, school_b_user):
    return [
        make_request(school=school_a, requested_by=school_a_user, details="プリンターの設定"),
        make_request(school=school_b, requested_by=school_b_user, details="電子黒板が映らない"),
        make_request(
            school=school_a,
            requested_by=school_a_user,
            details="アカウントの再発行",
            status=Status.CANCELLED,
        ),
    ]


def test_the_request_search_finds_the_text_and_the_school_name(client, leader, requests_):
    """Issue 9: the request search looks in the request's text and in the school's name."""
    printer, board, account = requests_
    client.force_login(leader)
    url = reverse("support:request_list")
    assert request_ids(client.get(url, {"q": "電子黒板"})) == [board.pk]
    assert request_ids(client.get(url, {"q": "青葉", "status": "all"})) == [account.pk, printer.pk]
    assert request_ids(client.get(url, {"q": "第一中学校"})) == [board.pk]


def test_the_request_list_filters_by_school(client, leader, school_b, requests_):
    """Issue 9: the request list's school filter keeps that school's requests."""
    printer, board, account = requests_
    client.force_login(leader)
    url = reverse("support:request_list")
    assert request_ids(client.get(url, {"school": school_b.pk, "status": "all"})) == [board.pk]


def test_a_school_user_sees_and_downloads_only_their_schools_requests(
    client, school_a_user, school_b, requests_
):
    """Issue 9: a school user's request list and its CSV hold only their school's requests."""
    printer, board, account = requests_
    client.force_login(school_a_user)
    url = reverse("support:request_list")
    assert request_ids(client.get(url, {"status": "all"})) == [account.pk, printer.pk]
    assert request_ids(client.get(url, {"status": "all", "school": school_b.pk})) == []
    assert request_ids(client.get(url, {"q": "電子黒板"})) == []
    rows = csv_rows(client.get(url, {"status": "all", "download": "csv"}))
    assert sorted(int(row[0]) for row in rows[1:]) == sorted([printer.pk, account.pk])
    rows = csv_rows(client.get(url, {"school": school_b.pk, "status": "all", "download": "csv"}))
    assert rows[1:] == []


def test_the_request_list_makes_the_same_queries_for_3_and_30_requests(
    client,
    leader,
    support_staff,
    school_a,
    school_b,
    school_a_user,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    """Issue 9: the request list has no N+1: 30 requests cost as many queries as 3."""

    def add(count: int) -> None:
        for n in range(count):
            make_request(
                school=school_a if n % 2 else school_b,
                requested_by=school_a_user if n % 2 else leader,
                status=Status.SCHEDULED if n % 3 else Status.REQUESTED,
                staff=[support_staff],
            )

    add(3)
    client.force_login(leader)
    client.get(reverse("support:request_list"))
    with django_assert_max_num_queries(40) as small:
        assert len(request_ids(client.get(reverse("support:request_list")))) == 3
    add(27)
    with django_assert_num_queries(len(small)):
        assert len(request_ids(client.get(reverse("support:request_list")))) == 30


# --- 11. Comments ---------------------------------------------------------------------------


def comment_changes():
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(RequestComment)
    )


def test_a_school_user_comments_on_their_own_request(client, school_a, school_a_user):
    """Issue 9: a school user adds a comment to their request; it shows on its page and in the change log."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    response = client.post(
        reverse("support:request_comment", args=[request.pk]),
        {"text": "3時間目の理科室でお願いします。", "submit_token": submit_token(school_a_user)},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("support:request_detail", args=[request.pk]), 302)]
    assert "コメントを追加しました。" in messages_of(response)
    page = response.content.decode()
    comments = re.search(r'data-testid="request-comments".*?</ul>', page, re.S).group(0)
    assert "3時間目の理科室でお願いします。" in comments
    comment = RequestComment.objects.get()
    assert (comment.request, comment.by) == (request, school_a_user)
    change = comment_changes().get()
    assert change.by == school_a_user and change.object_id == str(comment.pk)
    assert change.school == school_a


def test_an_empty_comment_is_refused_with_a_japanese_message(client, school_a, school_a_user):
    """Issue 9: an empty comment is refused with 「コメントを入力してください。」 and nothing is written."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    for text in ("", "   \n  "):
        response = client.post(
            reverse("support:request_comment", args=[request.pk]),
            {"text": text, "submit_token": submit_token(school_a_user)},
            follow=True,
        )
        assert not RequestComment.objects.exists() and not comment_changes().exists()
        assert "コメントを入力してください。" in messages_of(response)


def test_an_empty_comment_writes_nothing(client, school_a, school_a_user):
    """Issue 9: an empty or blank comment is refused with a message; no comment, no change-log entry."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    for text in ("", "   \n  "):
        response = client.post(
            reverse("support:request_comment", args=[request.pk]), {"text": text}, follow=True
        )
        assert response.status_code == 200 and messages_of(response)
        assert "コメントを追加しました。" not in messages_of(response)
    assert not RequestComment.objects.exists() and not comment_changes().exists()


def test_a_school_user_cannot_comment_on_another_schools_request(
    client, school_b, school_a_user, school_b_user
):
    """Issue 9: a comment on another school's request is refused (403/404) and nothing is written."""
    theirs = make_request(school=school_b, requested_by=school_b_user)
    client.force_login(school_a_user)
    response = client.post(
        reverse("support:request_comment", args=[theirs.pk]), {"text": "見えていますか"}
    )
    assert response.status_code in (403, 404)
    assert not RequestComment.objects.exists() and not comment_changes().exists()


# --- 12. Cancelling ----------------------------------------------------------------------------


def test_cancelling_asks_first_on_a_confirmation_page(client, school_a, school_a_user):
    """Issue 9: GET of the cancel address shows a page with the reason and the tick; nothing changes."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    response = client.get(reverse("support:request_cancel", args=[request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="cancel-form"' in page
    assert 'name="note"' in page and 'name="confirm"' in page and 'type="checkbox"' in page
    assert "取り消す" in page or "取消" in page
    request.refresh_from_db()
    assert request.status == Status.REQUESTED and RequestEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "日程が合わなくなったため"}, "取り消しの確認欄にチェックを入れてください。"),
        ({"confirm": "on"}, "取り消す理由を書いてください。"),
        ({"note": "   ", "confirm": "on"}, "取り消す理由を書いてください。"),
    ],
)
def test_cancelling_without_the_tick_or_the_reason_changes_nothing(
    client, school_a, school_a_user, data, message
):
    """Issue 9: a cancellation without the tick or without the reason is refused in Japanese; nothing changes."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    response = client.post(reverse("support:request_cancel", args=[request.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.REQUESTED and request.closed_at is None
    assert RequestEvent.objects.count() == 1


def test_cancelling_with_the_reason_and_the_tick_cancels_once(client, school_a, school_a_user):
    """Issue 9: with reason and tick the request is cancelled with the reason on its timeline; a second POST adds nothing."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(school_a_user)
    url = reverse("support:request_cancel", args=[request.pk])
    data = {"note": "日程が合わなくなったため", "confirm": "on"}
    response = client.post(url, data, follow=True)
    assert "依頼を取り消しました。" in messages_of(response)
    request.refresh_from_db()
    assert request.status == Status.CANCELLED and request.closed_at is not None
    event = RequestEvent.objects.get(to_status=Status.CANCELLED)
    assert (event.by, event.from_status, event.note) == (
        school_a_user,
        Status.REQUESTED,
        "日程が合わなくなったため",
    )
    assert (
        ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(SupportRequest),
            object_id=str(request.pk),
            action=ObjectChange.Action.CANCEL,
        ).count()
        == 1
    )

    # The same form sent again (a double click, the back button).
    again = client.post(url, data, follow=True)
    assert again.status_code == 200
    assert "依頼を取り消しました。" not in messages_of(again) and messages_of(again)
    assert RequestEvent.objects.filter(to_status=Status.CANCELLED).count() == 1
    assert ObjectChange.objects.filter(action=ObjectChange.Action.CANCEL).count() == 1


def test_a_school_user_cannot_cancel_another_schools_request(
    client, school_b, school_a_user, school_b_user
):
    """Issue 9: another school's request cannot be cancelled (403/404), nor its page shown."""
    theirs = make_request(school=school_b, requested_by=school_b_user)
    client.force_login(school_a_user)
    url = reverse("support:request_cancel", args=[theirs.pk])
    assert client.get(url).status_code in (403, 404)
    response = client.post(url, {"note": "x", "confirm": "on"})
    assert response.status_code in (403, 404)
    theirs.refresh_from_db()
    assert theirs.status == Status.REQUESTED


# --- 13. The staff report ------------------------------------------------------------------------


def test_the_staff_report_names_people_not_logins(client, leader, records):
    """Issue 9: the report by staff member shows 「佐藤 健」, never the login 「support_staff」."""
    client.force_login(leader)
    page = client.get(reverse("support:report_staff"), {"fy": 2022}).content.decode()
    table = re.search(r"<table.*?</table>", page, re.S).group(0)
    first_cells = re.findall(r"<tr>\s*<t[hd][^>]*>([^<]*)<", table)
    assert "佐藤 健" in first_cells and "鈴木 一郎" in first_cells
    assert "support_staff" not in table and "support_two" not in table
    rows = csv_rows(client.get(reverse("support:report_staff"), {"fy": 2022, "download": "csv"}))
    names = [row[0] for row in rows[1:]]
    assert "佐藤 健" in names and "鈴木 一郎" in names
    assert "support_staff" not in names and "support_two" not in names


def test_the_staff_report_counts_each_persons_records(client, leader, records):
    """Issue 9: the staff report's row of a person counts the records they took part in, by kind."""
    client.force_login(leader)
    rows = csv_rows(client.get(reverse("support:report_staff"), {"fy": 2022, "download": "csv"}))
    by_name = {row[0]: row[1:] for row in rows[1:]}
    header = rows[0]
    sato = dict(zip(header[1:], by_name["佐藤 健"], strict=True))
    suzuki = dict(zip(header[1:], by_name["鈴木 一郎"], strict=True))
    assert sato["訪問支援"] == "1" and sato["研修支援"] == "1" and sato["オンライン支援"] == "0"
    assert suzuki["オンライン支援"] == "1" and suzuki["研修支援"] == "1"
