# Production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim

# matplotlib's font list is built once at build time into a folder the image keeps
# (the portal user cannot write its home, /app: without this every process would build
# the list again, into a temporary folder, before its first chart).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 MPLCONFIGDIR=/app/.matplotlib
WORKDIR /app

COPY pyproject.toml README.md ./
COPY gigaportal gigaportal
COPY devices devices
COPY traffic traffic
COPY support support
COPY surveys surveys
COPY security security
RUN pip install . && python -c "import matplotlib_fontja, matplotlib.font_manager"

COPY . .
# The portal's own modules compiled once, here: with PYTHONDONTWRITEBYTECODE, every
# process (each gunicorn worker, the Celery worker and beat, every manage.py command)
# otherwise compiles them again as it starts (0.2 s of CPU of an import command's
# start-up, benchmarks/startup.py). Installed packages are compiled by pip already.
RUN python -m compileall -q gigaportal dashboard devices traffic support surveys security
# Static files are hashed and compressed at build time and served by WhiteNoise from
# the web container: the school network never reaches a CDN.
RUN SECRET_KEY=build-only-not-secret DEBUG=false python manage.py collectstatic --noinput

# The portal user owns the media folder and matplotlib's: matplotlib uses its config
# folder (and the font list built above) only when it can write there; otherwise each
# process warns and builds the list again in a temporary folder.
RUN useradd --system --home /app portal && mkdir -p /app/media \
    && chown portal /app/media && chown -R portal /app/.matplotlib
USER portal
EXPOSE 8000
# gunicorn.conf.py (read from /app) draws one chart in each worker as it starts.
# gunicorn's timeout set here, not left to its 30 s default: large uploads are stored and
# handed to the worker, small imports finish in the request; 120 s covers storing the
# largest upload allowed (the reverse proxy buffers the body).
CMD ["gunicorn", "gigaportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--graceful-timeout", "30", "--access-logfile", "-"]
