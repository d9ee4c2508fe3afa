"""Writes of the traffic app: the usage import, policies, the monthly evaluation with
its outbox, the delivery of actions and the schools' acknowledgements. Each runs in
one transaction and records its change; tasks are published only after commit."""

from traffic.services.actions import (
    actions_deliver,
    actions_resend,
    actions_sweep,
    demo_mark_delivered,
    notice_acknowledge,
)
from traffic.services.evaluation import (
    EvaluationRefused,
    EvaluationResult,
    evaluate_pending_months,
    evaluation_check,
    evaluation_run,
    evaluations_enqueue_on_commit,
    months_with_usage,
)
from traffic.services.policy import (
    PolicyRefused,
    policy_check,
    policy_in_force,
    policy_save,
    policy_set,
)
from traffic.services.totals import monthly_totals_refresh
from traffic.services.usage import usage_import, usage_import_run, usage_load_rows

__all__ = [
    "EvaluationRefused",
    "EvaluationResult",
    "PolicyRefused",
    "actions_deliver",
    "actions_resend",
    "actions_sweep",
    "demo_mark_delivered",
    "evaluate_pending_months",
    "evaluation_check",
    "evaluation_run",
    "evaluations_enqueue_on_commit",
    "monthly_totals_refresh",
    "months_with_usage",
    "notice_acknowledge",
    "policy_check",
    "policy_in_force",
    "policy_save",
    "policy_set",
    "usage_import",
    "usage_import_run",
    "usage_load_rows",
]
