"""What every list page of the portal offers, in one place: a search box, sortable
column headers, numbered pages with a jump, and the CSV/Excel of what the list shows.

    class DeviceListView(PortalListView):
        sort_fields = {"serial": ("serial",), "school": ("school__code", "serial")}
        default_sort = "serial"
        download_name = "devices"

        def get_base_queryset(self):          # scoped and filtered by the selector
            return selectors.device_list(user=self.request.user, **filters)

        def download_report(self, queryset):  # the rows a download holds
            return reports.device_list_report(queryset)

Sorting only ever uses the fields named in `sort_fields` (a forged `?sort=password`
sorts by the default), the search text is cleaned by gigaportal.params, and the page
number is parsed as ASCII digits: a list never answers a query string with an error.
A download holds every row the filters select, not only the page shown, within the
same scope as the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.paginator import Paginator
from django.views.generic import ListView

from gigaportal.params import int_param, search_param
from gigaportal.permissions import AnyRoleMixin
from gigaportal.reports import Report, download_requested, download_response

PAGE_WINDOW = 2  # page links on each side of the current page


class PortalPaginator(Paginator):
    """A page number out of range shows the last page, not an error."""

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except Exception:
            return max(1, self.num_pages)


class PortalListView(AnyRoleMixin, ListView):
    paginate_by = 100
    paginator_class = PortalPaginator
    sort_fields: Mapping[str, Sequence[str]] = {}
    default_sort = ""
    download_name = ""

    # --- What subclasses provide ---

    def get_base_queryset(self):  # pragma: no cover - subclasses override
        raise NotImplementedError

    def download_report(self, queryset) -> Report | None:
        return None

    # --- Shared behaviour ---

    @property
    def search(self) -> str:
        return search_param(self.request.GET, "q")

    def sort(self) -> tuple[str, bool]:
        """(key, descending) of the chosen sort, or the default."""
        raw = (self.request.GET.get("sort") or "").strip()
        descending = raw.startswith("-")
        key = raw.lstrip("-")
        if key not in self.sort_fields:
            key, descending = self.default_sort.lstrip("-"), self.default_sort.startswith("-")
        return key, descending

    def get_queryset(self):
        queryset = self.get_base_queryset()
        key, descending = self.sort()
        if key in self.sort_fields:
            fields = self.sort_fields[key]
            queryset = queryset.order_by(*(f"-{f}" if descending else f for f in fields))
        return queryset

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        number = int_param(self.request.GET, "page") or 1
        page = paginator.page(paginator.validate_number(number))
        return paginator, page, page.object_list, page.has_other_pages()

    def get(self, request, *args, **kwargs):
        if fmt := download_requested(request):
            report = self.download_report(self.get_queryset())
            if report is not None:
                return download_response(report, fmt, self.download_name or "list")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        for name in ("page", "download"):
            params.pop(name, None)
        key, descending = self.sort()
        page = context.get("page_obj")
        context.update(
            search=self.search,
            sort_key=key,
            sort_descending=descending,
            list_query=params.urlencode(),
            page_numbers=page_numbers(page) if page else [],
            has_download=type(self).download_report is not PortalListView.download_report,
        )
        return context


def page_numbers(page) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and a window around the current page;
    None where numbers are left out."""
    last = page.paginator.num_pages
    current = page.number
    shown = {1, last, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)}
    numbers: list[int | None] = []
    for n in sorted(n for n in shown if 1 <= n <= last):
        if numbers and numbers[-1] is not None and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers
