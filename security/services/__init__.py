"""Writes of the security app, by topic: the policy's versions (the freeze rule),
schools' acknowledgements and their reminders (the outbox), organisation charts,
working-group topics and software requests. Each service runs in one transaction,
asks security.rules whether a move is allowed and leaves one change-log entry."""

from security.services.acknowledgements import (
    acknowledgement_record,
    reminders_queue,
    reminders_resend,
    reminders_send,
    reminders_sweep,
)
from security.services.charts import (
    CHART_FIELDS,
    LinkSpec,
    NodeSpec,
    orgchart_check_parents,
    orgchart_create,
    orgchart_new_version,
    orgchart_record_edit,
    orgchart_snapshot,
)
from security.services.common import REFUSALS, SecurityError, refusal
from security.services.policy import (
    ReasonInput,
    SectionInput,
    policy_document_create,
    policy_version_approve,
    policy_version_check,
    policy_version_create,
    policy_version_delete,
    policy_version_new,
    policy_version_save,
    version_values,
)
from security.services.software import (
    REVIEW_FIELDS,
    AlreadyRequested,
    SoftwareInput,
    software_request_create,
    software_request_review,
)
from security.services.topics import TOPIC_FIELDS, topic_create

__all__ = [
    "AlreadyRequested",
    "CHART_FIELDS",
    "REFUSALS",
    "REVIEW_FIELDS",
    "TOPIC_FIELDS",
    "LinkSpec",
    "NodeSpec",
    "ReasonInput",
    "SectionInput",
    "SecurityError",
    "SoftwareInput",
    "acknowledgement_record",
    "orgchart_check_parents",
    "orgchart_create",
    "orgchart_new_version",
    "orgchart_record_edit",
    "orgchart_snapshot",
    "policy_document_create",
    "policy_version_approve",
    "policy_version_check",
    "policy_version_create",
    "policy_version_delete",
    "policy_version_new",
    "policy_version_save",
    "refusal",
    "reminders_queue",
    "reminders_resend",
    "reminders_send",
    "reminders_sweep",
    "software_request_create",
    "software_request_review",
    "topic_create",
    "version_values",
]
