"""Per-person rate limits on what fills the database or the disk: support requests
made and files uploaded (issue 13: a school user made 30 requests in half a second).

A fixed window in Django's cache: one counter per person, action and window. With
REDIS_CACHE_URL every web process shares the counters; without it (the embedded
setup) each process counts its own.
"""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

# The action's name → the setting holding how many are allowed per window.
LIMITS = {"support_request": "RATE_LIMIT_REQUESTS", "upload": "RATE_LIMIT_UPLOADS"}


def limit_reached(*, user, action: str) -> bool:
    """Counts one `action` of `user`; True when it is over the limit of its window."""
    window = settings.RATE_LIMIT_WINDOW
    key = f"ratelimit:{action}:{user.pk}:{int(time.time()) // window}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one afresh
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count > getattr(settings, LIMITS[action])


def rate_limited(action: str):
    """For a view: a POST past the limit gets a page saying to wait (429), nothing done."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and limit_reached(user=request.user, action=action):
                minutes = max(settings.RATE_LIMIT_WINDOW // 60, 1)
                return render(
                    request, "gigaportal/rate_limited.html", {"minutes": minutes}, status=429
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
