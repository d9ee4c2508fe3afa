#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
    # manage.py is the developer's entry point: unset DEBUG means development here.
    # The server (gunicorn through wsgi.py) and Celery read no such default, and the
    # compose deployment sets DEBUG=false for every command it runs.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
