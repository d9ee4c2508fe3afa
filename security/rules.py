"""The security app's rules over plain values: when a policy version is frozen, how a
body splits into paragraphs and citations, what changed between two versions, how a
chart's boxes make a tree, and when a software request may be decided. No ORM here;
tested with plain pytest."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Refused(Exception):
    """A move the rules do not allow; `code` is one of the REFUSAL_* strings below (the
    services turn it into a sentence in the reader's language)."""

    def __init__(self, code: str, *, field: str = "") -> None:
        self.code = code
        self.field = field
        super().__init__(code)


# --- Policy versions -------------------------------------------------------------------------

REFUSAL_FROZEN = "the version is approved and in force"
REFUSAL_NOT_DRAFT = "only a draft can be approved"
REFUSAL_NO_DATE = "an approved version needs its effective date"
REFUSAL_BEFORE_APPROVAL = "a version cannot take effect before it is approved"
REFUSAL_SAME_DAY = "another approved version takes effect that day"
REFUSAL_APPROVED_DELETE = "an approved version is part of the record"
REFUSAL_PAST_DATE = "an approved version cannot be moved to a day already past"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


@dataclass(frozen=True)
class VersionFacts:
    status: VersionStatus
    effective_from: dt.date | None


def is_frozen(version: VersionFacts, *, today: dt.date) -> bool:
    """An approved version whose date has come is the record of what was in force: it
    is never edited again (a correction is a new version). A draft, or an approved
    version still to take effect, can be corrected."""
    return (
        version.status is VersionStatus.APPROVED
        and version.effective_from is not None
        and version.effective_from <= today
    )


def check_editable(version: VersionFacts, *, today: dt.date) -> None:
    if is_frozen(version, today=today):
        raise Refused(REFUSAL_FROZEN)


def check_approval(
    version: VersionFacts,
    *,
    approved_on: dt.date,
    approved_dates: Iterable[dt.date],
) -> None:
    """A draft with a date, not taking effect before its approval, on a day no other
    approved version of the document takes effect."""
    if version.status is not VersionStatus.DRAFT:
        raise Refused(REFUSAL_NOT_DRAFT)
    if version.effective_from is None:
        raise Refused(REFUSAL_NO_DATE, field="effective_from")
    if version.effective_from < approved_on:
        raise Refused(REFUSAL_BEFORE_APPROVAL, field="effective_from")
    if version.effective_from in set(approved_dates):
        raise Refused(REFUSAL_SAME_DAY, field="effective_from")


def check_reschedule(
    version: VersionFacts, *, new_date: dt.date | None, approved_on: dt.date, today: dt.date
) -> None:
    """An approved version still to come may move to another future day, never into
    the past (the days before it belonged to the version then in force)."""
    if version.status is not VersionStatus.APPROVED or new_date == version.effective_from:
        return
    if new_date is None:
        raise Refused(REFUSAL_NO_DATE, field="effective_from")
    if new_date < approved_on:
        raise Refused(REFUSAL_BEFORE_APPROVAL, field="effective_from")
    if new_date <= today:
        raise Refused(REFUSAL_PAST_DATE, field="effective_from")


# --- Text: paragraphs, citations, items -----------------------------------------------------


def lines(text: str) -> list[str]:
    """The non-empty lines of a text field, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def paragraphs(body: str) -> list[str]:
    """The paragraphs (項) of an article's body: one a line."""
    return lines(body)


_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def citation(article: int, paragraph: int | None = None) -> str:
    """第5条, 第5条第2項: how the papers cite an article and its paragraph."""
    text = f"第{article}条"
    if paragraph and paragraph > 1:
        text += f"第{paragraph}項"
    return text


def paragraph_mark(number: int) -> str:
    """The number printed before a paragraph: none for the first, ２ for the second."""
    return "" if number <= 1 else str(number).translate(_FULL_WIDTH_DIGITS)


def anchor(article: int, paragraph: int | None = None) -> str:
    """The id of an article (or paragraph) on a page, for links that cite it."""
    return f"a{article}" + (f"-{paragraph}" if paragraph else "")


@dataclass(frozen=True)
class Item:
    text: str
    details: tuple[str, ...] = ()


DETAIL_MARKS = ("・", "-", "*", "－")


def items(text: str) -> list[Item]:
    """A revision reason's items: one a line; a line starting with ・ (or -, *) adds a
    detail to the item above it (or is an item of its own when none is above)."""
    result: list[Item] = []
    for line in lines(text):
        if line.startswith(DETAIL_MARKS):
            detail = line.lstrip("".join(DETAIL_MARKS)).strip()
            if not detail:
                continue
            if result:
                last = result[-1]
                result[-1] = Item(last.text, (*last.details, detail))
            else:
                result.append(Item(detail))
        else:
            result.append(Item(line))
    return result


# --- What changed between two versions ---------------------------------------------------------


class Change(StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class SectionText:
    article: int
    heading: str
    paragraphs: tuple[str, ...]
    chapter: str = ""


@dataclass(frozen=True)
class Segment:
    """A run of text in a changed paragraph: kept, or inserted/deleted."""

    kind: str  # "same", "ins", "del"
    text: str


@dataclass(frozen=True)
class ParagraphDiff:
    change: Change
    before_number: int | None
    after_number: int | None
    before: tuple[Segment, ...] = ()
    after: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class SectionDiff:
    article: int
    change: Change
    before: SectionText | None
    after: SectionText | None
    paragraphs: tuple[ParagraphDiff, ...] = field(default_factory=tuple)

    @property
    def citation(self) -> str:
        return citation(self.article)

    @property
    def heading_changed(self) -> bool:
        return bool(self.before and self.after and self.before.heading != self.after.heading)


def _segments(before: str, after: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Character runs of two versions of a paragraph (Japanese has no spaces to split
    words at), marked as kept, deleted (in the old) and inserted (in the new)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    old: list[Segment] = []
    new: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            old.append(Segment("same", before[i1:i2]))
            new.append(Segment("same", after[j1:j2]))
            continue
        if i2 > i1:
            old.append(Segment("del", before[i1:i2]))
        if j2 > j1:
            new.append(Segment("ins", after[j1:j2]))
    return tuple(old), tuple(new)


def _paragraph_diffs(before: Sequence[str], after: Sequence[str]) -> tuple[ParagraphDiff, ...]:
    result: list[ParagraphDiff] = []
    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                text = (Segment("same", before[i1 + offset]),)
                result.append(
                    ParagraphDiff(Change.SAME, i1 + offset + 1, j1 + offset + 1, text, text)
                )
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            old, new = _segments(before[i1 + offset], after[j1 + offset])
            result.append(ParagraphDiff(Change.CHANGED, i1 + offset + 1, j1 + offset + 1, old, new))
        for index in range(i1 + paired, i2):
            result.append(
                ParagraphDiff(Change.REMOVED, index + 1, None, (Segment("del", before[index]),))
            )
        for index in range(j1 + paired, j2):
            result.append(
                ParagraphDiff(Change.ADDED, None, index + 1, (), (Segment("ins", after[index]),))
            )
    return tuple(result)


def diff_sections(before: Sequence[SectionText], after: Sequence[SectionText]) -> list[SectionDiff]:
    """Articles matched by number: added, removed, changed (heading, chapter or any
    paragraph) or the same, in article order."""
    old = {s.article: s for s in before}
    new = {s.article: s for s in after}
    result = []
    for article in sorted(old.keys() | new.keys()):
        a, b = old.get(article), new.get(article)
        if a is None:
            change = Change.ADDED
        elif b is None:
            change = Change.REMOVED
        elif a == b:
            change = Change.SAME
        else:
            change = Change.CHANGED
        paragraphs = _paragraph_diffs(a.paragraphs if a else (), b.paragraphs if b else ())
        result.append(SectionDiff(article, change, a, b, paragraphs))
    return result


def diff_counts(diffs: Iterable[SectionDiff]) -> dict[Change, int]:
    counts = dict.fromkeys(Change, 0)
    for item in diffs:
        counts[item.change] += 1
    return counts


# --- Organisation charts ------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    depth: int  # 1 at the top
    node: Any
    parent: Any  # the parent node, None at the top


def tree_rows(
    nodes: Sequence[Any],
    *,
    key=lambda node: node.pk,
    parent_key=lambda node: node.parent_id,
    order=lambda node: (node.order, node.pk),
) -> list[TreeRow]:
    """The boxes of a chart in reading order: each under its parent, siblings by their
    order, depth 1 at the top. A box whose parent is missing (or that is caught in a
    loop an edit left) is drawn at the top rather than lost."""
    by_key = {key(n): n for n in nodes}
    children: dict[Any, list[Any]] = {}
    roots = []
    for node in nodes:
        parent = parent_key(node)
        if parent is None or parent not in by_key or parent == key(node):
            roots.append(node)
        else:
            children.setdefault(parent, []).append(node)
    rows: list[TreeRow] = []
    seen: set[Any] = set()

    def walk(node, depth: int, parent) -> None:
        if key(node) in seen:
            return
        seen.add(key(node))
        rows.append(TreeRow(depth, node, parent))
        for child in sorted(children.get(key(node), []), key=order):
            walk(child, depth + 1, node)

    for root in sorted(roots, key=order):
        walk(root, 1, None)
    for node in sorted(nodes, key=order):  # boxes only reachable through a loop
        if key(node) not in seen:
            walk(node, 1, None)
    return rows


def makes_loop(parents: Mapping[Any, Any], node: Any, parent: Any) -> bool:
    """Whether putting `node` under `parent` would make it its own ancestor, given the
    other boxes' parents (`parents[box] = its parent`)."""
    seen = set()
    current = parent
    while current is not None:
        if current == node:
            return True
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


@dataclass
class TreeItem:
    """A box with its children, for templates that draw the tree as nested lists."""

    node: Any
    depth: int
    children: list[TreeItem] = field(default_factory=list)


def nest(rows: Sequence[TreeRow]) -> list[TreeItem]:
    """The rows of tree_rows as nested items (their reading order kept)."""
    top: list[TreeItem] = []
    stack: list[TreeItem] = []
    for row in rows:
        item = TreeItem(row.node, row.depth)
        while stack and stack[-1].depth >= row.depth:
            stack.pop()
        (stack[-1].children if stack else top).append(item)
        stack.append(item)
    return top


# --- Software requests ---------------------------------------------------------------------------

REFUSAL_DECIDED = "the request is already decided"
REFUSAL_UNCHECKED = "every check must be done before approval"
REFUSAL_PROBLEM = "a check found a problem"
REFUSAL_NO_CONDITIONS = "say the conditions of a conditional check"
REFUSAL_NO_REASON = "say why the request is not approved"


class RequestStatus(StrEnum):
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class Check(StrEnum):
    PENDING = "pending"
    OK = "ok"
    CONDITIONAL = "conditional"
    PROBLEM = "problem"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Checklist:
    sign_on: Check = Check.PENDING
    personal_data: Check = Check.PENDING
    security_terms: Check = Check.PENDING

    def results(self) -> tuple[Check, ...]:
        return (self.sign_on, self.personal_data, self.security_terms)

    @property
    def complete(self) -> bool:
        return Check.PENDING not in self.results()

    @property
    def has_problem(self) -> bool:
        return Check.PROBLEM in self.results()

    @property
    def conditional(self) -> bool:
        return Check.CONDITIONAL in self.results()


def review(
    *,
    status: RequestStatus,
    checks: Checklist,
    decision: Decision | None,
    conditions: str,
    notes: str,
) -> RequestStatus:
    """The status after the center's review. Without a decision the checklist is
    saved and the request stays under review. Approval needs every check done, none
    with a problem, and the conditions written when a check passed only with them;
    refusal needs its reason. A decided request is final (the school asks again)."""
    if status is not RequestStatus.UNDER_REVIEW:
        raise Refused(REFUSAL_DECIDED)
    if decision is None:
        return RequestStatus.UNDER_REVIEW
    if decision is Decision.REJECT:
        if not notes.strip():
            raise Refused(REFUSAL_NO_REASON, field="review_notes")
        return RequestStatus.REJECTED
    if not checks.complete:
        raise Refused(REFUSAL_UNCHECKED)
    if checks.has_problem:
        raise Refused(REFUSAL_PROBLEM)
    if checks.conditional and not conditions.strip():
        raise Refused(REFUSAL_NO_CONDITIONS, field="conditions")
    return RequestStatus.APPROVED
