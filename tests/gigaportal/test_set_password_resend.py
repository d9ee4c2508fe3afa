import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from gigaportal.roles import Role
from tests.factories import make_user


@pytest.mark.django_db
def test_a_new_link_can_be_sent_when_the_first_one_was_lost(client):
    user = make_user(role=Role.SUPPORT, username="shien02", email="shien02@center.example.jp")
    call_command("send_set_password_links", "shien02")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["shien02@center.example.jp"]
    link = re.search(r"https?://\S+/accounts/set-password/\S+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[-1]
    page = client.get(path, follow=True)
    assert page.context["validlink"]
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    client.post(
        form_url, {"new_password1": "a-new-Password-2026", "new_password2": "a-new-Password-2026"}
    )
    user.refresh_from_db()
    assert user.check_password("a-new-Password-2026")


@pytest.mark.django_db
def test_it_refuses_unknown_usernames_and_sends_nothing():
    with pytest.raises(CommandError, match="nobody"):
        call_command("send_set_password_links", "nobody")
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_admin_action_sends_links_to_the_selected_users(client, admin, support_staff):
    client.force_login(admin)
    response = client.post(
        "/admin/gigaportal/user/",
        {"action": "send_set_password_links", "_selected_action": [support_staff.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [[support_staff.email]]
