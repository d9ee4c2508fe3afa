"""E-mail backends standing in for a mail server that misbehaves (Django's own
locmem backend is the one that works)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """The mail server is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class WorkerKilledBackend(BaseEmailBackend):
    """The worker process is killed while the mail server is talking: nothing after
    this point of the sender runs (SystemExit passes every `except Exception`)."""

    def send_messages(self, email_messages):
        raise SystemExit("killed")
