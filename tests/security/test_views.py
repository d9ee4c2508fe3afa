"""The security pages: what each reader sees, bad input answered without a 500, and
text from admin rendered as text."""

import datetime as dt
import io
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation
from openpyxl import load_workbook

from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE
from security import rules, services
from security.models import Acknowledgement, AcknowledgementReminder, SoftwareRequest
from security.services import NodeSpec, SectionInput
from tests.security.factories import (
    make_chart,
    make_document,
    make_policy_history,
    make_software_request,
    make_version,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese():
    with translation.override("ja"):
        yield


def page(client, user, url, **kwargs):
    client.force_login(user)
    response = client.get(url, **kwargs)
    return response, response.content.decode("utf-8-sig", errors="replace")


# --- The policy in force ---------------------------------------------------------------------------


def test_the_page_for_a_day_shows_the_version_then_in_force_and_the_one_to_come(
    client, school_a_user
):
    document, _old, _new = make_policy_history()
    response, html = page(client, school_a_user, f"/security/policy/{document.pk}/?on=2023-03-31")
    assert response.status_code == 200
    assert "令和2年4月1日施行" in html
    assert 'data-testid="upcoming-banner"' in html and "令和5年4月1日改定" in html
    _response, html = page(client, school_a_user, f"/security/policy/{document.pk}/?on=2023-04-01")
    assert "指導者系" in html and 'data-testid="upcoming-banner"' not in html


@pytest.mark.parametrize(
    "day", ["2023-13-01", "²", "2023-02-30", "abc", "0000-01-01", "2023-04-01' OR 1=1"]
)
def test_a_day_that_is_not_a_date_shows_today_and_says_so(client, leader, day):
    document, _old, _new = make_policy_history()
    for url in (
        f"/security/?on={day}",
        f"/security/policy/{document.pk}/?on={day}",
        f"/security/charts/?on={day}",
    ):
        response, html = page(client, leader, url, data=None)
        assert response.status_code == 200, url
        assert 'data-testid="report-note"' in html, url
    make_chart()
    for url in (
        f"/security/charts/security/?on={day}",
        f"/security/charts/security/chart.svg?on={day}",
    ):
        response, _html = page(client, leader, url)
        assert response.status_code == 200


def test_the_index_lists_the_versions_in_force_and_downloads_the_same_rows(client, support_staff):
    make_policy_history()
    _response, html = page(client, support_staff, "/security/?on=2023-03-31")
    assert "令和2年4月1日施行" in html and 'data-testid="upcoming-banner"' in html
    response, csv = page(client, support_staff, "/security/?on=2023-03-31&download=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "令和2年4月1日施行" in csv and "令和5年4月1日改定" not in csv


def test_body_text_from_admin_is_rendered_as_text(client, school_a_user, leader):
    document = make_document()
    version = make_version(
        document=document,
        effective_from=dt.date(2023, 4, 1),
        approved_on=dt.date(2023, 3, 1),
        sections=[SectionInput(1, '<script>alert("x")</script>\n<b>太字</b>', "<i>見出し</i>")],
        reasons=[
            services.ReasonInput(
                "other", "<img src=x onerror=alert(1)>", "・<a href='javascript:x'>x</a>"
            )
        ],
    )
    _response, html = page(client, school_a_user, f"/security/versions/{version.pk}/")
    assert "<script>alert" not in html and "<b>太字</b>" not in html and "<i>見出し</i>" not in html
    assert "<img src=x" not in html and "<a href='javascript" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;太字&lt;/b&gt;" in html
    draft = services.policy_version_new(by=COMMAND_LINE, source=version)
    _response, html = page(
        client, leader, f"/security/policy/{document.pk}/diff/?a={version.pk}&b={draft.pk}&all=1"
    )
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_a_draft_is_for_the_center_and_a_404_for_a_school(client, school_a_user, support_staff):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    response, html = page(client, support_staff, f"/security/versions/{draft.pk}/")
    assert response.status_code == 200 and 'data-testid="draft-banner"' in html
    response, _html = page(client, school_a_user, f"/security/versions/{draft.pk}/")
    assert response.status_code == 404
    _response, html = page(client, school_a_user, f"/security/policy/{new.document_id}/history/")
    assert draft.label not in html and new.label in html


def test_the_diff_shows_articles_added_removed_and_changed(client, support_staff, school_a_user):
    document, old, new = make_policy_history()
    response, html = page(client, support_staff, f"/security/policy/{document.pk}/diff/")
    assert response.status_code == 200
    changes = {c for c in ("added", "removed", "changed") if f'data-change="{c}"' in html}
    assert changes == {"added", "removed", "changed"}
    assert "<ins>" in html and "指導者系" in html
    # Bad ids are ignored, never a 500; a school is refused.
    for query in ("?a=x&b=²", "?a=999999&b=-1", "?a=%00"):
        assert (
            page(client, support_staff, f"/security/policy/{document.pk}/diff/{query}")[
                0
            ].status_code
            == 200
        )
    assert (
        page(client, school_a_user, f"/security/policy/{document.pk}/diff/")[0].status_code == 403
    )


def test_an_unknown_document_or_version_is_a_404(client, leader):
    for url in (
        "/security/policy/999999/",
        "/security/versions/999999/",
        "/security/policy/999999/diff/",
    ):
        assert page(client, leader, url)[0].status_code == 404


# --- Acknowledgements ---------------------------------------------------------------------------


def test_a_school_acknowledges_on_the_version_page_and_its_home_card_goes(client, school_a_user):
    _document, _old, new = make_policy_history()
    _response, home = page(client, school_a_user, "/")
    assert 'data-testid="policy-to-acknowledge"' in home
    _response, html = page(client, school_a_user, f"/security/versions/{new.pk}/")
    assert 'data-testid="acknowledge-button"' in html
    response = client.post(f"/security/versions/{new.pk}/acknowledge/")
    assert response.status_code == 302
    assert Acknowledgement.objects.get().school == school_a_user.school
    _response, home = page(client, school_a_user, "/")
    assert 'data-testid="policy-to-acknowledge"' not in home
    _response, html = page(client, school_a_user, f"/security/versions/{new.pk}/")
    assert 'data-testid="acknowledged"' in html and 'data-testid="acknowledge-button"' not in html


def test_a_forged_acknowledgement_of_a_draft_is_a_404_and_changes_nothing(client, school_a_user):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    client.force_login(school_a_user)
    assert client.post(f"/security/versions/{draft.pk}/acknowledge/").status_code == 404
    assert client.post("/security/versions/999999/acknowledge/").status_code == 404
    assert client.get(f"/security/versions/{new.pk}/acknowledge/").status_code == 405
    assert not Acknowledgement.objects.exists()


def test_the_leader_sees_who_has_not_acknowledged_and_reminds_them(
    client, leader, school_a, school_b, school_b_user, django_capture_on_commit_callbacks
):
    _document, _old, new = make_policy_history()
    services.acknowledgement_record(by=school_b_user, version=new)
    _response, html = page(client, leader, f"/security/versions/{new.pk}/not-acknowledged/")
    assert school_a.name in html and school_b.name not in html
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/security/versions/{new.pk}/remind/")
    assert response.status_code == 302
    [reminder] = AcknowledgementReminder.objects.all()
    assert reminder.school == school_a and reminder.recipient == school_a.email
    response, csv = page(
        client, leader, f"/security/versions/{new.pk}/not-acknowledged/?download=csv"
    )
    assert school_a.name in csv and school_b.name not in csv
    _response, home = page(client, leader, "/")
    assert 'data-testid="policy-not-acknowledged"' in home


# --- Charts ---------------------------------------------------------------------------------------


def test_the_chart_page_draws_the_tree_in_force_on_the_day(client, school_a_user):
    make_chart(
        effective_from=dt.date(2020, 4, 1),
        nodes=[NodeSpec("旧体制の責任者", holders=["未来創造部長"])],
    )
    make_chart()
    _response, html = page(client, school_a_user, "/security/charts/security/?on=2023-03-31")
    assert "未来創造部長" in html and "副市長" not in html
    assert 'data-testid="upcoming-banner"' in html
    _response, html = page(client, school_a_user, "/security/charts/security/?on=2023-04-01")
    assert html.count('data-testid="org-node"') == 3 and "指導担当次長" in html
    assert "cdn" not in html.lower() and '<script src="http' not in html


def test_a_chart_before_its_first_version_says_so_and_an_unknown_slug_is_a_404(client, leader):
    make_chart()
    response, html = page(client, leader, "/security/charts/security/?on=2019-01-01")
    assert response.status_code == 200 and 'data-testid="report-note"' in html
    assert page(client, leader, "/security/charts/nope/")[0].status_code == 404
    assert page(client, leader, "/security/charts/nope/chart.svg")[0].status_code == 404


def test_the_svg_is_a_vector_image_of_the_same_rows_with_its_text_escaped(client, leader):
    make_chart(
        nodes=[NodeSpec("最高情報セキュリティ責任者", holders=["副市長", "<script>x</script>"])]
    )
    response, svg = page(client, leader, "/security/charts/security/chart.svg?on=2023-04-01")
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "最高情報セキュリティ責任者" in texts
    assert any(t == "副市長、<script>x</script>" for t in texts)
    assert "<script>" not in svg


def test_the_chart_downloads_the_rows_of_the_command(client, leader):
    make_chart()
    response, csv = page(client, leader, "/security/charts/security/?download=csv")
    lines = csv.strip().splitlines()
    assert len(lines) == 4 and "教育次長、指導担当次長" in lines[3]
    response = client.get("/security/charts/security/?download=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][:2] == [1, "最高情報セキュリティ責任者"]


# --- Software requests -------------------------------------------------------------------------------


def test_a_school_sends_a_request_and_another_schools_id_is_a_404(
    client, school_a_user, school_b_user
):
    client.force_login(school_a_user)
    response = client.post(
        "/security/software/new/",
        {
            "name": "えいごドリル",
            "url": "https://drill.example.jp/",
            "purpose": "単語練習",
            "cost": "free",
            "needs_google_sign_in": "on",
            "pupil_data": "表示名",
        },
    )
    mine = SoftwareRequest.objects.get()
    assert response.status_code == 302 and mine.school == school_a_user.school
    other = make_software_request(by=school_b_user, name="B校のソフト")
    assert client.get(f"/security/software/{other.pk}/").status_code == 404
    assert client.get("/security/software/99999/").status_code == 404
    assert client.get("/security/software/abc/").status_code == 404


def test_sending_the_same_request_twice_makes_one_and_shows_the_first(client, school_a_user):
    client.force_login(school_a_user)
    data = {"name": "Kahoot", "url": "https://kahoot.com/", "purpose": "振り返り", "cost": "free"}
    first = client.post("/security/software/new/", data)
    entries = ObjectChange.objects.count()
    again = client.post("/security/software/new/", data, follow=True)
    [only] = SoftwareRequest.objects.all()
    assert first.url == again.redirect_chain[-1][0] == f"/security/software/{only.pk}/"
    assert "既に送信" in again.content.decode()
    assert ObjectChange.objects.count() == entries


@pytest.mark.parametrize(
    "changes",
    [{"url": "javascript:alert(1)"}, {"url": "ftp://x.example/"}, {"cost": "gratis"}, {"name": ""}],
    ids=["javascript-url", "ftp-url", "bad-cost", "no-name"],
)
def test_a_forged_request_form_is_refused_with_its_reasons(client, school_a_user, changes):
    client.force_login(school_a_user)
    data = {"name": "x", "url": "https://x.example/", "purpose": "x", "cost": "free"} | changes
    response = client.post("/security/software/new/", data)
    assert response.status_code == 400
    assert not SoftwareRequest.objects.exists()


def test_the_leader_reviews_and_a_forged_review_is_refused(client, leader, school_a_user):
    software = make_software_request(by=school_a_user)
    client.force_login(leader)
    url = f"/security/software/{software.pk}/review/"
    forged = client.post(
        url,
        {
            "check_sign_on": "yes",
            "check_personal_data": "ok",
            "check_security_terms": "ok",
            "decision": "approve",
        },
    )
    assert forged.status_code == 400
    missing_conditions = client.post(
        url,
        {
            "check_sign_on": "conditional",
            "check_personal_data": "ok",
            "check_security_terms": "ok",
            "decision": "approve",
        },
    )
    assert missing_conditions.status_code == 400
    software.refresh_from_db()
    assert software.status == "under_review"
    approved = client.post(
        url,
        {
            "check_sign_on": "conditional",
            "check_personal_data": "ok",
            "check_security_terms": "ok",
            "decision": "approve",
            "conditions": "当該校の組織部門に限る。",
        },
    )
    assert approved.status_code == 302
    software.refresh_from_db()
    assert software.status == "approved"
    _response, html = page(client, school_a_user, "/security/software/register/")
    assert "当該校の組織部門に限る。" in html and 'rel="noopener noreferrer nofollow"' in html
    client.force_login(leader)
    again = client.post(
        url,
        {
            "check_sign_on": "ok",
            "check_personal_data": "ok",
            "check_security_terms": "ok",
            "decision": "reject",
            "review_notes": "x",
        },
    )
    assert again.status_code == 400
    assert SoftwareRequest.objects.get().status == "approved"


def test_the_register_download_holds_only_the_schools_own_rows(
    client, school_a_user, school_b_user, leader
):
    ok = rules.Checklist(rules.Check.OK, rules.Check.OK, rules.Check.OK)
    for user, name in ((school_a_user, "A校のソフト"), (school_b_user, "B校のソフト")):
        software = make_software_request(by=user, name=name)
        services.software_request_review(
            by=leader, request=software, checks=ok, decision=rules.Decision.APPROVE
        )
    client.force_login(school_a_user)
    response = client.get("/security/software/register/?download=xlsx")
    values = [c.value for row in load_workbook(io.BytesIO(response.content)).active for c in row]
    assert "A校のソフト" in values and "B校のソフト" not in values


# --- Topics ------------------------------------------------------------------------------------------


def test_the_topics_page_lists_each_groups_topics_of_the_fiscal_year(client, support_staff):
    committee = make_chart(
        slug="committee", kind="committee", nodes=[NodeSpec("ＩＣＴ基盤整備部会")]
    )
    services.topic_create(
        by=COMMAND_LINE,
        group=committee.nodes.get(),
        title="次期教育情報基盤の調達について",
        status="decided",
        meeting_date=dt.date(2023, 1, 19),
        summary="令和８年１０月の正式稼働を目指す。\n<b>意見</b>",
    )
    _response, html = page(client, support_staff, "/security/topics/?fy=2022")
    assert "次期教育情報基盤の調達について" in html and "&lt;b&gt;意見&lt;/b&gt;" in html
    _response, html = page(client, support_staff, "/security/topics/?fy=2021")
    assert "次期教育情報基盤の調達について" not in html
    assert page(client, support_staff, "/security/topics/?fy=²")[0].status_code == 200
