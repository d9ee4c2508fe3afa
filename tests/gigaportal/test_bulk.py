"""The shared set-based writes (gigaportal/bulk.py) on whichever database the run has:
the rows written are the rows given, read back through the ORM like any other."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gigaportal.bulk import insert_returning, insert_rows, update_rows
from gigaportal.models import School
from tests.traffic.factories import make_line
from traffic.models import Case, CaseStep, SchoolNotice

pytestmark = pytest.mark.django_db


def test_insert_returning_writes_the_rows_with_their_constants_in_one_statement(school_a):
    with CaptureQueriesContext(connection) as queries:
        returned = insert_returning(
            School,
            ["code", "name"],
            [("E201", "旭小学校"), ("E202", "緑小学校"), ("E203", "港小学校")],
            constants={
                "kind": School.Kind.ELEMENTARY.value,
                "email": "",
                "principal_name": "",
                "is_active": True,
            },
            returning=("pk", "code"),
        )
    assert len(queries) == 1
    by_code = {code: pk for pk, code in returned}
    assert set(by_code) == {"E201", "E202", "E203"}
    rows = School.objects.filter(pk__in=by_code.values()).values_list("pk", "code", "name", "kind")
    assert sorted(rows) == sorted(
        (by_code[code], code, name, School.Kind.ELEMENTARY)
        for code, name in (("E201", "旭小学校"), ("E202", "緑小学校"), ("E203", "港小学校"))
    )


def test_insert_returning_nothing_writes_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        assert insert_returning(School, ["code", "name"], []) == []
    assert len(queries) == 0


def test_rows_written_in_bulk_read_back_as_the_orm_writes_them(school_a):
    """Dates, decimals and aware datetimes go in as Django would store them: filters
    and ordering on them agree with rows the ORM wrote (on SQLite, text compared as
    text)."""
    line = make_line(school=school_a)
    ((case_id, _line),) = insert_returning(
        Case,
        ["line", "stage"],
        [(line.pk, 2)],
        constants={"cohort": dt.date(2022, 9, 1)},
        returning=("pk", "line"),
    )
    insert_rows(
        CaseStep,
        ["case", "month", "transition", "stage", "usage_mb"],
        [(case_id, dt.date(2022, 10, 1), "escalated", 2, Decimal("153600.125"))],
    )
    step = CaseStep.objects.get(case_id=case_id, month=dt.date(2022, 10, 1))
    assert step.usage_mb == Decimal("153600.125")
    update_rows(Case, ["stage", "closed_month"], [(case_id, 3, dt.date(2022, 11, 1))])
    case = Case.objects.get(pk=case_id, closed_month=dt.date(2022, 11, 1))
    assert (case.stage, case.cohort) == (3, dt.date(2022, 9, 1))

    from traffic.models import Action

    # The same day, the bulk row an hour before the ORM's: on SQLite, an ISO text
    # ("…T09:00…+00:00") would sort after Django's ("… 10:00…").
    orm_time = dt.datetime(2022, 10, 3, 10, 0, tzinfo=dt.UTC)
    bulk_time = orm_time - dt.timedelta(hours=1)
    action = Action.objects.create(case=case, stage=3, kind="tablet_warning", month=case.cohort)
    notice = SchoolNotice.objects.create(action=action, school=school_a, subject="ORM", body="")
    SchoolNotice.objects.filter(pk=notice.pk).update(created_at=orm_time)
    later = Action.objects.create(case=case, stage=4, kind="parent_letter", month=case.cohort)
    insert_rows(
        SchoolNotice,
        ["action", "school", "subject", "body", "created_at"],
        [(later.pk, school_a.pk, "bulk", "", bulk_time)],
    )
    assert list(SchoolNotice.objects.values_list("subject", flat=True)) == ["ORM", "bulk"]
    assert SchoolNotice.objects.filter(created_at__lt=orm_time).get().subject == "bulk"
    assert SchoolNotice.objects.get(subject="bulk").created_at == bulk_time
