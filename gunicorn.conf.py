"""gunicorn's hooks for the portal. gunicorn reads this file from the working directory
(/app in the image, the checkout for benchmarks/load.py); the command lines in the
Dockerfile and docker-compose.yml keep the bind address, workers and timeouts.

Each worker draws one small chart as it starts, before it accepts requests: matplotlib,
its font list and the Japanese font then cost the worker's start-up, not the first
person who opens a chart (under load that first draw was the slowest request of all:
benchmarks/load.py's p99 of the usage chart).
"""


def post_worker_init(worker):
    from gigaportal.charts import warm_up

    try:
        warm_up()
    except Exception:  # a chart library problem must not stop the worker serving pages
        worker.log.exception("chart warm-up failed")
