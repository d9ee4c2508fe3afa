"""Django admin goes through the services: a frozen version is read-only (the POST is
refused, nothing changes) and "new version" copies it into a draft; a draft's articles
are saved by the service; a chart edited with its boxes inline shows on its page; and
each save is one change-log entry."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE
from security import services
from security.models import (
    OrgChart,
    OrgLink,
    OrgNode,
    PolicyVersion,
    VersionStatus,
    WorkingGroupTopic,
)
from tests.security.admin_forms import change_form_data, prefix_of
from tests.security.factories import make_chart, make_policy_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    with translation.override("ja"):
        yield client


def entries_about(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).order_by("id")


# --- Policy versions ----------------------------------------------------------------------------


def test_a_frozen_version_is_shown_read_only_with_new_version_offered(admin_client):
    _document, _old, new = make_policy_history()
    page = admin_client.get(f"/admin/security/policyversion/{new.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in html
    assert 'data-testid="new-version"' in html and 'data-testid="frozen-note"' in html


def test_a_frozen_version_cannot_be_edited_through_admin(admin_client):
    document, _old, new = make_policy_history()
    before = ObjectChange.objects.count()
    response = admin_client.post(
        f"/admin/security/policyversion/{new.pk}/change/",
        {"document": document.pk, "label": "書き換えた", "effective_from": "2023-04-01"},
    )
    assert response.status_code == 403
    new.refresh_from_db()
    assert new.label == "令和5年4月1日改定"
    assert ObjectChange.objects.count() == before


def test_new_version_makes_a_draft_with_the_articles_and_opens_it(admin_client):
    _document, _old, new = make_policy_history()
    response = admin_client.post(f"/admin/security/policyversion/{new.pk}/new-version/")
    draft = PolicyVersion.objects.get(status=VersionStatus.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/security/policyversion/{draft.pk}/change/"
    assert draft.sections.count() == new.sections.count()
    [entry] = entries_about(draft)
    assert (entry.action, entry.via) == (ObjectChange.Action.CREATE, ObjectChange.Via.ADMIN)
    assert (
        admin_client.get(f"/admin/security/policyversion/{new.pk}/new-version/").status_code == 403
    )


def test_a_draft_and_its_articles_are_saved_by_the_service_in_one_entry(admin_client):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    url = f"/admin/security/policyversion/{draft.pk}/change/"
    page = admin_client.get(url)
    data = change_form_data(page)
    sections = prefix_of(page, "policysection")
    data["label"] = "令和7年改定案"
    # Next April: inside the date window (a year like 2030 is refused as a typing error).
    data["effective_from"] = f"{dt.date.today().year + 1}-04-01"
    data[f"{sections}-0-body"] = "この基準は、情報資産を守るための基準を改めて定める。"
    data[f"{sections}-2-DELETE"] = "on"
    before = ObjectChange.objects.count()
    response = admin_client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    draft.refresh_from_db()
    assert draft.label == "令和7年改定案" and draft.status == VersionStatus.DRAFT
    assert [s.article for s in draft.sections.all()] == [1, 2]
    assert draft.sections.get(article=1).body.endswith("改めて定める。")
    assert ObjectChange.objects.count() == before + 1
    entry = entries_about(draft).last()
    assert entry.via == ObjectChange.Via.ADMIN and entry.action == ObjectChange.Action.UPDATE
    assert set(entry.changes) >= {"label", "effective_from", "sections"}


def test_two_articles_with_one_number_are_refused_by_the_form(admin_client):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    url = f"/admin/security/policyversion/{draft.pk}/change/"
    page = admin_client.get(url)
    data = change_form_data(page)
    sections = prefix_of(page, "policysection")
    data[f"{sections}-1-article"] = "1"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert draft.sections.filter(article=2).exists()


def test_the_approve_action_approves_drafts_through_the_service(admin_client):
    document, _old, new = make_policy_history()
    draft = services.policy_version_create(
        by=COMMAND_LINE, document=document, label="案", effective_from=dt.date(2031, 4, 1)
    )
    response = admin_client.post(
        "/admin/security/policyversion/",
        {"action": "approve", "_selected_action": [draft.pk, new.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == VersionStatus.APPROVED and draft.approved_on is not None
    assert entries_about(draft).last().changes["status"][1] == VersionStatus.APPROVED


def test_an_approved_version_cannot_be_deleted_in_admin(admin_client):
    _document, old, _new = make_policy_history()
    response = admin_client.post(f"/admin/security/policyversion/{old.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert PolicyVersion.objects.filter(pk=old.pk).exists()


# --- Charts -----------------------------------------------------------------------------------


def test_an_admin_edits_a_chart_with_its_boxes_and_the_page_shows_the_change(
    admin_client, leader, client
):
    chart = make_chart()
    url = f"/admin/security/orgchart/{chart.pk}/change/"
    page = admin_client.get(url)
    data = change_form_data(page)
    nodes = prefix_of(page, "orgnode")
    index = next(
        i
        for i in range(int(data[f"{nodes}-TOTAL_FORMS"]))
        if data.get(f"{nodes}-{i}-position") == "統括教育情報セキュリティ責任者"
    )
    data[f"{nodes}-{index}-holders"] = "教育長\n教育長職務代理者"
    data["notes"] = "令和5年度"
    before = ObjectChange.objects.count()
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert ObjectChange.objects.count() == before + 1
    entry = entries_about(chart).last()
    assert entry.via == ObjectChange.Via.ADMIN
    [box_change] = [v for k, v in entry.changes.items() if k.startswith("orgnode ")]
    assert box_change[0]["holders"] == ["教育長"]
    assert box_change[1]["holders"] == ["教育長", "教育長職務代理者"]
    assert entry.changes["notes"] == ["", "令和5年度"]
    # The page everybody reads shows it.
    client.force_login(leader)
    shown = client.get(f"/security/charts/{chart.slug}/").content.decode()
    assert "教育長職務代理者" in shown


def test_a_box_added_inline_is_in_the_entry_and_a_loop_is_refused(admin_client):
    chart = make_chart()
    url = f"/admin/security/orgchart/{chart.pk}/change/"
    page = admin_client.get(url)
    data = change_form_data(page)
    nodes = prefix_of(page, "orgnode")
    total = int(data[f"{nodes}-TOTAL_FORMS"])
    new_index = total - 1  # the extra, empty form
    top = OrgNode.objects.get(chart=chart, parent=None)
    bottom = OrgNode.objects.get(chart=chart, position="教育情報セキュリティ責任者")
    data[f"{nodes}-{new_index}-position"] = "教育情報システム管理者"
    data[f"{nodes}-{new_index}-parent"] = bottom.pk
    data[f"{nodes}-{new_index}-holders"] = "総務課長"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    added = OrgNode.objects.get(chart=chart, position="教育情報システム管理者")
    assert added.parent == bottom
    assert any(k == f"orgnode {added.pk}" for k in entries_about(chart).last().changes)

    page = admin_client.get(url)
    data = change_form_data(page)
    top_index = next(
        i
        for i in range(int(data[f"{nodes}-TOTAL_FORMS"]))
        if str(data.get(f"{nodes}-{i}-id")) == str(top.pk)
    )
    data[f"{nodes}-{top_index}-parent"] = added.pk
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form again, with the reason
    top.refresh_from_db()
    assert top.parent is None


def test_a_boxs_links_are_edited_on_its_page_and_logged_on_its_chart(admin_client):
    security = make_chart()
    csirt = make_chart(
        slug="csirt", title="CSIRT", kind="csirt", nodes=[services.NodeSpec("CSIRT責任者")]
    )
    box = csirt.nodes.get()
    officer = security.nodes.get(position="教育情報セキュリティ責任者")
    url = f"/admin/security/orgnode/{box.pk}/change/"
    page = admin_client.get(url)
    data = change_form_data(page)
    links = prefix_of(page, "orglink")
    data[f"{links}-0-kind"] = "same_position"
    data[f"{links}-0-target"] = officer.pk
    data["holders"] = "デジタル政策担当部長"
    before = ObjectChange.objects.count()
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert OrgLink.objects.get(node=box).target == officer
    assert ObjectChange.objects.count() == before + 1
    entry = entries_about(csirt).last()
    assert any(k.startswith("orglink ") for k in entry.changes)


def test_a_chart_gets_a_new_version_from_admin(admin_client):
    chart = make_chart()
    url = f"/admin/security/orgchart/{chart.pk}/new-version/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"effective_from": "2024-04-01", "title": "令和6年度"})
    copy = OrgChart.objects.get(effective_from=dt.date(2024, 4, 1))
    assert response.status_code == 302 and copy.title == "令和6年度"
    assert copy.nodes.count() == chart.nodes.count()
    same_day = admin_client.post(url, {"effective_from": "2024-04-01"})
    assert same_day.status_code == 200
    assert OrgChart.objects.count() == 2


def test_a_topic_added_in_admin_is_logged(admin_client):
    committee = make_chart(
        slug="committee", kind="committee", nodes=[services.NodeSpec("ＩＣＴ基盤整備部会")]
    )
    response = admin_client.post(
        "/admin/security/workinggrouptopic/add/",
        {
            "group": committee.nodes.get().pk,
            "title": "次期教育情報基盤の調達について",
            "status": "decided",
            "meeting_date": "2023-01-19",
            "order": "1",
        },
    )
    assert response.status_code == 302
    topic = WorkingGroupTopic.objects.get()
    [entry] = entries_about(topic)
    assert entry.via == ObjectChange.Via.ADMIN and entry.action == ObjectChange.Action.CREATE


def test_rows_written_on_the_pages_are_read_only_in_admin(admin_client, school_a_user):
    from tests.security.factories import make_software_request

    request = make_software_request(by=school_a_user)
    url = f"/admin/security/softwarerequest/{request.pk}/change/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"status": "approved"}).status_code == 403
    request.refresh_from_db()
    assert request.status == "under_review"


def test_an_approved_version_still_to_come_is_corrected_in_admin_but_not_moved_into_the_past(
    admin_client,
):
    from django.utils import timezone

    document, _old, new = make_policy_history()
    coming = services.policy_version_new(by=COMMAND_LINE, source=new)
    coming.effective_from = timezone.localdate() + dt.timedelta(days=60)
    services.policy_version_save(by=COMMAND_LINE, version=coming)
    coming = services.policy_version_approve(by=COMMAND_LINE, version=coming)
    url = f"/admin/security/policyversion/{coming.pk}/change/"
    page = admin_client.get(url)
    assert 'name="_save"' in page.content.decode()  # not frozen yet
    data = change_form_data(page)
    data["effective_from"] = "2020-01-01"
    refused = admin_client.post(url, data)
    assert refused.status_code == 200 and refused.context["adminform"].form.errors
    data["effective_from"] = coming.effective_from.isoformat()
    data["label"] = "令和9年改定（誤字訂正）"
    assert admin_client.post(url, data).status_code == 302
    coming.refresh_from_db()
    assert coming.label == "令和9年改定（誤字訂正）" and coming.status == VersionStatus.APPROVED
