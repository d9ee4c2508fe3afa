"""Pure tally arithmetic: counts and percents by question and group, small-cell
suppression (complementary included), top N with the rest folded into その他, Likert
shares, cross-tabulations. No ORM here: the report builders hand in the counts that
the selectors read in a fixed number of queries, and get frozen tables back.

Rules, as the committee's tables need them:
- A percent is of the group's respondents who answered the question (for checkboxes,
  who ticked at least one option, so a question's percents may pass 100), to one
  decimal, rounded half up (12.25 → 12.3).
- A group whose answers to a question number fewer than the threshold is left out of
  that question. Where a total is shown, the total minus the shown groups would give
  the hidden group back: so one more group is hidden (the smallest), and more until
  the hidden groups together reach the threshold; if no group is left to hide, the
  total is hidden too. Cross-tabulation cells follow the same rule along their rows
  and columns.
- Top N: the N most frequent options (ties in the options' own order), the rest in
  one その他 row, which an existing その他 option joins.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)


class Reason(StrEnum):
    SMALL = "small"  # fewer answers than the threshold
    COMPLEMENTARY = "complementary"  # hidden so that a small one cannot be worked out


ONE_DECIMAL = Decimal("0.1")
# The row a top-N table folds the rest into; an option key of its own.
OTHER = "__other__"


def percent(count: int, base: int) -> Decimal | None:
    """count / base as a percent with one decimal, rounded half up; None for no base.
    Integer arithmetic, so 1/8 is 12.5 and 1/16 is 6.3 exactly as a person rounds."""
    if base <= 0:
        return None
    tenths = (count * 2000 + base) // (2 * base)
    return (Decimal(tenths) / 10).quantize(ONE_DECIMAL)


# --- Suppression of groups -------------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    groups: Mapping[Any, Reason] = field(default_factory=dict)
    total: Reason | None = None

    def hides(self, group) -> bool:
        return group in self.groups


def suppress_groups(
    bases: Mapping[G, int], *, threshold: int, total_shown: bool, order: Sequence[G] = ()
) -> Suppression:
    """Which groups (and whether the total) to hide for one question, from each
    group's number of respondents who answered it. Groups with no answers are not part
    of the question (nobody in them was asked) and are never listed."""
    present = [g for g in (order or list(bases)) if bases.get(g, 0) > 0]
    hidden: dict[G, Reason] = {g: Reason.SMALL for g in present if bases[g] < threshold}
    total = sum(bases[g] for g in present)
    if not total_shown or not present:
        return Suppression(hidden)
    total_reason = Reason.SMALL if total < threshold else None
    if hidden and total_reason is None:
        rank = {g: i for i, g in enumerate(present)}
        while len(hidden) == 1 or sum(bases[g] for g in hidden) < threshold:
            shown = [g for g in present if g not in hidden]
            if not shown:
                total_reason = Reason.COMPLEMENTARY
                break
            smallest = min(shown, key=lambda g: (bases[g], rank[g]))
            hidden[smallest] = Reason.COMPLEMENTARY
    if total_reason is Reason.SMALL:
        hidden = dict.fromkeys(present, Reason.SMALL)
    return Suppression(hidden, total_reason)


# --- Top N -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopN:
    shown: tuple[Any, ...]  # option keys in rank order
    folded: tuple[Any, ...]  # option keys counted in the その他 row

    @property
    def has_other(self) -> bool:
        return bool(self.folded)


def top_n(
    counts: Mapping[K, int],
    n: int,
    *,
    order: Sequence[K],
    is_other: Callable[[K], bool] = lambda key: False,
) -> TopN:
    """The N most frequent options (ties in `order`), the rest folded. An option
    `is_other` says is "その他" is never one of the N: it joins the fold."""
    rank = {key: i for i, key in enumerate(order)}
    candidates = [k for k in order if counts.get(k, 0) > 0 and not is_other(k)]
    candidates.sort(key=lambda k: (-counts[k], rank[k]))
    shown = candidates[: max(n, 0)]
    folded = [k for k in order if counts.get(k, 0) > 0 and k not in set(shown)]
    return TopN(tuple(shown), tuple(folded))


# --- One question's tally ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One group's (or the total's) answers to one question."""

    group: Any  # a group key, or None for the total
    base: int
    rows: tuple[tuple[Any, int, Decimal | None], ...]  # (option key or OTHER, count, percent)
    hidden: Reason | None = None

    def count(self, option) -> int:
        return next((c for o, c, _p in self.rows if o == option), 0)


@dataclass(frozen=True)
class QuestionTally:
    lines: tuple[Line, ...]  # the groups in order, then the total when it is shown
    top: TopN | None = None

    def line(self, group) -> Line | None:
        return next((line for line in self.lines if line.group == group), None)

    @property
    def shown(self) -> list[Line]:
        return [line for line in self.lines if line.hidden is None]

    @property
    def hidden(self) -> list[Line]:
        return [line for line in self.lines if line.hidden is not None]


def tally_question(
    *,
    options: Sequence[K],
    groups: Sequence[G],
    counts: Mapping[tuple[G, K], int],
    bases: Mapping[G, int],
    threshold: int,
    with_total: bool,
    top: int | None = None,
    is_other: Callable[[K], bool] = lambda key: False,
) -> QuestionTally:
    """Counts and percents of one question by group (and in total), suppressed.

    `counts[(group, option)]` are ticks; `bases[group]` the group's respondents who
    answered. With `top`, the options are ranked by their total count and the same N
    are shown for every group, the rest in one OTHER row."""
    present = [g for g in groups if bases.get(g, 0) > 0]
    show_total = with_total and len(present) > 1
    suppression = suppress_groups(
        {g: bases.get(g, 0) for g in present},
        threshold=threshold,
        total_shown=show_total,
        order=present,
    )
    totals: dict[K, int] = {}
    for (group, option), count in counts.items():
        if group in bases:
            totals[option] = totals.get(option, 0) + count
    ranking = top_n(totals, top, order=options, is_other=is_other) if top is not None else None

    def rows_of(get: Callable[[K], int], base: int) -> tuple:
        if ranking is None:
            keys = [o for o in options if get(o) > 0]
            return tuple((o, get(o), percent(get(o), base)) for o in keys)
        rows = [(o, get(o), percent(get(o), base)) for o in ranking.shown if get(o) > 0]
        other = sum(get(o) for o in ranking.folded)
        if other:
            rows.append((OTHER, other, percent(other, base)))
        return tuple(rows)

    lines = []
    for group in present:
        base = bases[group]
        lines.append(
            Line(
                group,
                base,
                rows_of(lambda o, g=group: counts.get((g, o), 0), base),
                suppression.groups.get(group),
            )
        )
    if show_total:
        base = sum(bases[g] for g in present)
        lines.append(Line(None, base, rows_of(lambda o: totals.get(o, 0), base), suppression.total))
    return QuestionTally(tuple(lines), ranking)


# --- Likert shares ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shares:
    base: int
    negative: Decimal | None
    neutral: Decimal | None
    positive: Decimal | None


def likert_shares(line: Line, polarity: Mapping[Any, int]) -> Shares:
    """The shares of negative, neutral and positive answers in one group's line (each
    of the respondents who answered)."""
    sums = {-1: 0, 0: 0, 1: 0}
    for option, count, _percent in line.rows:
        sign = polarity.get(option)
        if sign is not None:
            sums[int(sign)] += count
    return Shares(
        line.base,
        percent(sums[-1], line.base),
        percent(sums[0], line.base),
        percent(sums[1], line.base),
    )


# --- Cross-tabulation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossTab:
    rows: tuple[Any, ...]
    columns: tuple[Any, ...]
    cells: Mapping[tuple[Any, Any], int]
    row_totals: Mapping[Any, int]
    column_totals: Mapping[Any, int]
    total: int
    hidden_cells: Mapping[tuple[Any, Any], Reason] = field(default_factory=dict)
    hidden_row_totals: Mapping[Any, Reason] = field(default_factory=dict)
    hidden_column_totals: Mapping[Any, Reason] = field(default_factory=dict)
    hidden_total: Reason | None = None

    def cell(self, row, column) -> int | None:
        """The count, or None when it is hidden."""
        if (row, column) in self.hidden_cells:
            return None
        return self.cells.get((row, column), 0)

    def row_total(self, row) -> int | None:
        return None if row in self.hidden_row_totals else self.row_totals.get(row, 0)

    def column_total(self, column) -> int | None:
        return None if column in self.hidden_column_totals else self.column_totals.get(column, 0)


def crosstab(
    *,
    rows: Sequence[Any],
    columns: Sequence[Any],
    cells: Mapping[tuple[Any, Any], int],
    row_totals: Mapping[Any, int],
    column_totals: Mapping[Any, int],
    total: int,
    threshold: int,
) -> CrossTab:
    """A cross-tabulation with small cells hidden, and enough others hidden along each
    row and column (their totals shown) that no hidden cell can be worked out.

    Totals are given rather than summed: for checkbox questions a respondent may sit in
    several cells, so a row's total is its respondents, not the sum of its cells."""
    hidden: dict[tuple[Any, Any], Reason] = {}
    hidden_rows: dict[Any, Reason] = {}
    hidden_columns: dict[Any, Reason] = {}
    if total < threshold:
        every = {(r, c): Reason.SMALL for r in rows for c in columns if cells.get((r, c), 0)}
        return CrossTab(
            tuple(rows),
            tuple(columns),
            dict(cells),
            dict(row_totals),
            dict(column_totals),
            total,
            every,
            dict.fromkeys([r for r in rows if row_totals.get(r)], Reason.SMALL),
            dict.fromkeys([c for c in columns if column_totals.get(c)], Reason.SMALL),
            Reason.SMALL,
        )
    for r in rows:
        for c in columns:
            n = cells.get((r, c), 0)
            if 0 < n < threshold:
                hidden[(r, c)] = Reason.SMALL
    for r in rows:
        if 0 < row_totals.get(r, 0) < threshold:
            hidden_rows[r] = Reason.SMALL
    for c in columns:
        if 0 < column_totals.get(c, 0) < threshold:
            hidden_columns[c] = Reason.SMALL

    def protect(line_keys: list, value, hidden_map: dict, margin_hidden: bool) -> bool:
        """One line: if its margin is shown and its hidden cells are one, or add up to
        fewer than the threshold, hide one more (the smallest non-zero, else any)."""
        if margin_hidden:
            return False
        secret = [k for k in line_keys if k in hidden_map]
        if not secret:
            return False
        hidden_sum = sum(value(k) for k in secret)
        if len(secret) > 1 and hidden_sum >= threshold:
            return False
        shown = [k for k in line_keys if k not in hidden_map]
        candidates = [k for k in shown if value(k) > 0] or shown
        if not candidates:
            return False
        order = {k: i for i, k in enumerate(line_keys)}
        choice = min(candidates, key=lambda k: (value(k), order[k]))
        hidden_map[choice] = Reason.COMPLEMENTARY
        return True

    changed = True
    while changed:
        changed = False
        for r in rows:
            keys = [(r, c) for c in columns]
            changed |= protect(keys, lambda k: cells.get(k, 0), hidden, r in hidden_rows)
        for c in columns:
            keys = [(r, c) for r in rows]
            changed |= protect(keys, lambda k: cells.get(k, 0), hidden, c in hidden_columns)
        # The margins themselves add up to the grand total.
        changed |= protect(list(rows), lambda r: row_totals.get(r, 0), hidden_rows, False)
        changed |= protect(list(columns), lambda c: column_totals.get(c, 0), hidden_columns, False)
    return CrossTab(
        tuple(rows),
        tuple(columns),
        dict(cells),
        dict(row_totals),
        dict(column_totals),
        total,
        hidden,
        hidden_rows,
        hidden_columns,
        None,
    )
