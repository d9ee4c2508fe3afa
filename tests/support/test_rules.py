"""The support rules, without a database."""

import datetime as dt

import pytest

from gigaportal.calendar import default_terms
from support.rules import (
    Action,
    Actor,
    DayCount,
    Kind,
    PlanningError,
    RecordFacts,
    RequestFacts,
    Status,
    TransitionRefused,
    allowed_actions,
    campaign_days,
    may_edit_record,
    plan_campaign,
    request_transition,
    tally_by_term,
)

LEADER = Actor(user_id=1, role="leader")
ADMIN = Actor(user_id=9, role="admin")
STAFF = Actor(user_id=2, role="support")
OTHER_STAFF = Actor(user_id=3, role="support")
SCHOOL_A = Actor(user_id=4, role="school", school_id=10)
SCHOOL_B = Actor(user_id=5, role="school", school_id=20)

REQUESTED = RequestFacts(status=Status.REQUESTED, school_id=10)
SCHEDULED = RequestFacts(status=Status.SCHEDULED, school_id=10, assigned_staff_ids=frozenset({2}))


def move(request, action, actor):
    return request_transition(request=request, action=action, actor=actor)


class TestRequestStateMachine:
    def test_the_leader_schedules_a_request(self):
        assert move(REQUESTED, Action.SCHEDULE, LEADER) is Status.SCHEDULED
        assert move(REQUESTED, Action.SCHEDULE, ADMIN) is Status.SCHEDULED

    def test_the_leader_may_reschedule(self):
        assert move(SCHEDULED, Action.SCHEDULE, LEADER) is Status.SCHEDULED

    @pytest.mark.parametrize("actor", [STAFF, SCHOOL_A])
    def test_nobody_else_schedules(self, actor):
        with pytest.raises(TransitionRefused):
            move(REQUESTED, Action.SCHEDULE, actor)

    def test_the_assigned_staff_member_closes_a_scheduled_visit(self):
        assert move(SCHEDULED, Action.COMPLETE, STAFF) is Status.DONE

    def test_other_staff_cannot_close_somebody_elses_visit(self):
        with pytest.raises(TransitionRefused, match="assigned to other staff"):
            move(SCHEDULED, Action.COMPLETE, OTHER_STAFF)

    def test_the_leader_closes_any_visit(self):
        assert move(SCHEDULED, Action.COMPLETE, LEADER) is Status.DONE

    def test_any_staff_member_answers_an_unassigned_request(self):
        assert move(REQUESTED, Action.COMPLETE, OTHER_STAFF) is Status.DONE

    def test_a_school_cannot_mark_its_request_done(self):
        with pytest.raises(TransitionRefused):
            move(REQUESTED, Action.COMPLETE, SCHOOL_A)

    def test_the_asking_school_may_cancel_but_another_school_may_not(self):
        assert move(SCHEDULED, Action.CANCEL, SCHOOL_A) is Status.CANCELLED
        with pytest.raises(TransitionRefused):
            move(SCHEDULED, Action.CANCEL, SCHOOL_B)
        with pytest.raises(TransitionRefused):
            move(SCHEDULED, Action.CANCEL, STAFF)

    @pytest.mark.parametrize("final", [Status.DONE, Status.CANCELLED])
    @pytest.mark.parametrize("action", list(Action))
    def test_done_and_cancelled_are_final(self, final, action):
        with pytest.raises(TransitionRefused, match="already"):
            move(RequestFacts(status=final, school_id=10), action, LEADER)

    def test_allowed_actions_lists_what_each_actor_may_do(self):
        assert allowed_actions(request=SCHEDULED, actor=LEADER) == set(Action)
        assert allowed_actions(request=SCHEDULED, actor=STAFF) == {Action.COMPLETE}
        assert allowed_actions(request=SCHEDULED, actor=OTHER_STAFF) == set()
        assert allowed_actions(request=SCHEDULED, actor=SCHOOL_A) == {Action.CANCEL}


class TestTallyByTerm:
    terms = default_terms(2022)

    def test_it_counts_records_into_their_term_and_kind(self):
        tally = tally_by_term(
            [
                DayCount(dt.date(2022, 4, 1), Kind.VISIT, 3),
                DayCount(dt.date(2022, 8, 31), Kind.VISIT, 2),
                DayCount(dt.date(2022, 9, 1), Kind.ONLINE, 1),
                DayCount(dt.date(2023, 1, 13), Kind.TRAINING, 4),
                DayCount(dt.date(2023, 3, 31), Kind.TRAINING, 1),
            ],
            self.terms,
        )
        assert tally.count(1, Kind.VISIT) == 5
        assert tally.count(2, Kind.ONLINE) == 1
        assert tally.count(3, Kind.TRAINING) == 5
        assert tally.count(1, Kind.ONLINE) == 0
        assert tally.kind_total(Kind.VISIT) == 5
        assert tally.term_total(3) == 5
        assert tally.outside_terms == 0

    def test_every_cell_is_present_even_without_records(self):
        tally = tally_by_term([], self.terms)
        assert len(tally.counts) == 9
        assert set(tally.counts.values()) == {0}

    def test_days_between_terms_are_counted_apart(self):
        terms = [
            *self.terms[:1],
            self.terms[1].__class__(2022, 2, dt.date(2022, 9, 5), dt.date(2022, 12, 23)),
        ]
        tally = tally_by_term([DayCount(dt.date(2022, 9, 1), Kind.VISIT, 2)], terms)
        assert tally.outside_terms == 2
        assert tally.kind_total(Kind.VISIT) == 0

    def test_records_of_another_fiscal_year_are_outside(self):
        tally = tally_by_term([DayCount(dt.date(2022, 3, 31), Kind.VISIT, 1)], self.terms)
        assert tally.outside_terms == 1


class TestSameDayEditRule:
    today = dt.date(2022, 10, 3)
    own = RecordFacts(created_by_id=2, staff_ids=frozenset({2}), logged_on=today)

    def test_staff_edit_their_own_record_the_same_day(self):
        assert may_edit_record(record=self.own, actor=STAFF, today=self.today)

    def test_staff_cannot_edit_their_own_record_the_next_day(self):
        tomorrow = self.today + dt.timedelta(days=1)
        assert not may_edit_record(record=self.own, actor=STAFF, today=tomorrow)

    def test_a_fellow_staff_member_on_the_visit_may_edit_it(self):
        shared = RecordFacts(created_by_id=2, staff_ids=frozenset({2, 3}), logged_on=self.today)
        assert may_edit_record(record=shared, actor=OTHER_STAFF, today=self.today)

    def test_staff_cannot_edit_a_colleagues_record(self):
        assert not may_edit_record(record=self.own, actor=OTHER_STAFF, today=self.today)

    def test_the_leader_edits_every_record_on_any_day(self):
        later = self.today + dt.timedelta(days=90)
        assert may_edit_record(record=self.own, actor=LEADER, today=later)
        assert may_edit_record(record=self.own, actor=ADMIN, today=later)

    def test_school_users_never_edit_records(self):
        assert not may_edit_record(record=self.own, actor=SCHOOL_A, today=self.today)


class TestCampaignPlanning:
    def test_school_days_skip_weekends_and_holidays(self):
        days = campaign_days(
            dt.date(2022, 8, 1), dt.date(2022, 8, 14), holidays=[dt.date(2022, 8, 11)]
        )
        assert len(days) == 9
        assert all(day.weekday() < 5 for day in days)
        assert dt.date(2022, 8, 11) not in days

    def test_every_school_gets_one_visit_spread_evenly_over_staff(self):
        days = campaign_days(dt.date(2022, 8, 1), dt.date(2022, 8, 5))
        visits = plan_campaign(
            school_ids=list(range(1, 12)),
            staff_ids=[100, 200],
            days=days,
            visits_per_staff_per_day=2,
        )
        assert sorted(v.school_id for v in visits) == list(range(1, 12))
        per_staff = [sum(v.staff_id == s for v in visits) for s in (100, 200)]
        assert max(per_staff) - min(per_staff) <= 1
        for day in days:
            for staff in (100, 200):
                assert sum(v.day == day and v.staff_id == staff for v in visits) <= 2
        assert visits[0].day == days[0]

    def test_it_refuses_a_plan_the_staff_cannot_carry(self):
        days = campaign_days(dt.date(2022, 8, 1), dt.date(2022, 8, 1))
        with pytest.raises(PlanningError, match="more than 2 visits"):
            plan_campaign(school_ids=[1, 2, 3], staff_ids=[100], days=days)

    def test_a_period_ending_on_the_last_representable_day_does_not_overflow(self):
        days = campaign_days(dt.date(9999, 12, 27), dt.date.max)
        assert days == [dt.date(9999, 12, 27), dt.date(9999, 12, 28), dt.date(9999, 12, 29),
                        dt.date(9999, 12, 30), dt.date(9999, 12, 31)]  # fmt: skip

    def test_a_period_longer_than_a_year_is_refused(self):
        assert len(campaign_days(dt.date(2024, 1, 1), dt.date(2024, 12, 31))) == 262  # 366 days
        with pytest.raises(PlanningError, match="longer than 366 days"):
            campaign_days(dt.date(2022, 8, 1), dt.date(9999, 12, 31))

    def test_only_the_slots_the_schools_need_are_made(self):
        class CountingDays(list):
            """The period's days, counting how many the planner walks through."""

            walked = 0

            def __iter__(self):
                for day in super().__iter__():
                    type(self).walked += 1
                    yield day

        days = CountingDays(campaign_days(dt.date(2022, 4, 1), dt.date(2023, 3, 31)))
        visits = plan_campaign(school_ids=[1, 2, 3], staff_ids=[100, 200], days=days)
        assert [v.day for v in visits] == [dt.date(2022, 4, 1)] * 3
        assert CountingDays.walked <= 2  # not the year's 260 days times the staff

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"school_ids": [], "staff_ids": [1], "days": [dt.date(2022, 8, 1)]},
            {"school_ids": [1], "staff_ids": [], "days": [dt.date(2022, 8, 1)]},
            {"school_ids": [1], "staff_ids": [1], "days": []},
        ],
    )
    def test_it_refuses_an_empty_choice(self, kwargs):
        with pytest.raises(PlanningError):
            plan_campaign(**kwargs)
