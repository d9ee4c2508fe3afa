"""Every write of the security app leaves exactly one change-log entry saying who did
what, through whichever door it came (a page, Django admin — see test_admin.py —, the
demo's command); the entries of a school's rows carry the school, so another school
never reads them."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE
from security import rules, selectors, services
from security.models import Acknowledgement, AcknowledgementReminder, OrgChart
from tests.security.factories import (
    make_chart,
    make_document,
    make_policy_history,
    make_software_request,
    make_version,
)

pytestmark = pytest.mark.django_db
Act, Via = ObjectChange.Action, ObjectChange.Via


@contextmanager
def new_entries():
    before = set(ObjectChange.objects.values_list("id", flat=True))
    entries: list[ObjectChange] = []
    yield entries
    entries.extend(ObjectChange.objects.exclude(id__in=before).order_by("id"))


def is_about(entry, obj) -> bool:
    return entry.content_type == ContentType.objects.get_for_model(
        type(obj)
    ) and entry.object_id == str(obj.pk)


def test_a_version_made_and_approved_is_two_entries_with_its_articles(admin):
    document = make_document()
    with new_entries() as made:
        version = make_version(document=document, effective_from=dt.date(2030, 4, 1))
    [entry] = made
    assert entry.action == Act.CREATE and is_about(entry, version)
    assert entry.changes["sections"][0] is None and len(entry.changes["sections"][1]) == 3
    with new_entries() as approved:
        services.policy_version_approve(by=admin, version=version, approved_on=dt.date(2029, 1, 1))
    [entry] = approved
    assert entry.changes["status"] == ["draft", "approved"]
    assert entry.changes["approved_on"] == [None, "2029-01-01"]
    assert entry.by_id == admin.pk


def test_a_correction_records_what_changed_and_a_save_that_changes_nothing_records_nothing():
    document = make_document()
    version = make_version(document=document, effective_from=dt.date(2030, 4, 1))
    with new_entries() as same:
        services.policy_version_save(by=COMMAND_LINE, version=version)
    assert same == []
    version.label = "直した版"
    with new_entries() as changed:
        services.policy_version_save(by=COMMAND_LINE, version=version)
    [entry] = changed
    assert entry.changes == {"label": ["版", "直した版"]}
    assert entry.via == Via.COMMAND


def test_a_refused_edit_of_a_frozen_version_records_nothing():
    _document, _old, new = make_policy_history()
    new.label = "x"
    with new_entries() as entries, pytest.raises(services.SecurityError):
        services.policy_version_save(by=COMMAND_LINE, version=new)
    assert entries == []


def test_a_new_version_and_a_deleted_draft_are_one_entry_each():
    _document, _old, new = make_policy_history()
    with new_entries() as made:
        draft = services.policy_version_new(by=COMMAND_LINE, source=new)
    with new_entries() as deleted:
        services.policy_version_delete(by=COMMAND_LINE, version=draft)
    assert [e.action for e in made] == [Act.CREATE]
    assert [e.action for e in deleted] == [Act.DELETE]
    assert deleted[0].changes["label"][1] is None


def test_an_acknowledgement_is_one_entry_of_the_school_and_another_school_never_reads_it(
    school_a_user, school_b_user
):
    _document, _old, new = make_policy_history()
    with new_entries() as entries:
        services.acknowledgement_record(by=school_a_user, version=new)
        services.acknowledgement_record(by=school_a_user, version=new)  # a second click
    [entry] = entries
    assert entry.action == Act.ACKNOWLEDGE and entry.school_id == school_a_user.school_id
    assert is_about(entry, Acknowledgement.objects.get())
    assert ObjectChange.objects.for_user(school_b_user).filter(pk=entry.pk).count() == 0
    assert ObjectChange.objects.for_user(school_a_user).filter(pk=entry.pk).count() == 1


def test_each_reminder_written_is_one_entry_of_its_school(leader, school_a, school_b):
    _document, _old, new = make_policy_history()
    schools = list(selectors.schools_not_acknowledged(user=leader, version=new))
    with new_entries() as entries:
        services.reminders_queue(by=leader, version=new, schools=schools)
    reminders = list(AcknowledgementReminder.objects.order_by("pk"))
    assert len(entries) == len(reminders) == 2
    assert {e.school_id for e in entries} == {school_a.pk, school_b.pk}
    assert all(e.action == Act.CREATE for e in entries)


def test_a_chart_made_or_copied_is_one_entry_with_its_boxes():
    with new_entries() as made:
        chart = make_chart()
    [entry] = made
    assert is_about(entry, chart)
    boxes = [v for k, v in entry.changes.items() if k.startswith("orgnode ")]
    assert len(boxes) == 3 and boxes[0][0] is None
    with new_entries() as copied:
        copy = services.orgchart_new_version(
            by=COMMAND_LINE, chart=chart, effective_from=dt.date(2024, 4, 1)
        )
    [entry] = copied
    assert is_about(entry, copy) and entry.action == Act.CREATE


def test_a_topic_and_a_software_request_reviewed_are_one_entry_each(school_a_user, leader):
    committee = make_chart(slug="committee", kind="committee", nodes=[services.NodeSpec("部会")])
    with new_entries() as topic_entries:
        services.topic_create(
            by=COMMAND_LINE,
            group=committee.nodes.get(),
            title="議題",
            status="decided",
            meeting_date=dt.date(2023, 1, 19),
        )
    with new_entries() as asked:
        software = make_software_request(by=school_a_user)
    ok = rules.Checklist(rules.Check.OK, rules.Check.OK, rules.Check.OK)
    with new_entries() as decided:
        services.software_request_review(
            by=leader, request=software, checks=ok, decision=rules.Decision.APPROVE
        )
    assert len(topic_entries) == len(asked) == len(decided) == 1
    assert asked[0].school_id == decided[0].school_id == school_a_user.school_id
    assert decided[0].changes["status"] == ["under_review", "approved"]


def test_the_demo_is_recorded_as_the_command_line_and_a_second_run_adds_nothing(settings):
    from gigaportal import demo as portal_demo
    from security import demo

    portal_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    count = ObjectChange.objects.count()
    assert (
        ObjectChange.objects.filter(content_type__app_label="security")
        .exclude(by_id__isnull=False)
        .exists()
    )
    demo.load(stdout=io.StringIO())
    assert ObjectChange.objects.count() == count
    assert OrgChart.objects.count() == 5


def test_the_report_command_writes_nothing():
    make_policy_history()
    with new_entries() as entries:
        call_command("security_report", "policy", "--on", "2023-04-01", stdout=io.StringIO())
    assert entries == []
