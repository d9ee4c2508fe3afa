"""Who changed what: every write of the portal leaves one entry (gigaportal.models.
ObjectChange), in the transaction that makes the change.

A service records its change after it has made it:

    before = changelog.values(record, RECORD_FIELDS)
    ...change and save the record...
    changelog.record(by=by, action=ObjectChange.Action.UPDATE, obj=record, before=before,
                     fields=RECORD_FIELDS)

- `by` is the person (a User), `gigaportal.scope.COMMAND_LINE` for a command run
  without `--as`, or `gigaportal.scope.SYSTEM` for work the portal does on its own.
  Their name is kept as it was.
- The entry's school is the object's (`Model.school_path`), so a school user's view of
  the log holds their school's objects only.
- `changes` is `{"field": [before, after]}` with readable values: a related object by
  its text, several by their texts, dates as YYYY-MM-DD. Only fields that changed are
  kept; a creation lists the fields it set. A part of the object saved with it (a
  chart's boxes) is keyed "<model name> <id>" with its values as a dict; pages show
  the key as that model's verbose name (`change_lines`).
- The request id and the channel (a portal page, Django admin, a command, the system)
  come from `context()`, which the middleware and the commands set.

A bulk import is one entry, for its ImportBatch, written by gigaportal.imports: the
COPY and bulk paths pay one INSERT per file, never one per row.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.translation import pgettext

from gigaportal.models import ObjectChange
from gigaportal.scope import COMMAND_LINE, SYSTEM

Action = ObjectChange.Action
Via = ObjectChange.Via
# Never recorded, whatever a caller passes: secrets and bookkeeping.
SECRET_FIELDS = frozenset({"password", "digest", "last_login", "updated_at"})


@dataclass(frozen=True)
class Context:
    request_id: str = ""
    via: str = ""


_NO_CONTEXT = Context()  # frozen: safe to share as the default
_context: contextvars.ContextVar[Context] = contextvars.ContextVar(
    "changelog_context",
    default=_NO_CONTEXT,  # noqa: B039
)


@contextmanager
def context(*, via: str, request_id: str = "") -> Iterator[Context]:
    """Sets where changes come from for the code inside (a request, a command)."""
    token = _context.set(Context(request_id=request_id or uuid.uuid4().hex, via=via))
    try:
        yield _context.get()
    finally:
        _context.reset(token)


def current() -> Context:
    return _context.get()


def _via_for(by) -> str:
    if by is SYSTEM:
        return Via.SYSTEM
    if by is COMMAND_LINE:
        return Via.COMMAND
    return current().via or Via.COMMAND


def actor(by) -> tuple[int | None, str, str]:
    """(user id, name as it is now, channel) for the `by` of a change."""
    if by is None:
        by = SYSTEM
    user_id = getattr(by, "pk", None)
    name = getattr(by, "display_name", "") or getattr(by, "username", "")
    return user_id, str(name)[:150], _via_for(by)


# --- Values --------------------------------------------------------------------------


def readable(value: Any) -> Any:
    """A JSON value a person can read in the log and in its CSV."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model | Promise):
        # A lazy translation is iterable too: without this it became a list of letters.
        return force_str(value)
    if isinstance(value, Mapping):
        return {str(k): readable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [readable(v) for v in value]
    return force_str(value)


@dataclass(frozen=True)
class ChangeLine:
    """One field of an entry as a person reads it: the field's name in their language,
    choice codes as their labels, yes/no for a flag."""

    label: str
    before: str
    after: str
    created: bool  # no value before (a creation, or a field set for the first time)

    def __str__(self) -> str:
        after = self.after or "—"
        return (
            f"{self.label}: {after}" if self.created else f"{self.label}: {self.before} → {after}"
        )


def _value_text(field, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return pgettext("change log", "yes") if value else pgettext("change log", "no")
    if isinstance(value, Mapping):
        # A snapshot of a related row: its values, in order.
        return " / ".join(t for t in (_value_text(None, v) for v in value.values()) if t)
    if isinstance(value, list | tuple):
        return "、".join(t for t in (_value_text(field, v) for v in value) if t)
    if field is not None and getattr(field, "flatchoices", None):
        labels = {str(code): label for code, label in field.flatchoices}
        return force_str(labels.get(str(value), value))
    return force_str(value)


_PART_KEY = re.compile(r"([a-z][a-z0-9_]*) (\S+)")


def _label(model, name: str):
    """(label, field) for a key of `changes`: a field of the model by its verbose name;
    a part of the object recorded as "<model name> <id>" (a chart's box: "orgnode 21")
    by that model's verbose name and the id; anything else by the key as recorded."""
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            pass
        else:
            return force_str(getattr(field, "verbose_name", name)), field
        part = _PART_KEY.fullmatch(name)
        if part:
            try:
                related = apps.get_model(model._meta.app_label, part[1])
            except LookupError:
                related = None
            if related is not None:
                return f"{related._meta.verbose_name} {part[2]}", None
    return name.replace("_", " "), None


def change_lines(entry: ObjectChange) -> list[ChangeLine]:
    """The entry's `changes`, readable: fields of its model by their verbose names,
    anything else (a count, a related list) by the key it was recorded under."""
    model = entry.content_type.model_class()
    lines = []
    for name, pair in (entry.changes or {}).items():
        before, after = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        label, field = _label(model, name)
        lines.append(
            ChangeLine(
                label=label,
                before=_value_text(field, before),
                after=_value_text(field, after),
                created=before is None,
            )
        )
    return lines


def values(obj: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """The readable values of `fields` of `obj` (many-to-many ones as sorted texts;
    they cost a query each, so pass them only off the hot paths)."""
    result: dict[str, Any] = {}
    for name in fields:
        if name in SECRET_FIELDS:
            continue
        field = obj._meta.get_field(name)
        if field.many_to_many:
            related = getattr(obj, name).all() if obj.pk else []
            result[name] = sorted(force_str(item) for item in related)
        elif field.is_relation:
            result[name] = readable(getattr(obj, name))
        else:
            result[name] = readable(getattr(obj, field.attname))
    return result


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list]:
    """{"field": [before, after]} for the fields whose value differs."""
    before, after = before or {}, after or {}
    changes = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = readable(before.get(name)), readable(after.get(name))
        if old != new:
            changes[name] = [old, new]
    return changes


def school_id_of(obj: models.Model) -> int | None:
    """The school an object belongs to, along its model's `school_path`."""
    path = getattr(type(obj), "school_path", None)
    if not path:
        return None
    if path == "pk":
        return obj.pk
    parts = path.split("__")
    target: Any = obj
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, f"{parts[-1]}_id", None)


# --- Recording ---------------------------------------------------------------------------


def record(
    *,
    by,
    action: str,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    fields: Sequence[str] = (),
    changes: Mapping[str, Sequence] | None = None,
    school_id: int | None = None,
    text: str = "",
) -> ObjectChange | None:
    """Writes one entry for `obj`.

    The changes are `changes` when given; otherwise the difference between `before`
    and `after` (by default the object's current `values(obj, fields)`). An update
    that changed nothing writes nothing and returns None.
    """
    if changes is None:
        if after is None and fields:
            after = values(obj, fields)
        changes = diff(before, after)
        if action == Action.UPDATE and not changes:
            return None
    user_id, name, via = actor(by)
    school = school_id if school_id is not None else school_id_of(obj)
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    if "school" in changes and school is not None:
        # The object moved to another school: its history moves with it, so the school
        # it left no longer reads what the object holds now.
        ObjectChange.objects.filter(content_type=content_type, object_id=str(obj.pk)).exclude(
            school_id=school
        ).update(school_id=school)
    return ObjectChange.objects.create(
        by_id=user_id,
        by_name=name,
        via=via,
        request_id=current().request_id,
        action=action,
        content_type=content_type,
        object_id=str(obj.pk),
        object_repr=(text or force_str(obj))[:200],
        school_id=school,
        changes={key: [readable(v) for v in pair] for key, pair in changes.items()},
    )


def record_many(
    *, by, action: str, objs: Iterable[models.Model], changes_of=None
) -> list[ObjectChange]:
    """One entry per object in one INSERT, for services that write a handful of rows
    at once (a campaign's visits); `changes_of(obj)` gives each object's changes."""
    user_id, name, via = actor(by)
    ctx = current()
    entries = []
    for obj in objs:
        entries.append(
            ObjectChange(
                by_id=user_id,
                by_name=name,
                via=via,
                request_id=ctx.request_id,
                action=action,
                content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
                object_id=str(obj.pk),
                object_repr=force_str(obj)[:200],
                school_id=school_id_of(obj),
                changes=readable(changes_of(obj)) if changes_of else {},
            )
        )
    return ObjectChange.objects.bulk_create(entries)


def record_login(*, user, username: str, succeeded: bool, address: str | None) -> ObjectChange:
    """A login, or a failed one, as an entry on the account (on the name typed, when
    no account has it), with the address it came from. The password is never kept."""
    from gigaportal.models import User

    content_type = ContentType.objects.get_for_model(User)
    name = str(getattr(user, "display_name", "") or username)[:150] if user else ""
    ctx = current()
    return ObjectChange.objects.create(
        by_id=user.pk if user and succeeded else None,
        by_name=name if succeeded else "",
        via=ctx.via or Via.WEB,
        request_id=ctx.request_id,
        action=Action.LOGIN if succeeded else Action.LOGIN_FAILED,
        content_type=content_type,
        object_id=str(user.pk) if user else "",
        object_repr=(str(user) if user else username)[:200],
        school_id=getattr(user, "school_id", None) if user else None,
        changes={"address": [None, address or ""]},
    )
