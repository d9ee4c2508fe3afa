"""Issue 9, traffic: the parents' letter as printed, the school notice's words (the
portal does not tell the school to open the portal; the e-mail carries the link), and
the lines list. Notices are made by the real monthly evaluation."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from gigaportal.calendar import Month
from gigaportal.models import School
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action, Case, SchoolNotice

pytestmark = pytest.mark.django_db

SEP, OCT, NOV, DEC = Month(2022, 9), Month(2022, 10), Month(2022, 11), Month(2022, 12)
LINE = "070-4444-0001"


def evaluate(*months: Month) -> None:
    for month in months:
        services.evaluation_run(month=month)


@pytest.fixture
def school_notice(school_a):
    """Step ② for a line of school A: over 200 GB in September, over 100 GB in October."""
    make_policy()
    line = make_line(school=school_a, number=LINE)
    set_usage(line, SEP, 260)
    set_usage(line, OCT, 180)
    evaluate(SEP, OCT)
    return SchoolNotice.objects.get(action__kind="school_notice")


@pytest.fixture
def parent_letter(school_a):
    """Step ④: a line of school A heavy for four months running."""
    School.objects.filter(pk=school_a.pk).update(principal_name="山田 太郎")
    make_policy()
    line = make_line(school=school_a, number=LINE)
    for month in (SEP, OCT, NOV, DEC):
        set_usage(line, month, 260)
    evaluate(SEP, OCT, NOV, DEC)
    return SchoolNotice.objects.get(action__kind="parent_letter")


# --- 14. The parents' letter ----------------------------------------------------------------


def test_only_the_parents_letter_has_a_printable_letter(client, school_a_user, parent_letter):
    """Issue 9: a school notice (step ②) is not printed as a letter to the parents with
    the line number on it; its print address is a 404."""
    client.force_login(school_a_user)
    notice = SchoolNotice.objects.get(action__kind="school_notice")
    assert client.get(reverse("traffic:notice_print", args=[notice.pk])).status_code == 404
    assert client.get(reverse("traffic:notice_print", args=[parent_letter.pk])).status_code == 200


def test_the_printed_parent_letter_has_blanks_for_the_pupil_and_the_principals_name(
    client, school_a_user, parent_letter
):
    """Issue 9: the printed letter has 年・組・氏名 blanks, the school and its principal's name."""
    client.force_login(school_a_user)
    response = client.get(reverse("traffic:notice_print", args=[parent_letter.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    letter = re.search(r'data-testid="parent-letter".*?</article>', page, re.S).group(0)
    to = re.search(r'<p class="to">(.*?)</p>', letter, re.S).group(1)
    assert re.search(r'<span class="blank[^"]*"></span>年<span class="blank[^"]*"></span>組', to)
    assert "氏名" in to and "保護者様" in to
    sender = re.search(r'<p class="from">(.*?)</p>', letter, re.S).group(1)
    assert "青葉小学校" in sender and "校長　山田 太郎" in sender
    assert "令和" in letter  # the date in the Japanese calendar
    assert "iPadの通信量とスクリーンタイムの設定のお願い" in letter
    assert "2022年12月: 260.00 GB" in letter


def test_the_printed_parent_letter_shows_no_line_number(client, school_a_user, parent_letter):
    """Issue 9: the parents' letter does not show them the line number (070-…)."""
    client.force_login(school_a_user)
    page = client.get(reverse("traffic:notice_print", args=[parent_letter.pk])).content.decode()
    assert LINE not in page and "回線番号" not in page
    assert LINE not in parent_letter.subject + parent_letter.body


def test_the_printed_parent_letter_greets_the_parents_once(client, school_a_user, parent_letter):
    """Issue 9: the letter addresses the parents once (not 「保護者の皆様へ」 in the heading, the subject and the text)."""
    client.force_login(school_a_user)
    page = client.get(reverse("traffic:notice_print", args=[parent_letter.pk])).content.decode()
    letter = re.search(r'data-testid="parent-letter".*?</article>', page, re.S).group(0)
    assert letter.count("保護者の皆様へ") + letter.count("保護者様") == 1
    assert page.count("保護者の皆様へ") <= 1
    # Nor does the text name the school a second time above the text.
    body = re.search(r'<div class="body">(.*?)</div>', letter, re.S).group(1)
    assert "青葉小学校" not in body


def test_a_letter_without_a_principal_leaves_a_blank_for_the_name(
    client, school_a, school_a_user, parent_letter
):
    """Issue 9: a school without a principal's name gets a blank to write it in, not 「None」."""
    School.objects.filter(pk=school_a.pk).update(principal_name="")
    client.force_login(school_a_user)
    page = client.get(reverse("traffic:notice_print", args=[parent_letter.pk])).content.decode()
    sender = re.search(r'<p class="from">(.*?)</p>', page, re.S).group(1)
    assert re.search(r'校長<span class="blank[^"]*"></span>', sender) and "None" not in sender


def test_another_school_cannot_print_the_letter(client, school_b_user, parent_letter):
    """Issue 9: another school's user gets 404 for the printed letter."""
    client.force_login(school_b_user)
    assert client.get(reverse("traffic:notice_print", args=[parent_letter.pk])).status_code == 404


# --- 15. The school notice's words and its e-mail ---------------------------------------------------


def test_the_notice_in_the_portal_does_not_tell_the_school_to_open_the_portal(
    client, school_a_user, school_notice
):
    """Issue 9: the notice in the inbox no longer says 「ポータルの受信箱でこのお知らせを確認…」."""
    assert "ポータルの受信箱" not in school_notice.body
    assert "受信箱でこのお知らせを確認" not in school_notice.body
    assert LINE in school_notice.body and "2022年10月: 180.00 GB" in school_notice.body
    client.force_login(school_a_user)
    page = client.get(reverse("traffic:notice_detail", args=[school_notice.pk])).content.decode()
    body = re.search(r'data-testid="notice-body">(.*?)</div>', page, re.S).group(1)
    assert "ポータルの受信箱" not in body and "受信箱で" not in body
    assert "GIGAスクール運営支援センター" in body


def test_the_school_notice_email_carries_the_link_to_the_notice(
    settings, mailoutbox, school_notice
):
    """Issue 9: the e-mail of a notice carries the link to it in the portal, in Japanese."""
    settings.PORTAL_BASE_URL = "https://portal.example.jp"
    action = school_notice.action
    services.actions_deliver(action_ids=[action.pk])
    [mail] = mailoutbox
    assert mail.to == [school_notice.school.email]
    link = "https://portal.example.jp" + reverse("traffic:notice_detail", args=[school_notice.pk])
    assert link in mail.body
    assert "「確認しました」を押してください" in mail.body and "青葉小学校の受信箱" in mail.body
    assert "This notice" not in mail.body
    # The notice's own text comes first, once.
    assert mail.body.startswith(school_notice.body)
    assert mail.body.count("回線番号") == 1
    Action.objects.get(pk=action.pk)  # sent once, still one action


# --- 16. The lines list ------------------------------------------------------------------------


LINE_ROW = re.compile(
    r'<td><a href="/traffic/lines/\d+/">([^<]+)</a></td>(?:<td>([^<]*)</td>)?'
    r'<td class="num">(\d+)</td>'
)


def line_rows(response) -> list[tuple[str, str, int]]:
    assert response.status_code == 200
    return [(n, s, int(c)) for n, s, c in LINE_ROW.findall(response.content.decode())]


@pytest.fixture
def three_lines(school_a, school_b):
    """Three lines; the first has an open case (step ②), the second one improved."""
    make_policy()
    heavy = make_line(school=school_a, number="070-1000-0001")
    improved = make_line(school=school_b, number="070-2000-0002")
    quiet = make_line(school=school_a, number="080-3000-0003")
    set_usage(heavy, SEP, 260)
    set_usage(heavy, OCT, 180)
    set_usage(improved, SEP, 260)
    set_usage(improved, OCT, 1)
    set_usage(quiet, SEP, 1)
    set_usage(quiet, OCT, 1)
    evaluate(SEP, OCT)
    return heavy, improved, quiet


def test_the_lines_list_searches_by_any_part_of_the_number(client, support_staff, three_lines):
    """Issue 9: the lines list's search finds a line by any part of its number."""
    client.force_login(support_staff)
    url = reverse("traffic:line_list")
    assert [r[0] for r in line_rows(client.get(url, {"q": "2000"}))] == ["070-2000-0002"]
    assert [r[0] for r in line_rows(client.get(url, {"q": "080-"}))] == ["080-3000-0003"]
    assert [r[0] for r in line_rows(client.get(url, {"q": "0001"}))] == ["070-1000-0001"]
    assert line_rows(client.get(url, {"q": "999-9999"})) == []


def test_the_lines_list_counts_each_lines_open_cases(client, support_staff, three_lines):
    """Issue 9: the lines list's 「対応中の件数」 column counts open cases (an improved case is closed)."""
    client.force_login(support_staff)
    rows = line_rows(client.get(reverse("traffic:line_list")))
    assert rows == [
        ("070-1000-0001", "青葉小学校", 1),
        ("070-2000-0002", "第一中学校", 0),
        ("080-3000-0003", "青葉小学校", 0),
    ]
    assert Case.objects.filter(closed_month__isnull=False).count() == 1


def test_a_school_user_sees_and_finds_only_their_lines(client, school_a_user, three_lines):
    """Issue 9: a school user's lines list and its search stay within their school."""
    client.force_login(school_a_user)
    url = reverse("traffic:line_list")
    assert [r[0] for r in line_rows(client.get(url))] == ["070-1000-0001", "080-3000-0003"]
    assert line_rows(client.get(url, {"q": "2000"})) == []


def test_the_lines_download_holds_what_the_list_selects(
    client, support_staff, school_a, three_lines
):
    """Issue 9: ?download=csv of the lines list holds the searched and filtered lines."""
    client.force_login(support_staff)
    response = client.get(
        reverse("traffic:line_list"), {"q": "0", "school": school_a.pk, "download": "csv"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    numbers = [row[0] for row in rows[1:]]
    assert sorted(numbers) == ["070-1000-0001", "080-3000-0003"]


def test_the_lines_list_offers_the_shared_list_tools(client, support_staff, school_a, three_lines):
    """Issue 9: the lines list, like every list, shows its count, downloads, sortable headers, and keeps ?school= when searching."""
    client.force_login(support_staff)
    page = client.get(reverse("traffic:line_list"), {"school": school_a.pk}).content.decode()
    assert re.search(r'data-testid="list-count">2 件<', page)
    assert 'data-testid="download-csv"' in page
    assert 'aria-sort="ascending"' in page  # the number column, the default sort
    search = re.search(r'<form[^>]*role="search".*?</form>', page, re.S).group(0)
    assert f'name="school" value="{school_a.pk}"' in search


def test_the_case_list_offers_the_shared_list_tools(client, support_staff, three_lines):
    """Issue 9: the heavy-usage case list has the shared search box, count and sortable headers."""
    client.force_login(support_staff)
    page = client.get(reverse("traffic:case_list")).content.decode()
    assert 'data-testid="search-input"' in page
    assert re.search(r'data-testid="list-count">2 件<', page)
    assert "aria-sort=" in page


def test_the_lines_list_makes_the_same_queries_for_3_and_30_lines(
    client,
    support_staff,
    school_a,
    school_b,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    """Issue 9: the lines list and its open-case counts have no N+1: 30 lines cost as many queries as 3."""
    make_policy()

    def add(start: int, count: int) -> None:
        for n in range(start, start + count):
            line = make_line(school=school_a if n % 2 else school_b, number=f"070-5000-{n:04d}")
            Case.objects.create(line=line, cohort=SEP.first_day(), stage=1)

    add(0, 3)
    client.force_login(support_staff)
    client.get(reverse("traffic:line_list"))
    with django_assert_max_num_queries(30) as small:
        rows = line_rows(client.get(reverse("traffic:line_list")))
    assert len(rows) == 3 and {r[2] for r in rows} == {1}
    add(3, 27)
    with django_assert_num_queries(len(small)):
        rows = line_rows(client.get(reverse("traffic:line_list")))
    assert len(rows) == 30 and {r[2] for r in rows} == {1}
