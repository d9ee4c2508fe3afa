"""Pages under 20 concurrent users, against /healthz in the same run.

    DATABASE_URL=postgres://…/demo python benchmarks/load.py [--users 20] [--seconds 30]

Starts gunicorn with three workers (as docker-compose.yml does) on 127.0.0.1 against
DATABASE_URL, which must hold the portal's data (the demo: `manage.py load_demo`; the
prefecture: benchmarks/generate_prefecture.py) and the `leader` account. Each simulated
user signs in as the leader and requests every page of the list below in turn, with
no pause, until the time is up; then it prints p50/p95/p99 of each page and its p95 as
a multiple of /healthz's p95 (the issue's target: ≤ 3×). Bounded: `--seconds` of load
(default 30), a 60 s limit per request, gunicorn stopped at the end. Only 127.0.0.1 is
contacted; nothing asserts a time. Without DATABASE_URL it says so and does nothing.
Set REDIS_CACHE_URL as docker-compose.yml does to share the chart cache between the
workers (without it each worker has its own, and draws each chart once itself).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    ("healthz", "/healthz"),
    ("leader home", "/"),
    ("traffic usage", "/traffic/"),
    ("usage chart", "/traffic/usage/chart.png"),
    ("usage csv", "/traffic/?download=csv"),
    ("usage xlsx", "/traffic/?download=xlsx"),
    ("lines", "/traffic/lines/"),
    ("cases", "/traffic/cases/"),
    ("devices", "/devices/"),
    ("breakage", "/devices/breakage/"),
]
REQUEST_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def sign_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/", timeout=REQUEST_TIMEOUT).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request, timeout=REQUEST_TIMEOUT).read()
    if not any(cookie.name == "sessionid" for cookie in jar):
        raise SystemExit(f"could not sign in as {username!r}: is the demo data loaded?")
    return opener


def start_server(env: dict, port: int) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "gigaportal.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "3", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--username", default="leader")
    parser.add_argument("--password", default="giga-demo-2022")
    args, _unknown = parser.parse_known_args()
    if not os.environ.get("DATABASE_URL"):
        print("skipped: set DATABASE_URL to a database with the demo (or prefecture) data")
        return 0
    port = free_port()
    env = dict(
        os.environ,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY=os.environ.get("SECRET_KEY", "load-test-only"),
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="gigaportal.settings",
    )
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    times: dict[str, list[float]] = {name: [] for name, _path in PAGES}
    errors: dict[str, int] = {name: 0 for name, _path in PAGES}
    lock = threading.Lock()
    try:
        openers = [sign_in(base, args.username, args.password) for _ in range(args.users)]
        stop_at = time.monotonic() + args.seconds

        def user(number: int) -> None:
            opener = openers[number]
            turn = number  # users start at different pages
            while time.monotonic() < stop_at:
                name, path = PAGES[turn % len(PAGES)]
                turn += 1
                start = time.perf_counter()
                try:
                    with opener.open(base + path, timeout=REQUEST_TIMEOUT) as response:
                        response.read()
                        ok = response.status == 200
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    ok = False
                elapsed = time.perf_counter() - start
                with lock:
                    if ok:
                        times[name].append(elapsed)
                    else:
                        errors[name] += 1

        threads = [threading.Thread(target=user, args=(n,)) for n in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + REQUEST_TIMEOUT + 10)
    finally:
        server.terminate()
        server.wait(30)

    health = percentile(times["healthz"], 0.95) if times["healthz"] else float("nan")
    print(
        f"{args.users} users for {args.seconds:.0f} s against gunicorn -w 3 on 127.0.0.1 "
        f"(ms; ratio = p95 / healthz p95; cache: "
        f"{'shared Redis' if env.get('REDIS_CACHE_URL') else 'per worker'})"
    )
    print(f"  {'page':16s} {'n':>5s} {'err':>4s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'ratio':>6s}")
    for name, _path in PAGES:
        values = times[name]
        if not values:
            print(f"  {name:16s} {0:5d} {errors[name]:4d}  (no successful request)")
            continue
        p50, p95, p99 = (percentile(values, f) * 1000 for f in (0.5, 0.95, 0.99))
        print(
            f"  {name:16s} {len(values):5d} {errors[name]:4d} {p50:7.0f} {p95:7.0f} {p99:7.0f}"
            f" {p95 / 1000 / health:5.1f}×"
        )
    print(
        f"  all requests: {sum(len(v) for v in times.values())}, median "
        f"{statistics.median([t for v in times.values() for t in v]) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
