"""Strict readers for settings taken from the environment.

A value that cannot be parsed is an error at start-up, never a silent default:
`DEBUG=ture` must not quietly mean False in production.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def parse_bool(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of {sorted(TRUE_WORDS | FALSE_WORDS)}"
    )


def parse_int(name: str, raw: str, *, minimum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def parse_date(name: str, raw: str) -> dt.date:
    """An ISO date, 2000-01-01; nothing else (2000/1/1 would be read differently by
    different people)."""
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a date; write it as YYYY-MM-DD"
        ) from None


def parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


class Env:
    """Reads one mapping (os.environ by default) with the parsers above."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def is_set(self, name: str) -> bool:
        return bool(self.environ.get(name, "").strip())

    def str(self, name: str, default: str | None = None) -> str | None:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return default
        return raw.strip()

    def required(self, name: str, why: str) -> str:
        value = self.str(name)
        if value is None:
            raise ImproperlyConfigured(f"{name} must be set: {why}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return default
        return parse_bool(name, raw)

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return default
        return parse_int(name, raw, minimum=minimum)

    def date(self, name: str, default: dt.date) -> dt.date:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return default
        return parse_date(name, raw)

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return list(default)
        return parse_list(raw)


def read_env_file(path) -> dict[str, str]:
    """KEY=VALUE lines of a developer's `local.env` (comments and blank lines allowed).

    `make install` writes one with DEBUG=true in a checkout; a server has none, so a
    command run there is never in development mode by accident. A line that is not
    KEY=VALUE is an error, like any other bad setting.
    """
    values: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected KEY=VALUE")
        values[key] = value.strip().strip("'\"")
    return values


def parse_email_url(url: str) -> dict[str, object]:
    """Turns `smtp://user:pass@host:587?tls=true` into Django's EMAIL_* settings.

    Schemes: `smtp` (plain or STARTTLS with `?tls=true`), `smtps` (implicit TLS),
    `console` and `locmem` (for development and tests).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not supported; use smtp, smtps or console"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://mail.example.jp:587")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has a port that is not a number") from None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    # An ignored option (`?ssl=true`, a typo like `?tsl=true`) would quietly send mail
    # in clear, so anything but `tls` is refused.
    unknown = sorted(set(query) - {"tls"})
    if unknown:
        raise ImproperlyConfigured(
            f"EMAIL_URL option(s) {', '.join(unknown)} not understood; only ?tls=true is"
        )
    use_tls = parse_bool("EMAIL_URL ?tls", query.get("tls", "false"))
    use_ssl = scheme == "smtps"
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_URL: smtps already means TLS; drop ?tls=true")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
