"""One definition of who counts as center staff (support staff and the leader):
the forms offer exactly the people the services and the import accept, and an
administrator is refused everywhere with a clear message."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from django.utils.translation import override

from gigaportal.tabular import TabularError
from support import forms, services
from support.models import Campaign, RequestEmail, SupportRecord
from support.services import RecordInput, SupportError
from tests.support.factories import make_request

pytestmark = pytest.mark.django_db


def test_the_forms_offer_exactly_the_staff_the_services_accept(cast, school_a, leader):
    offered = set(forms.RecordForm.base_fields["staff"].queryset.values_list("pk", flat=True))
    accepted = set()
    for person in cast.values():
        try:
            with override("ja"):
                services.record_create(
                    by=leader,
                    data=RecordInput(
                        date=timezone.localdate(), school=school_a, kind="visit", staff=[person]
                    ),
                )
        except SupportError:
            continue
        accepted.add(person.pk)
    assert offered == accepted == {cast["support_staff"].pk, cast["leader"].pk}


def test_an_administrator_named_as_staff_is_refused_with_a_clear_message(
    cast, school_a, school_a_user, leader, support_staff, admin
):
    with override("ja"), pytest.raises(SupportError, match="管理者"):
        services.record_create(
            by=leader,
            data=RecordInput(
                date=timezone.localdate(),
                school=school_a,
                kind="visit",
                staff=[support_staff, admin],
            ),
        )
    request = make_request(school=school_a, requested_by=school_a_user)
    with override("ja"), pytest.raises(SupportError, match="管理者"):
        services.request_schedule(
            by=leader, request=request, staff=[admin], date=dt.date(2030, 6, 3)
        )
    with override("ja"), pytest.raises(SupportError, match="管理者"):
        services.campaign_create(
            by=leader,
            name="iPadOS更新",
            start=dt.date(2030, 8, 1),
            end=dt.date(2030, 8, 30),
            kind="visit",
            topic=None,
            schools=[school_a],
            staff=[admin],
        )
    assert not SupportRecord.objects.exists()
    assert not Campaign.objects.exists()
    assert not RequestEmail.objects.exists()
    request.refresh_from_db()
    assert request.status == "requested"


def test_the_import_says_an_administrator_is_not_center_staff(leader, admin, school_a):
    text = "日付,学校コード,区分,担当\n2022-04-12,A001,訪問支援,管理者 山本\n"
    with override("ja"), pytest.raises(TabularError) as refused:
        services.record_import(file=io.BytesIO(text.encode()), by=leader)
    assert "2行目" in str(refused.value)
    assert "管理者であり" in str(refused.value)
    assert not SupportRecord.objects.exists()
