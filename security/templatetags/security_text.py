"""Template filters for the policy's text: paragraph numbers and citations."""

from django import template

from security import rules

register = template.Library()


@register.filter
def paragraph_mark(number) -> str:
    """{{ forloop.counter|paragraph_mark }} → "", "２", "３" (the first 項 is unnumbered)."""
    try:
        return rules.paragraph_mark(int(number))
    except (TypeError, ValueError):
        return ""


@register.filter
def citation(article, paragraph=None) -> str:
    """{{ 5|citation:2 }} → 第5条第2項."""
    try:
        return rules.citation(int(article), int(paragraph) if paragraph else None)
    except (TypeError, ValueError):
        return ""
