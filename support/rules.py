"""The support center's domain rules, as pure functions over plain values.

- A school's request moves requested → scheduled → done, or to cancelled; who may
  make each move is decided here (`request_transition`).
- Support records are counted by term and kind (`tally_by_term`), the seed's table.
- Staff may edit their own records on the day they logged them; the leader edits all
  (`may_edit_record`).
- A campaign spreads visits to chosen schools over chosen staff and days
  (`plan_campaign`).

No ORM here: the services load rows, call these, and save the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from gigaportal.calendar import Term, term_of
from gigaportal.roles import LEADER_ROLES, STAFF_ROLES, Role

# The roles and "center staff" come from gigaportal.roles, the one definition: who may
# be named as staff on a record, a visit or a campaign is center staff (support staff
# and the leader): a portal administrator may act (log, plan) but is not center
# staff, so the committee's counts by staff member never include one.
SUPPORT, SCHOOL = Role.SUPPORT, Role.SCHOOL


class Kind(StrEnum):
    ONLINE = "online"
    VISIT = "visit"
    TRAINING = "training"


# The order of the committee papers' table.
KINDS: tuple[Kind, ...] = (Kind.ONLINE, Kind.VISIT, Kind.TRAINING)


class Status(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({Status.REQUESTED, Status.SCHEDULED})


class Action(StrEnum):
    SCHEDULE = "schedule"  # the leader sets staff and a date (again, to reschedule)
    COMPLETE = "complete"  # a visit or online answer was logged against the request
    CANCEL = "cancel"


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    school_id: int | None = None


@dataclass(frozen=True)
class RequestFacts:
    status: Status
    school_id: int
    assigned_staff_ids: frozenset[int] = frozenset()


class TransitionRefused(Exception):
    """A move the state machine does not allow; the message is an English sentence."""


def request_transition(*, request: RequestFacts, action: Action, actor: Actor) -> Status:
    """The status a request moves to when `actor` takes `action`, or TransitionRefused.

    - schedule: the leader, while the request is requested or already scheduled
      (rescheduling keeps it scheduled).
    - complete: on a scheduled request, one of its assigned staff or the leader; on a
      request nobody was assigned to yet (typically online help answered at once),
      any center staff member.
    - cancel: the leader, or a user of the school that asked, while it is still open.
    Done and cancelled are final.
    """
    if request.status not in OPEN_STATUSES:
        raise TransitionRefused(f"the request is already {request.status}")
    is_leader = actor.role in LEADER_ROLES
    if action is Action.SCHEDULE:
        if not is_leader:
            raise TransitionRefused("only the leader assigns staff and a date")
        return Status.SCHEDULED
    if action is Action.COMPLETE:
        if actor.role not in STAFF_ROLES:
            raise TransitionRefused("only center staff log support")
        if (
            request.status is Status.SCHEDULED
            and not is_leader
            and actor.user_id not in request.assigned_staff_ids
        ):
            raise TransitionRefused("the visit is assigned to other staff")
        return Status.DONE
    if action is Action.CANCEL:
        own_school = actor.role == SCHOOL and actor.school_id == request.school_id
        if not (is_leader or own_school):
            raise TransitionRefused("only the leader or the school that asked may cancel")
        return Status.CANCELLED
    raise TransitionRefused(f"unknown action {action}")


def allowed_actions(*, request: RequestFacts, actor: Actor) -> frozenset[Action]:
    allowed = set()
    for action in Action:
        try:
            request_transition(request=request, action=action, actor=actor)
        except TransitionRefused:
            continue
        allowed.add(action)
    return frozenset(allowed)


# --- Counting by term -----------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    """How many records of one kind fall on one day (what one GROUP BY returns)."""

    day: dt.date
    kind: Kind
    count: int


@dataclass(frozen=True)
class TermTally:
    terms: tuple[Term, ...]
    counts: dict[tuple[int, Kind], int] = field(hash=False)
    # Records on days between terms (holidays set in admin) are counted here, so a
    # total never silently loses them.
    outside_terms: int = 0

    def count(self, term_number: int, kind: Kind) -> int:
        return self.counts.get((term_number, kind), 0)

    def kind_total(self, kind: Kind) -> int:
        return sum(self.count(term.number, kind) for term in self.terms)

    def term_total(self, term_number: int) -> int:
        return sum(self.count(term_number, kind) for kind in KINDS)


def tally_by_term(day_counts: Iterable[DayCount], terms: Sequence[Term]) -> TermTally:
    """Sums day counts into (term, kind) cells; every term and kind is present."""
    counts = {(term.number, kind): 0 for term in terms for kind in KINDS}
    outside = 0
    for entry in day_counts:
        term = term_of(entry.day, terms)
        if term is None:
            outside += entry.count
        else:
            counts[(term.number, Kind(entry.kind))] += entry.count
    return TermTally(terms=tuple(terms), counts=counts, outside_terms=outside)


# --- Editing records --------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFacts:
    created_by_id: int | None
    staff_ids: frozenset[int]
    logged_on: dt.date  # the local date the record was first saved


def may_edit_record(*, record: RecordFacts, actor: Actor, today: dt.date) -> bool:
    """The leader edits every record. A support staff member edits a record they logged
    or took part in, on the day it was logged: later corrections go through the leader,
    so the term counts the committee saw do not drift."""
    if actor.role in LEADER_ROLES:
        return True
    if actor.role != SUPPORT:
        return False
    own = actor.user_id == record.created_by_id or actor.user_id in record.staff_ids
    return own and record.logged_on == today


# --- Campaigns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedVisit:
    school_id: int
    staff_id: int
    day: dt.date


class PlanningError(Exception):
    pass


# A campaign plans one period (a distribution, an update); a year is the most any
# plan needs, and the cap keeps a mistyped year (9999) from planning millennia.
MAX_CAMPAIGN_DAYS = 366


def campaign_days(
    start: dt.date, end: dt.date, *, holidays: Iterable[dt.date] = ()
) -> list[dt.date]:
    """School days of a period: Monday to Friday, without the given holidays.

    Raises PlanningError for a period longer than MAX_CAMPAIGN_DAYS.
    """
    length = (end - start).days + 1
    if length > MAX_CAMPAIGN_DAYS:
        raise PlanningError(f"the period is longer than {MAX_CAMPAIGN_DAYS} days")
    skip = set(holidays)
    # Offsets from the start, never a step past the end: a period ending on
    # date.max must not overflow.
    days = (start + dt.timedelta(days=offset) for offset in range(max(length, 0)))
    return [day for day in days if day.weekday() < 5 and day not in skip]


def plan_campaign(
    *,
    school_ids: Sequence[int],
    staff_ids: Sequence[int],
    days: Sequence[dt.date],
    visits_per_staff_per_day: int = 2,
) -> list[PlannedVisit]:
    """One visit to every school, spread evenly: each day the staff take schools in
    turn, at most `visits_per_staff_per_day` each, so the period is used from its
    start and nobody carries more than one visit more than anybody else.

    Raises PlanningError when the staff cannot reach every school in the period.
    """
    if not school_ids:
        raise PlanningError("choose at least one school")
    if not staff_ids:
        raise PlanningError("choose at least one staff member")
    if not days:
        raise PlanningError("the period has no school days")
    if visits_per_staff_per_day < 1:
        raise PlanningError("visits per staff member per day must be at least 1")
    capacity = len(staff_ids) * len(days) * visits_per_staff_per_day
    if capacity < len(school_ids):
        raise PlanningError(
            f"{len(school_ids)} schools need more than {capacity} visits the staff can make"
        )
    # Lazily: only as many slots as there are schools are ever made.
    slots = (
        (day, staff)
        for day in days
        for _round in range(visits_per_staff_per_day)
        for staff in staff_ids
    )
    return [
        PlannedVisit(school_id=school, staff_id=staff, day=day)
        for school, (day, staff) in zip(school_ids, slots, strict=False)
    ]
