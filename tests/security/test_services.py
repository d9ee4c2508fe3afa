"""The security services: the freeze rule, approval, new versions, acknowledgements
and their reminders through the outbox, charts, topics and software requests."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from gigaportal.outbox import State
from gigaportal.scope import COMMAND_LINE
from security import rules, selectors, services
from security.models import (
    Acknowledgement,
    AcknowledgementReminder,
    OrgChart,
    OrgLink,
    OrgNode,
    PolicySection,
    PolicyVersion,
    RequestStatus,
    VersionStatus,
)
from security.services import LinkSpec, NodeSpec, SectionInput
from tests.security.factories import (
    NEW_SECTIONS,
    make_chart,
    make_document,
    make_policy_history,
    make_software_request,
    make_version,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


# --- The freeze rule lives in the service ------------------------------------------------------


def test_a_frozen_version_refuses_any_edit_through_the_service():
    _document, old, new = make_policy_history()
    new.label = "書き換え"
    with pytest.raises(services.SecurityError) as refused:
        services.policy_version_save(by=COMMAND_LINE, version=new)
    assert "新しい版" in str(refused.value.message) or "new version" in str(refused.value.message)
    with pytest.raises(services.SecurityError):
        services.policy_version_save(
            by=COMMAND_LINE, version=old, sections=[SectionInput(1, "こっそり直す")]
        )
    stored = PolicyVersion.objects.get(pk=new.pk)
    assert stored.label == "令和5年4月1日改定"
    assert [s.body for s in old.sections.all()][0].startswith("この基準は")


def test_the_service_reads_the_stored_state_not_the_callers_copy():
    """A caller that changed the status in memory cannot unfreeze a version."""
    _document, _old, new = make_policy_history()
    new.status = VersionStatus.DRAFT
    new.label = "案に戻したつもり"
    with pytest.raises(services.SecurityError):
        services.policy_version_save(by=COMMAND_LINE, version=new)
    assert PolicyVersion.objects.get(pk=new.pk).status == VersionStatus.APPROVED


def test_an_approved_version_still_to_come_can_be_corrected():
    document = make_document()
    later = TODAY() + dt.timedelta(days=30)
    version = make_version(document=document, effective_from=later, approved_on=TODAY())
    assert not version.is_frozen()
    version.label = "誤字を直した版"
    services.policy_version_save(
        by=COMMAND_LINE, version=version, sections=[SectionInput(1, "直した本文。")]
    )
    version.refresh_from_db()
    assert version.label == "誤字を直した版"
    assert version.status == VersionStatus.APPROVED
    assert [s.body for s in version.sections.all()] == ["直した本文。"]


def test_an_approved_version_cannot_be_moved_into_the_past():
    document = make_document()
    version = make_version(
        document=document, effective_from=TODAY() + dt.timedelta(days=30), approved_on=TODAY()
    )
    version.effective_from = TODAY()
    with pytest.raises(services.SecurityError) as refused:
        services.policy_version_save(by=COMMAND_LINE, version=version)
    assert refused.value.field == "effective_from"


def test_a_status_given_to_the_save_is_ignored_approval_has_its_own_service():
    document = make_document()
    draft = PolicyVersion(document=document, label="案", status=VersionStatus.APPROVED)
    services.policy_version_save(by=COMMAND_LINE, version=draft)
    assert PolicyVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_only_an_administrator_edits_the_policy(leader, school_a_user):
    document = make_document()
    for user in (leader, school_a_user):
        with pytest.raises(services.SecurityError):
            services.policy_version_create(by=user, document=document, label="勝手な版")
    assert not PolicyVersion.objects.exists()


def test_two_articles_of_one_number_are_refused():
    with pytest.raises(services.SecurityError):
        make_version(
            document=make_document(),
            sections=[SectionInput(1, "一"), SectionInput(1, "二")],
        )


# --- Approval, new versions, deletion --------------------------------------------------------------


def test_approval_needs_a_date_not_before_it_and_a_free_day():
    document = make_document()
    make_version(
        document=document, effective_from=dt.date(2023, 4, 1), approved_on=dt.date(2023, 3, 1)
    )
    undated = make_version(document=document, effective_from=None)
    same_day = make_version(document=document, effective_from=dt.date(2023, 4, 1))
    early = make_version(document=document, effective_from=dt.date(2023, 1, 1))
    for version, approved_on in [
        (undated, dt.date(2023, 3, 1)),
        (same_day, dt.date(2023, 3, 1)),
        (early, dt.date(2023, 3, 1)),
    ]:
        with pytest.raises(services.SecurityError):
            services.policy_version_approve(
                by=COMMAND_LINE, version=version, approved_on=approved_on
            )
    assert PolicyVersion.objects.filter(status=VersionStatus.APPROVED).count() == 1


def test_a_new_version_copies_the_articles_of_a_frozen_one_into_a_draft(admin):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=admin, source=new)
    assert draft.status == VersionStatus.DRAFT and draft.effective_from is None
    assert [(s.article, s.body) for s in draft.sections.all()] == [
        (s.article, s.body) for s in new.sections.all()
    ]
    draft.label = "令和7年改定案"
    services.policy_version_save(by=admin, version=draft)
    assert PolicyVersion.objects.get(pk=draft.pk).label == "令和7年改定案"


def test_only_a_draft_is_deleted():
    _document, old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    with pytest.raises(services.SecurityError):
        services.policy_version_delete(by=COMMAND_LINE, version=old)
    services.policy_version_delete(by=COMMAND_LINE, version=draft)
    assert not PolicyVersion.objects.filter(pk=draft.pk).exists()
    assert not PolicySection.objects.filter(version_id=draft.pk).exists()


def test_the_version_in_force_and_the_one_to_come_on_any_day():
    document, old, new = make_policy_history()
    assert selectors.version_in_force(document=document, day=dt.date(2023, 3, 31)) == old
    assert selectors.version_upcoming(document=document, day=dt.date(2023, 3, 31)) == new
    assert selectors.version_in_force(document=document, day=dt.date(2023, 4, 1)) == new
    assert selectors.version_upcoming(document=document, day=dt.date(2023, 4, 1)) is None
    assert selectors.version_in_force(document=document, day=dt.date(2020, 3, 31)) is None
    # A draft never comes into force, whatever its date.
    services.policy_version_create(
        by=COMMAND_LINE, document=document, label="案", effective_from=dt.date(2023, 5, 1)
    )
    assert selectors.version_in_force(document=document, day=dt.date(2023, 6, 1)) == new


# --- Acknowledgements ------------------------------------------------------------------------------


def test_a_school_acknowledges_once_and_the_version_leaves_its_list(school_a_user):
    _document, _old, new = make_policy_history()
    assert selectors.pending_for_school(user=school_a_user) == [new]
    first = services.acknowledgement_record(by=school_a_user, version=new)
    again = services.acknowledgement_record(by=school_a_user, version=new)
    assert first is not None and again is None
    assert Acknowledgement.objects.count() == 1
    assert selectors.pending_for_school(user=school_a_user) == []


def test_only_the_newest_approved_version_is_asked_for(school_a_user):
    document, old, new = make_policy_history()
    assert selectors.acknowledgement_targets() == [new]
    # A draft of the next revision is not asked for until it is approved.
    services.policy_version_new(by=COMMAND_LINE, source=new)
    assert selectors.pending_for_school(user=school_a_user) == [new]


def test_only_a_schools_account_acknowledges_and_only_an_approved_version(leader, school_a_user):
    _document, _old, new = make_policy_history()
    draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    with pytest.raises(services.SecurityError):
        services.acknowledgement_record(by=leader, version=new)
    with pytest.raises(services.SecurityError):
        services.acknowledgement_record(by=school_a_user, version=draft)


def test_the_leaders_list_shrinks_as_schools_acknowledge(leader, school_a, school_b, school_a_user):
    _document, _old, new = make_policy_history()
    before = list(selectors.schools_not_acknowledged(user=leader, version=new))
    assert {s.pk for s in before} == {school_a.pk, school_b.pk}
    services.acknowledgement_record(by=school_a_user, version=new)
    after = list(selectors.schools_not_acknowledged(user=leader, version=new))
    assert [s.pk for s in after] == [school_b.pk]


# --- Reminders through the one outbox ------------------------------------------------------------


def test_a_reminder_is_written_queued_and_sent_once(
    leader, school_a, school_b, eager_tasks, django_capture_on_commit_callbacks
):
    _document, _old, new = make_policy_history()
    schools = list(selectors.schools_not_acknowledged(user=leader, version=new))
    with django_capture_on_commit_callbacks(execute=True):
        ids = services.reminders_queue(by=leader, version=new, schools=schools)
    assert len(ids) == 2
    reminders = AcknowledgementReminder.objects.order_by("school__code")
    assert [r.state for r in reminders] == [State.SENT, State.SENT]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([school_a.email, school_b.email])
    assert str(new) in mail.outbox[0].subject
    assert f"/security/versions/{new.pk}/" in mail.outbox[0].body
    # Delivered rows are never sent twice, whoever asks.
    services.reminders_send(reminder_ids=ids)
    assert len(mail.outbox) == 2


def test_a_second_reminder_the_same_day_writes_nothing(leader, school_a, school_b):
    _document, _old, new = make_policy_history()
    schools = list(selectors.schools_not_acknowledged(user=leader, version=new))
    first = services.reminders_queue(by=leader, version=new, schools=schools)
    second = services.reminders_queue(by=leader, version=new, schools=schools)
    assert len(first) == 2 and second == []
    assert AcknowledgementReminder.objects.count() == 2


def test_no_reminder_to_a_school_that_acknowledged_or_has_no_address(
    leader, school_a, school_b, school_a_user
):
    _document, _old, new = make_policy_history()
    services.acknowledgement_record(by=school_a_user, version=new)
    school_b.email = ""
    school_b.save()
    ids = services.reminders_queue(by=leader, version=new, schools=[school_a, school_b])
    assert ids == []


def test_only_the_leader_reminds(support_staff, school_a):
    _document, _old, new = make_policy_history()
    with pytest.raises(services.SecurityError):
        services.reminders_queue(by=support_staff, version=new, schools=[school_a])


def test_a_refused_reminder_goes_back_with_a_delay_and_a_person_may_resend_a_failed_one(
    leader, school_a, settings
):
    settings.EMAIL_BACKEND = "tests.security.test_services.RefusingBackend"
    _document, _old, new = make_policy_history()
    [reminder_id] = services.reminders_queue(by=leader, version=new, schools=[school_a])
    services.reminders_send(reminder_ids=[reminder_id])
    reminder = AcknowledgementReminder.objects.get()
    assert reminder.state == State.PENDING and reminder.next_attempt_at is not None
    AcknowledgementReminder.objects.update(state=State.FAILED)
    assert services.reminders_resend(by=leader, reminder_ids=[reminder_id]) == 1
    assert AcknowledgementReminder.objects.get().state == State.PENDING


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


# --- Charts -------------------------------------------------------------------------------------


def test_a_chart_is_made_from_a_tree_and_read_back_in_order():
    chart = make_chart()
    rows = selectors.chart_rows(chart=chart)
    assert [(r.depth, r.node.position, r.node.holder_list()) for r in rows] == [
        (1, "最高情報セキュリティ責任者", ["副市長"]),
        (2, "統括教育情報セキュリティ責任者", ["教育長"]),
        (3, "教育情報セキュリティ責任者", ["教育次長", "指導担当次長"]),
    ]


def test_a_new_chart_version_copies_boxes_and_links_and_points_internal_links_at_the_copies():
    security = make_chart()
    officer = security.nodes.get(position="教育情報セキュリティ責任者")
    csirt = make_chart(
        slug="csirt",
        title="CSIRT",
        kind="csirt",
        nodes=[
            NodeSpec(
                "CSIRT責任者",
                holders=["デジタル政策担当部長"],
                links=[LinkSpec("same_position", target=officer)],
                children=[NodeSpec("CSIRT構成員", holders=["指導担当次長"])],
            )
        ],
    )
    leader_box = csirt.nodes.get(position="CSIRT責任者")
    OrgLink.objects.create(
        node=csirt.nodes.get(position="CSIRT構成員"), kind="liaison", target=leader_box
    )
    copy = services.orgchart_new_version(
        by=COMMAND_LINE, chart=csirt, effective_from=dt.date(2024, 4, 1)
    )
    assert copy.slug == "csirt" and copy.pk != csirt.pk
    rows = selectors.chart_rows(chart=copy)
    assert [(r.depth, r.node.position) for r in rows] == [(1, "CSIRT責任者"), (2, "CSIRT構成員")]
    links = {link.node.position: link.target for link in OrgLink.objects.filter(node__chart=copy)}
    assert links["CSIRT責任者"] == officer  # another chart's box: kept
    assert links["CSIRT構成員"].chart_id == copy.pk  # a box of the chart: its copy
    assert selectors.chart_in_force(slug="csirt", day=dt.date(2024, 4, 1)) == copy
    assert selectors.chart_in_force(slug="csirt", day=dt.date(2024, 3, 31)) == csirt


def test_a_second_version_on_the_same_day_is_refused():
    chart = make_chart()
    with pytest.raises(services.SecurityError):
        services.orgchart_new_version(
            by=COMMAND_LINE, chart=chart, effective_from=chart.effective_from
        )
    assert OrgChart.objects.count() == 1


def test_a_parent_loop_or_a_parent_of_another_chart_is_refused():
    chart = make_chart()
    other = make_chart(slug="other", title="他")
    top, middle, bottom = (r.node for r in selectors.chart_rows(chart=chart))
    parents = dict(OrgNode.objects.filter(chart=chart).values_list("pk", "parent_id"))
    with pytest.raises(services.SecurityError):
        services.orgchart_check_parents(chart=chart, parents=parents | {top.pk: bottom.pk})
    foreign = other.nodes.first()
    with pytest.raises(services.SecurityError):
        services.orgchart_check_parents(chart=chart, parents=parents | {middle.pk: foreign.pk})
    services.orgchart_check_parents(chart=chart, parents=parents | {bottom.pk: top.pk})


def test_only_an_administrator_makes_charts(leader):
    with pytest.raises(services.SecurityError):
        services.orgchart_create(
            by=leader, slug="x", title="x", kind="security", effective_from=dt.date(2023, 4, 1)
        )


# --- Software requests ---------------------------------------------------------------------------


def test_a_school_asks_for_its_own_school_only(school_a_user, school_b):
    with pytest.raises(services.SecurityError):
        services.software_request_create(
            by=school_a_user,
            school=school_b,
            data=services.SoftwareInput(
                name="x", url="https://x.example/", purpose="x", cost="free"
            ),
        )


def test_the_center_checks_then_approves_with_conditions(school_a_user, leader):
    request = make_software_request(by=school_a_user)
    checks = rules.Checklist(rules.Check.CONDITIONAL, rules.Check.OK, rules.Check.PENDING)
    services.software_request_review(by=leader, request=request, checks=checks)
    request.refresh_from_db()
    assert request.status == RequestStatus.UNDER_REVIEW and request.check_sign_on == "conditional"
    with pytest.raises(services.SecurityError):
        services.software_request_review(
            by=leader, request=request, checks=checks, decision=rules.Decision.APPROVE
        )
    done = rules.Checklist(rules.Check.CONDITIONAL, rules.Check.OK, rules.Check.OK)
    with pytest.raises(services.SecurityError) as refused:
        services.software_request_review(
            by=leader, request=request, checks=done, decision=rules.Decision.APPROVE
        )
    assert refused.value.field == "conditions"
    services.software_request_review(
        by=leader,
        request=request,
        checks=done,
        decision=rules.Decision.APPROVE,
        conditions="当該校の組織部門に限る。",
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.decided_by == leader and request.decided_on == TODAY()
    assert list(selectors.software_register(user=school_a_user)) == [request]


def test_a_decided_request_is_final_and_only_the_leader_reviews(
    school_a_user, leader, support_staff
):
    request = make_software_request(by=school_a_user)
    ok = rules.Checklist(rules.Check.OK, rules.Check.OK, rules.Check.OK)
    with pytest.raises(services.SecurityError):
        services.software_request_review(by=support_staff, request=request, checks=ok)
    services.software_request_review(
        by=leader, request=request, checks=ok, decision=rules.Decision.REJECT, notes="規約に問題"
    )
    with pytest.raises(services.SecurityError):
        services.software_request_review(
            by=leader, request=request, checks=ok, decision=rules.Decision.APPROVE
        )
    assert request.__class__.objects.get().status == RequestStatus.REJECTED


def test_a_school_sees_its_own_requests_only(school_a_user, school_b_user, leader):
    mine = make_software_request(by=school_a_user)
    make_software_request(by=school_b_user, name="B校のソフト")
    assert list(selectors.software_requests(user=school_a_user)) == [mine]
    assert selectors.software_requests(user=leader).count() == 2


# --- Sections are stored in article order -------------------------------------------------------


def test_articles_come_back_in_number_order_whatever_the_order_given():
    version = make_version(document=make_document(), sections=list(reversed(NEW_SECTIONS)))
    assert [s.article for s in version.sections.all()] == [1, 2, 4]
