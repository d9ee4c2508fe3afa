"""Plain-text e-mails are not HTML (issue 13, finding 10): a name with an apostrophe or
angle brackets reaches the reader as written, not as "&#x27;" or "&lt;b&gt;"."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from gigaportal.roles import Role
from gigaportal.services import user_send_set_password_links
from tests.factories import make_user


@pytest.mark.django_db
def test_the_set_password_email_does_not_html_escape_the_name():
    user = make_user(
        role=Role.SUPPORT, username="obrien", full_name="O'Brien <b>健</b>", email="o@example.jp"
    )
    user_send_set_password_links(users=[user])
    [message] = mail.outbox
    assert "O'Brien <b>健</b>" in message.body
    assert "&lt;" not in message.body and "&#x27;" not in message.body


def test_every_plain_text_email_template_turns_autoescape_off():
    for path in Path(settings.BASE_DIR, "templates").rglob("*.txt"):
        text = path.read_text(encoding="utf-8")
        assert "{% autoescape off %}" in text and "{% endautoescape %}" in text, path
