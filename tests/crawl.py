"""A crawler for the portal as a signed-in user meets it: from the home page it follows
every link (and every GET form's default submission is left out: links are what a
person clicks), reads each page's visible Japanese for English words, and notes the
status, the number of queries and the time of each response.

Long lists would make the crawl endless (25,704 device pages, every sort and page
link), so each URL pattern is visited with at most `per_pattern` different paths and
each combination of query-string keys at most `per_query` times.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

# Words a Japanese page may carry in Latin letters: product and service names, file
# formats, units and the codes schools use, and the name of the language switch.
_ALLOWED = """
    iPad iPads iPadOS Chromebook Chromebooks Google Workspace Forms Classroom Apple
    Jamf School MDM CSV Excel xlsx PDF SVG PNG ICT GIGA Wi-Fi WiFi LTE SIM GB MB KB TB
    OS ID URL No CSIRT English LAN AP USB HDMI Bluetooth Microsoft Teams Zoom Web
    QR NFKC UTF Shift_JIS JIS BOM Tokyo Asia AM PM GMT iPhone App SHA L-Gate DX
    Control Command Mac Enter
"""
# Product names of several words, taken out before the words are read.
PRODUCT_NAMES = ("Google Workspace for Education",)
ALLOWED_WORDS = frozenset(_ALLOWED.split())
# Latin text that is data, not interface: e-mail addresses, URLs, codes with digits
# (E001, DMPX1234, 2022-09), login names (with an underscore), file names and the
# {placeholders} of message texts.
DATA = re.compile(
    r"\S+\.(?:csv|xlsx|pdf|svg|png)\b|[\w.+-]+@[\w.-]+|https?://\S+|\b\w*\d\w*\b"
    r"|\b\w+_\w+\b|\{\w+\}",
    re.IGNORECASE,
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# Elements whose text is code or data by definition: header names to type, hashes.
SKIPPED = frozenset({"script", "style", "template", "code", "kbd", "samp", "bdi"})
# Django admin's list of the related rows a delete takes with it (Django names the
# automatic many-to-many rows in English, "Supportrecord-topic relationship").
SKIPPED_IDS = frozenset({"deleted-objects"})
# Attributes a person reads (or a screen reader says).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED or attrs.get("id") in SKIPPED_IDS:
            self._skip += 1
            self._skipping.append(tag)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in READ_ATTRIBUTES:
            value = attrs.get(name)
            # Django admin's yes/no icons carry alt="True"/"False" whatever the
            # language (django.contrib.admin.templatetags.admin_list._boolean_icon).
            if value and not (name == "alt" and value in ("True", "False", "None")):
                self.text.append(value)
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def english_words(text: str, allowed: frozenset[str] = frozenset()) -> set[str]:
    """The Latin-letter words of `text` that are neither data nor allowed names."""
    words = set()
    for name in PRODUCT_NAMES:
        text = text.replace(name, " ")
    for chunk in DATA.sub(" ", text).split():
        for word in WORD.findall(chunk):
            word = word.strip("'’-")
            if len(word) > 1 and word not in ALLOWED_WORDS and word not in allowed:
                words.add(word)
    return words


@dataclass
class Visit:
    url: str
    status: int
    seconds: float
    queries: int
    content_type: str
    english: set[str] = field(default_factory=set)
    came_from: str = ""


@dataclass
class Crawl:
    visits: list[Visit]

    def failures(self) -> list[Visit]:
        return [v for v in self.visits if v.status >= 500]

    def english(self) -> list[Visit]:
        return [v for v in self.visits if v.english]

    def slowest(self, n: int = 5) -> list[Visit]:
        return sorted(self.visits, key=lambda v: v.seconds, reverse=True)[:n]


def _pattern_key(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl(
    client,
    *,
    start: str = "/",
    per_pattern: int = 3,
    per_query: int = 2,
    limit: int = 600,
    skip_prefixes: tuple[str, ...] = ("/i18n/", "/accounts/logout"),
    allowed_words: frozenset[str] = frozenset(),
) -> Crawl:
    """Every page reachable from `start` with `client`'s session, within the limits."""
    seen: set[str] = set()
    paths_per_pattern: dict[str, set[str]] = {}
    queries_per_shape: Counter = Counter()
    queue: deque[tuple[str, str]] = deque([(start, "")])
    visits: list[Visit] = []
    while queue and len(visits) < limit:
        url, came_from = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - began
        content_type = response.get("Content-Type", "")
        visit = Visit(url, response.status_code, seconds, len(queries), content_type)
        visit.came_from = came_from
        visits.append(visit)
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        parser = _Page()
        parser.feed(response.content.decode())
        visit.english = english_words(" ".join(parser.text), allowed_words)
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue  # another site, mailto:, or a page-relative link
            if parts.path.startswith(skip_prefixes) or href in seen:
                continue
            pattern = _pattern_key(parts.path)
            if pattern is None:
                continue  # static and media files
            paths = paths_per_pattern.setdefault(pattern, set())
            if parts.path not in paths:
                if len(paths) >= per_pattern:
                    continue
                paths.add(parts.path)
            shape = (pattern, frozenset(k for k, _ in parse_qsl(parts.query)))
            if parts.query:
                if queries_per_shape[shape] >= per_query:
                    continue
                queries_per_shape[shape] += 1
            queue.append((href, url))
    return Crawl(visits)
