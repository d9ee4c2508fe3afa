"""The leader's monthly dashboard from the demo: the month's figures of every area,
read from the same registered reports as the pages, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard import selectors
from gigaportal import changelog
from gigaportal.calendar import Month
from gigaportal.models import School, User
from gigaportal.scope import COMMAND_LINE
from tests.support.factories import make_record

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(response, key: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-testid="card-{key}"')
    end = html.find("</section>", start)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:end]))


def _add_support_records(n: int) -> None:
    staff = User.objects.get(username="support")
    for school in School.objects.order_by("code")[:n]:
        make_record(school=school, staff=staff, date=dt.date(2022, 12, 5))


def test_the_leader_sees_the_months_figures_of_every_area(client, require_postgres):
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    client.force_login(User.objects.get(username="leader"))
    response = client.get("/dashboard/?month=2022-12", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    devices = _card(response, "devices")
    assert "iPad 破損・故障" in devices and " 21 " in devices
    assert "315" in devices
    traffic = _card(response, "traffic")
    assert "65,752" in traffic and " 53 " in traffic
    assert "① 14 ② 5 ③ 2 ④ 2" in traffic
    support = _card(response, "support")
    assert "366" in support and "676" in support  # this term's visits, the year's
    surveys = _card(response, "surveys")
    assert "85.6%" in surveys  # 小学生's positive share
    security = _card(response, "security")
    assert "令和5年4月1日改定" in security
    # Each card links to its report with the same period.
    assert 'href="/traffic/?month=2022-12"' in response.content.decode()
    assert 'href="/devices/breakage/?month=2022-12"' in response.content.decode()

    # Without a month: the latest with records, and the page says so.
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "記録のある最新の月" in _text(response)

    # A fixed number of queries whatever the data: more records change no count.
    cache.clear()
    with CaptureQueriesContext(connection) as before:
        client.get("/dashboard/?month=2022-12")
    _add_support_records(40)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        again = client.get("/dashboard/?month=2022-12")
    assert len(after) == len(before)
    # The new records are in the figures: the write invalidated nothing stale.
    assert "406" in _card(again, "support")  # 366 + 40 visits this term


def test_the_cards_are_cached_until_the_next_write(leader, support_staff, school_a):
    months = selectors.months_with_records(user=leader)
    cache.clear()
    first = selectors.monthly(user=leader, month=Month(2022, 12), months=months)
    with CaptureQueriesContext(connection) as cached:
        selectors.monthly(user=leader, month=Month(2022, 12), months=months)
    assert len(cached) == 1  # the change log's newest id, nothing else
    # Every write (an import batch too) leaves a change-log entry: the next read is
    # fresh and has the new record.
    record = make_record(school=school_a, staff=support_staff, date=dt.date(2022, 12, 5))
    changelog.record(by=COMMAND_LINE, action=changelog.Action.CREATE, obj=record)
    months = selectors.months_with_records(user=leader)  # as the page reads them
    with CaptureQueriesContext(connection) as fresh:
        cards = selectors.monthly(user=leader, month=Month(2022, 12), months=months)
    assert len(fresh) > 1

    def visits(found):
        support = next(c for c in found if c.key == "support")
        return next(f.value for f in support.figures if f.label == "訪問支援")

    # Before the record, December had no support record at all: no value, not a 0.
    assert (visits(first), visits(cards)) == (None, 1)


def test_a_month_without_an_areas_records_says_so_instead_of_a_zero(client, require_postgres):
    """The demo's support log runs into January 2023, the month the page opens on, but
    its usage and device events end in December: those figures are not 0 GB and 0
    incidents (a fall of 65,752 GB), they are not there yet."""
    call_command("load_demo", "--allow-production", stdout=io.StringIO())
    client.force_login(User.objects.get(username="leader"))
    response = client.get("/dashboard/?month=2023-01", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    traffic, devices = _card(response, "traffic"), _card(response, "devices")
    for card in (traffic, devices):
        assert "記録なし" in card
        assert "前月比 —" in card and "前年同月比 —" in card
    assert "0 GB" not in traffic and "-65,752" not in traffic
    assert "-21" not in devices
    # The support log has January's records: figures, compared with December.
    support = _card(response, "support")
    assert "記録なし" not in support and "前月比 -30" in support
    # December, with every area's records, has every figure.
    december = client.get("/dashboard/?month=2022-12", HTTP_ACCEPT_LANGUAGE="ja")
    assert "記録なし" not in december.content.decode()


def test_a_school_user_reaches_neither_the_dashboard_nor_the_packs(client, school_a_user):
    client.force_login(school_a_user)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/packs/").status_code == 403
    assert client.post("/dashboard/packs/new/", {"month": "2022-12"}).status_code == 403


def test_a_sparkline_has_no_point_for_a_month_without_records():
    points = selectors.sparkline_points([10, None, 20, None])
    xs = [float(point.split(",")[0]) for point in points.split()]
    assert len(xs) == 2 and xs[0] == 0.0 and xs[1] == pytest.approx(2 * 120 / 3, abs=0.1)
    # The highest known value is the top; a line of no records has no points at all.
    assert points.split()[1].endswith(",2.0")
    assert selectors.sparkline_points([None, None]) == ""
