"""Sortable column headers for list pages (gigaportal.lists.PortalListView)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label, numeric: bool = False):
    """<th> with a link that sorts by `key`, ascending first, then descending; the
    current sort is marked for the eye (▲ ▼) and for screen readers (aria-sort)."""
    request = context["request"]
    current, descending = context.get("sort_key"), context.get("sort_descending")
    active = current == key
    params = request.GET.copy()
    for name in ("page", "download"):
        params.pop(name, None)
    params["sort"] = f"-{key}" if active and not descending else key
    mark = ("▼" if descending else "▲") if active else ""
    aria = ("descending" if descending else "ascending") if active else "none"
    title = _("Sort by %(column)s") % {"column": label}
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a class="sort-link" href="?{}" title="{}">'
        '{}<span class="sort-mark" aria-hidden="true">{}</span></a></th>',
        "num" if numeric else "",
        aria,
        urlencode(sorted(params.lists()), doseq=True),
        title,
        label,
        mark,
    )


@register.simple_tag(takes_context=True)
def hidden_params(context, *left_out: str):
    """The query string's values as hidden inputs, except the names `left_out`, so a
    GET form (a search, a page jump) keeps the page's other filters. Read with
    `.lists()` in Python: a template's `request.GET.lists` would look up a parameter
    named "lists" first, and `?lists=x` would break the page."""
    pairs = [
        (name, value)
        for name, values in sorted(context["request"].GET.lists())
        if name not in left_out
        for value in values
    ]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', pairs)
