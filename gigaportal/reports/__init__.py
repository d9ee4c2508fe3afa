"""Reports: one `Report` shape, many ways out (tables), the period every report page
reads (period), the registry of every report (registry) and the one view that renders
them (views). See each module."""

from gigaportal.reports.period import PARAMETERS, Period, PeriodKind, parse_period
from gigaportal.reports.registry import (
    REGISTRY,
    ReportSpec,
    all_reports,
    get,
    register,
    scope_label,
)
from gigaportal.reports.tables import (
    DOWNLOAD_FORMATS,
    FORMATS,
    Coded,
    Report,
    ReportColumn,
    _display_width,
    csv_bytes,
    download_requested,
    download_response,
    render_for_command,
    text_table,
    write_csv,
    xlsx_bytes,
)

__all__ = [
    "Coded",
    "DOWNLOAD_FORMATS",
    "FORMATS",
    "PARAMETERS",
    "REGISTRY",
    "Period",
    "PeriodKind",
    "Report",
    "ReportColumn",
    "ReportSpec",
    "_display_width",
    "all_reports",
    "csv_bytes",
    "download_requested",
    "download_response",
    "get",
    "parse_period",
    "register",
    "render_for_command",
    "scope_label",
    "text_table",
    "write_csv",
    "xlsx_bytes",
]


def __getattr__(name):
    # The view imports Django's request machinery; loaded on first use so that the
    # report builders (and the commands using them) stay light.
    if name == "ReportView":
        from gigaportal.reports.views import ReportView

        return ReportView
    raise AttributeError(name)
