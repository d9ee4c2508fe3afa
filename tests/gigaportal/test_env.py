"""Strict settings parsers (gigaportal/env.py): no database, no Django settings."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from gigaportal.env import Env, parse_bool, parse_email_url, parse_int, parse_list


@pytest.mark.parametrize("word", ["1", "true", "TRUE", " yes ", "On"])
def test_it_reads_true_words(word):
    assert parse_bool("DEBUG", word) is True


@pytest.mark.parametrize("word", ["0", "false", "False", "no", "OFF "])
def test_it_reads_false_words(word):
    assert parse_bool("DEBUG", word) is False


@pytest.mark.parametrize("word", ["ture", "y", "2", "enabled", "falsch"])
def test_it_rejects_a_misspelt_boolean_instead_of_reading_it_as_false(word):
    with pytest.raises(ImproperlyConfigured, match="DEBUG=.* is not a boolean"):
        parse_bool("DEBUG", word)


def test_env_bool_uses_the_default_only_when_unset_or_blank():
    env = Env({"A": "", "B": "  ", "C": "true"})
    assert env.bool("A", True) is True
    assert env.bool("B", False) is False
    assert env.bool("C", False) is True
    assert env.bool("MISSING", True) is True
    with pytest.raises(ImproperlyConfigured):
        Env({"DEBUG": "ture"}).bool("DEBUG", False)


def test_it_reads_whole_numbers_and_enforces_a_minimum():
    assert parse_int("PORT", " 587 ") == 587
    assert Env({"N": "12"}).int("N", 5, minimum=1) == 12
    assert Env({}).int("N", 5, minimum=1) == 5
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        parse_int("N", "3.5")
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        parse_int("N", "thirty")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        Env({"N": "0"}).int("N", 5, minimum=1)


def test_it_splits_lists_on_commas_and_drops_blanks():
    assert parse_list(" a.example.jp, ,b.example.jp,") == ["a.example.jp", "b.example.jp"]
    assert Env({"HOSTS": "x.jp"}).list("HOSTS", ["default"]) == ["x.jp"]
    default = ["localhost"]
    hosts = Env({}).list("HOSTS", default)
    assert hosts == ["localhost"]
    hosts.append("mutated")
    assert default == ["localhost"], "the default list must not be shared"


def test_required_refuses_an_unset_or_blank_value_and_says_why():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set: production"):
        Env({"SECRET_KEY": "  "}).required("SECRET_KEY", "production needs it")
    assert Env({"SECRET_KEY": " k "}).required("SECRET_KEY", "why") == "k"


def test_it_reads_a_plain_smtp_url_with_credentials():
    settings = parse_email_url("smtp://mailer:p%40ss%2Fword@mail.example.jp:2525")
    assert settings == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.jp",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }


def test_smtp_defaults_to_port_25_without_credentials():
    settings = parse_email_url("smtp://mail.example.jp")
    assert settings["EMAIL_PORT"] == 25
    assert settings["EMAIL_HOST_USER"] == ""
    assert settings["EMAIL_HOST_PASSWORD"] == ""


def test_it_turns_on_starttls_with_the_tls_query():
    settings = parse_email_url("smtp://u:p@mail.example.jp:587?tls=true")
    assert settings["EMAIL_USE_TLS"] is True
    assert settings["EMAIL_USE_SSL"] is False
    assert settings["EMAIL_PORT"] == 587


def test_smtps_means_implicit_tls_on_port_465():
    settings = parse_email_url("smtps://u:p@mail.example.jp")
    assert settings["EMAIL_USE_SSL"] is True
    assert settings["EMAIL_USE_TLS"] is False
    assert settings["EMAIL_PORT"] == 465


def test_it_refuses_smtps_with_starttls_too():
    with pytest.raises(ImproperlyConfigured, match="smtps already means TLS"):
        parse_email_url("smtps://mail.example.jp?tls=true")


def test_it_refuses_a_tls_query_that_is_not_a_boolean():
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        parse_email_url("smtp://mail.example.jp?tls=ture")


def test_it_refuses_an_unknown_query_option_instead_of_ignoring_it():
    # `?ssl=true` (or a typo like `?tsl=true`) silently ignored would send mail in clear.
    with pytest.raises(ImproperlyConfigured, match="ssl"):
        parse_email_url("smtp://mail.example.jp?ssl=true")


def test_it_refuses_a_port_that_is_not_a_number():
    with pytest.raises(ImproperlyConfigured, match="port"):
        parse_email_url("smtp://mail.example.jp:twenty-five")


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("CONSOLE://", "django.core.mail.backends.console.EmailBackend"),
        ("locmem://", "django.core.mail.backends.locmem.EmailBackend"),
    ],
)
def test_it_reads_development_backends(url, backend):
    assert parse_email_url(url) == {"EMAIL_BACKEND": backend}


@pytest.mark.parametrize("url", ["http://mail.example.jp", "imap://mail.example.jp", "mail"])
def test_it_refuses_an_unsupported_scheme(url):
    with pytest.raises(ImproperlyConfigured, match="scheme .* is not supported"):
        parse_email_url(url)


def test_it_refuses_an_smtp_url_without_a_host():
    with pytest.raises(ImproperlyConfigured, match="needs a host"):
        parse_email_url("smtp://")


def test_a_checkouts_local_env_is_read_and_a_malformed_line_is_refused(tmp_path):
    from gigaportal.env import read_env_file

    good = tmp_path / "local.env"
    good.write_text("# development\n\nDEBUG=true\nEMAIL_URL='console://'\n", encoding="utf-8")
    assert read_env_file(good) == {"DEBUG": "true", "EMAIL_URL": "console://"}
    assert read_env_file(tmp_path / "missing.env") == {}
    bad = tmp_path / "bad.env"
    bad.write_text("DEBUG true\n", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="line 1"):
        read_env_file(bad)
