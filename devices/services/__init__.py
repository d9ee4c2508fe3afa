"""Writes for devices: ledger events (the only way a device's status changes), the
schools' fault reports, and the imports. Each runs in one transaction and records its
change (gigaportal.changelog)."""

from devices.services.events import (
    DeviceRuleError,
    LedgerResult,
    device_breakage_record,
    device_events_record,
    device_fault_confirm,
    device_fault_dismiss,
    device_fault_report,
    device_step_record,
    ledger_apply,
)
from devices.services.imports import (
    DEPLOYMENT_STATUS_WORDS,
    DEVICE_COLUMNS,
    EVENT_COLUMNS,
    EVENT_WORDS,
    device_event_import,
    device_import,
    model_kind_from_name,
)

__all__ = [
    "DEPLOYMENT_STATUS_WORDS",
    "DEVICE_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_WORDS",
    "DeviceRuleError",
    "LedgerResult",
    "device_breakage_record",
    "device_event_import",
    "device_events_record",
    "device_fault_confirm",
    "device_fault_dismiss",
    "device_fault_report",
    "device_step_record",
    "device_import",
    "ledger_apply",
    "model_kind_from_name",
]
