"""Two things at the same moment, for the tests of double clicks and races."""

from __future__ import annotations

import threading

from django.db import connection


def in_two_threads(function) -> list:
    """Runs `function` in two threads released together; each has its own connection."""
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(function())
        except Exception as exc:  # reported below; a thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results
