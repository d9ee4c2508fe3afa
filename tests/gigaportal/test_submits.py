"""Issue 13, finding 8: a form that creates something is sent once (gigaportal.submits).
A double click or a re-sent page makes one row and goes to it; two posts of one page
at the same moment make one row (PostgreSQL's unique index decides); a token that is
not the person's is a clear message on the form, never a 500."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core import signing
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices.models import Device, DeviceEvent
from gigaportal import submits
from gigaportal.celery import BEAT_SCHEDULE
from gigaportal.models import SubmitToken
from support.models import Campaign, RequestComment, Status, SupportRecord, SupportRequest
from tests.devices.factories import make_device, make_spares
from tests.factories import make_school, submit_token
from tests.gigaportal.test_celery_worker import wait_for
from tests.support.factories import make_request, topic

# Inside the date window (to next year): a visit scheduled ahead.
NEXT_YEAR = dt.date.today().year + 1

ALREADY_SENT = "この内容はすでに送信済みです。"
NOT_CONFIRMED = "このフォームは、ポータルがあなたに表示したものと確認できませんでした。"
TOO_OLD = "このフォームは開いてから時間がたちすぎています。"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Each creating form, posted twice with the page's token ---------------------------------


@dataclass
class Case:
    user: object
    url: str
    data: dict
    count: Callable[[], int]
    # Where the first post went, and a repeat is sent.
    first_page: Callable[[], str]


def _record(cast, school_a):
    staff = cast["support_staff"]
    return Case(
        user=staff,
        url=reverse("support:record_create"),
        data={
            "school": school_a.pk,
            "kind": "visit",
            "date": timezone.localdate().isoformat(),
            "staff": [staff.pk],
            "topics": [topic("faults").pk],
            "what_was_done": "再起動で復旧",
        },
        count=SupportRecord.objects.count,
        first_page=lambda: reverse("support:record_detail", args=[SupportRecord.objects.get().pk]),
    )


def _request(cast, school_a):
    day = timezone.localdate() + dt.timedelta(days=3)
    return Case(
        user=cast["school_a_user"],
        url=reverse("support:request_create"),
        data={"kind": "visit", "preferred_date_1": day.isoformat(), "details": "電子黒板"},
        count=SupportRequest.objects.count,
        first_page=lambda: reverse(
            "support:request_detail", args=[SupportRequest.objects.get().pk]
        ),
    )


def _schedule(cast, school_a):
    request = make_request(school=school_a, requested_by=cast["school_a_user"])
    return Case(
        user=cast["leader"],
        url=reverse("support:request_schedule", args=[request.pk]),
        data={"staff": [cast["support_staff"].pk], "date": f"{NEXT_YEAR}-06-03", "time": "10:30"},
        count=lambda: request.events.filter(to_status=Status.SCHEDULED).count(),
        first_page=lambda: reverse("support:request_detail", args=[request.pk]),
    )


def _comment(cast, school_a):
    request = make_request(school=school_a, requested_by=cast["school_a_user"])
    return Case(
        user=cast["school_a_user"],
        url=reverse("support:request_comment", args=[request.pk]),
        data={"text": "3時間目にお願いします。"},
        count=RequestComment.objects.count,
        first_page=lambda: reverse("support:request_detail", args=[request.pk]),
    )


def _campaign(cast, school_a):
    return Case(
        user=cast["leader"],
        url=reverse("support:campaign_create"),
        data={
            "name": "iPadOS更新",
            "start": f"{NEXT_YEAR}-08-01",
            "end": f"{NEXT_YEAR}-08-09",
            "kind": "visit",
            "schools": [school_a.pk],
            "staff": [cast["support_staff"].pk],
            "visits_per_staff_per_day": 2,
        },
        count=Campaign.objects.count,
        first_page=lambda: reverse("support:campaign_detail", args=[Campaign.objects.get().pk]),
    )


def _breakage(cast, school_a):
    device = make_device(school=school_a)
    return Case(
        user=cast["support_staff"],
        url=reverse("devices:record"),
        data={
            "school": school_a.pk,
            "serial": device.serial,
            "kind": "failure",
            "cause": "charging",
            "date": timezone.localdate().isoformat(),
        },
        count=DeviceEvent.objects.count,
        first_page=lambda: f"{reverse('devices:record')}?school={school_a.pk}",
    )


def _fault_report(cast, school_a):
    device = make_device(school=school_a)
    return Case(
        user=cast["school_a_user"],
        url=reverse("devices:report_fault"),
        data={"serial": device.serial, "kind": "failure", "cause": "charging"},
        count=DeviceEvent.objects.count,
        first_page=lambda: reverse("devices:list"),
    )


def _device_step(cast, school_a):
    [spare] = make_spares(1)
    return Case(
        user=cast["support_staff"],
        url=reverse("devices:step", args=[spare.pk]),
        data={"kind": "issue", "school": school_a.pk, "date": timezone.localdate().isoformat()},
        count=DeviceEvent.objects.count,
        first_page=lambda: reverse("devices:detail", args=[spare.pk]),
    )


def _category(cast, school_a):
    from surveys.models import Kind, Option, Question, Survey

    survey = Survey.objects.create(title="ICT活用調査", slug="ict-2022", fiscal_year=2022)
    question = Question.objects.create(
        survey=survey, position=1, header="要望", text="要望", kind=Kind.FREE_TEXT
    )
    return Case(
        user=cast["leader"],
        url=reverse("surveys:codebook", args=[survey.slug, question.pk]),
        data={"text": "充電", "keywords": "充電"},
        count=lambda: Option.objects.filter(question=question).count(),
        first_page=lambda: reverse("surveys:codebook", args=[survey.slug, question.pk]),
    )


CASES = {
    "record": _record,
    "request": _request,
    "schedule": _schedule,
    "comment": _comment,
    "campaign": _campaign,
    "breakage": _breakage,
    "fault_report": _fault_report,
    "device_step": _device_step,
    "survey_category": _category,
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CASES)
def test_the_same_page_sent_twice_makes_one_and_the_second_goes_to_it(client, cast, school_a, kind):
    case = CASES[kind](cast, school_a)
    client.force_login(case.user)
    data = {**case.data, "submit_token": submit_token(case.user)}
    first = client.post(case.url, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    assert case.count() == 1
    again = client.post(case.url, data, follow=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert again.redirect_chain[0] == (case.first_page(), 302)
    assert ALREADY_SENT in messages_of(again)
    assert case.count() == 1
    assert SubmitToken.objects.get().user == case.user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "form_key"),
    [
        ("support:record_create", "form"),
        ("support:request_create", "form"),
        ("support:campaign_create", "form"),
        ("devices:record", "form"),
    ],
)
def test_a_creating_page_gives_a_token_of_its_own_each_time(client, leader, url_name, form_key):
    client.force_login(leader)
    tokens = [
        client.get(reverse(url_name)).context[form_key].initial["submit_token"] for _ in range(2)
    ]
    assert tokens[0] != tokens[1]
    for token in tokens:
        assert submits.token_check(token=token, user=leader)
    page = client.get(reverse(url_name)).content.decode()
    assert 'name="submit_token"' in page


@pytest.mark.django_db
def test_two_pages_of_the_same_content_are_two_requests(client, school_a_user):
    """The token is the page, not the content: a school that asks twice, on purpose,
    from two pages, has two requests."""
    client.force_login(school_a_user)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = {"kind": "visit", "preferred_date_1": day, "details": "電子黒板"}
    for _ in range(2):
        page = client.get(reverse("support:request_create"))
        token = page.context["form"].initial["submit_token"]
        assert client.post(reverse("support:request_create"), {**data, "submit_token": token})
    assert SupportRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_post_does_not_spend_its_token(
    client, support_staff, school_a, school_b, school_b_user
):
    """A post the service refuses (here: logging school B's request at school A) leaves
    the token unspent: the person corrects the form and sends the same page again."""
    request = make_request(
        school=school_b, requested_by=school_b_user, status=Status.SCHEDULED, staff=[support_staff]
    )
    client.force_login(support_staff)
    data = {
        "request": request.pk,
        "school": school_a.pk,
        "kind": "visit",
        "date": timezone.localdate().isoformat(),
        "staff": [support_staff.pk],
        "submit_token": submit_token(support_staff),
    }
    refused = client.post(reverse("support:record_create"), data, HTTP_ACCEPT_LANGUAGE="ja")
    assert refused.status_code == 400
    assert not SupportRecord.objects.exists() and not SubmitToken.objects.exists()
    response = client.post(reverse("support:record_create"), {**data, "school": school_b.pk})
    assert response.status_code == 302
    assert SupportRecord.objects.get().request == request


# --- Tokens that are not the person's ------------------------------------------------------------


def _old_token(user, *, days: int) -> str:
    """A token as the portal signed it `days` ago (TimestampSigner's own format)."""
    stamp = signing.b62_encode(int(time.time()) - days * 86400)
    return signing.Signer(salt=submits.SALT).sign(f"{user.pk}:oldpagekey:{stamp}")


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["", "abc", "1:abc:xyz:sig", "foreign"])
def test_a_token_not_given_to_this_person_is_refused_in_japanese(
    client, school_a_user, school_b_user, forged
):
    token = submit_token(school_b_user) if forged == "foreign" else forged
    client.force_login(school_a_user)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = {"kind": "visit", "preferred_date_1": day, "details": "電子黒板", "submit_token": token}
    response = client.post(reverse("support:request_create"), data, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert NOT_CONFIRMED in response.content.decode()
    assert not SupportRequest.objects.exists() and not SubmitToken.objects.exists()
    # The form shown again carries a fresh token of the person's own: sending it works.
    fresh = response.context["form"]["submit_token"].value()
    assert fresh != token and submits.token_check(token=fresh, user=school_a_user)
    assert f'value="{fresh}"' in response.content.decode()
    again = client.post(reverse("support:request_create"), {**data, "submit_token": fresh})
    assert again.status_code == 302
    assert SupportRequest.objects.get().school == school_a_user.school


@pytest.mark.django_db
def test_a_stale_token_is_refused_with_a_message_that_says_why(client, support_staff, school_a):
    client.force_login(support_staff)
    data = {
        "school": school_a.pk,
        "kind": "visit",
        "date": timezone.localdate().isoformat(),
        "staff": [support_staff.pk],
        "submit_token": _old_token(support_staff, days=3),
    }
    response = client.post(reverse("support:record_create"), data, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert TOO_OLD in response.content.decode()
    assert not SupportRecord.objects.exists()
    # One day old is still good.
    data["submit_token"] = _old_token(support_staff, days=1)
    assert client.post(reverse("support:record_create"), data).status_code == 302


@pytest.mark.django_db
def test_a_forged_token_on_a_post_only_form_is_a_message_not_an_error_page(
    client, leader, support_staff, school_a, school_a_user
):
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(leader)
    response = client.post(
        reverse("support:request_schedule", args=[request.pk]),
        {"staff": [support_staff.pk], "date": f"{NEXT_YEAR}-06-03", "submit_token": "forged"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 200
    assert any(NOT_CONFIRMED in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.status == Status.REQUESTED and not request.emails.exists()


# --- Two posts at the same moment (PostgreSQL) -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_page_at_the_same_moment_make_one_record(
    require_postgres, support_staff, school_a
):
    """Two threads, two connections, one token: a double click that reaches two workers."""
    token = submit_token(support_staff)
    data = {
        "school": school_a.pk,
        "kind": "visit",
        "date": timezone.localdate().isoformat(),
        "staff": [support_staff.pk],
        "submit_token": token,
    }
    clients = [Client(), Client()]
    for each in clients:
        each.force_login(support_staff)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(each):
        try:
            barrier.wait(timeout=10)
            statuses.append(each.post(reverse("support:record_create"), data).status_code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [302, 302]
    assert SupportRecord.objects.count() == 1
    assert SubmitToken.objects.get().object_id == str(SupportRecord.objects.get().pk)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_second_post_waits_for_the_first_and_then_finds_what_it_made(
    require_postgres, support_staff
):
    """The order made certain: the first post is inside its creation when the second
    arrives; the second waits at the token's unique index, and once the first commits
    it is AlreadySubmitted, pointing at the first's object."""
    token = submit_token(support_staff)
    inside, proceed = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first():
        def create():
            inside.set()
            proceed.wait(timeout=30)
            return make_school(code="RACE1")

        try:
            outcomes["first"] = submits.submit_once(
                token=token, user=support_staff, create=create, url="/first/"
            )
        finally:
            connection.close()

    def second():
        try:
            outcomes["second"] = submits.submit_once(
                token=token,
                user=support_staff,
                create=lambda: make_school(code="RACE2"),
                url="/second/",
            )
        except submits.AlreadySubmitted as exc:
            outcomes["second"] = exc
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert inside.wait(timeout=30)
    two = threading.Thread(target=second)
    two.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    proceed.set()
    one.join(timeout=30)
    two.join(timeout=30)
    school = outcomes["first"]
    assert school.code == "RACE1"
    assert isinstance(outcomes["second"], submits.AlreadySubmitted)
    assert outcomes["second"].url == "/first/"
    assert outcomes["second"].submit.object_id == str(school.pk)
    assert not type(school).objects.filter(code="RACE2").exists()


# --- The sweep ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_forgets_tokens_after_a_week_and_keeps_the_rest(support_staff):
    now = timezone.now()
    old = SubmitToken.objects.create(
        user=support_staff, token="old", created_at=now - dt.timedelta(days=8)
    )
    recent = SubmitToken.objects.create(
        user=support_staff, token="recent", created_at=now - dt.timedelta(days=6)
    )
    assert submits.tokens_sweep(now=now) == 1
    assert list(SubmitToken.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SubmitToken.objects.filter(pk=old.pk).exists()
    # A swept token is stale long before: it can never be spent a second time.
    assert submits.MAX_AGE < submits.KEEP


def test_beat_sweeps_the_tokens():
    tasks = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "gigaportal.tasks.sweep_submit_tokens" in tasks


@pytest.mark.celery_worker
def test_a_real_worker_sweeps_old_tokens_from_the_redis_queue(celery_worker, support_staff):
    from gigaportal.tasks import sweep_submit_tokens

    SubmitToken.objects.create(
        user=support_staff, token="old", created_at=timezone.now() - dt.timedelta(days=8)
    )
    SubmitToken.objects.create(user=support_staff, token="today")
    sweep_submit_tokens.delay()
    assert wait_for(lambda: not SubmitToken.objects.filter(token="old").exists())
    assert list(SubmitToken.objects.values_list("token", flat=True)) == ["today"]


# Device detail: the step forms of one page each carry their own token.
@pytest.mark.django_db
def test_each_step_form_of_a_device_page_has_its_own_token(client, support_staff):
    device = make_device(status=Device.Status.IN_REPAIR)
    client.force_login(support_staff)
    forms = client.get(reverse("devices:detail", args=[device.pk])).context["step_forms"]
    tokens = [form.initial["submit_token"] for form in forms]
    assert len(tokens) >= 2 and len(set(tokens)) == len(tokens)
