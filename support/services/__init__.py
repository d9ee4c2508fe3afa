"""Writes for the support center, by topic: records, requests, campaigns, e-mails to
schools (the outbox), calendar feeds and the log import. Each service runs in one
transaction, asks support.rules whether a move is allowed, records it on the request's
timeline and in the change log, and publishes its e-mails after commit."""

from support.services.campaigns import campaign_create
from support.services.common import (
    REFUSALS,
    SupportError,
    actor_of,
    check_staff,
    request_allowed_actions,
    request_facts,
)
from support.services.emails import (
    email_for_schedule,
    emails_resend,
    emails_send,
    emails_sweep,
)
from support.services.feeds import feed_token_create, feed_token_revoke, feed_token_user
from support.services.imports import IMPORT_COLUMNS, KIND_WORDS, record_import
from support.services.records import (
    RECORD_FIELDS,
    RecordInput,
    record_check,
    record_create,
    record_may_edit,
    record_update,
)
from support.services.requests import (
    AlreadyScheduled,
    request_cancel,
    request_comment,
    request_create,
    request_move,
    request_schedule,
)

__all__ = [
    "AlreadyScheduled",
    "IMPORT_COLUMNS",
    "KIND_WORDS",
    "RECORD_FIELDS",
    "REFUSALS",
    "RecordInput",
    "SupportError",
    "actor_of",
    "campaign_create",
    "check_staff",
    "email_for_schedule",
    "emails_resend",
    "emails_send",
    "emails_sweep",
    "feed_token_create",
    "feed_token_revoke",
    "feed_token_user",
    "record_check",
    "record_create",
    "record_import",
    "record_may_edit",
    "record_update",
    "request_allowed_actions",
    "request_cancel",
    "request_comment",
    "request_create",
    "request_facts",
    "request_move",
    "request_schedule",
]
