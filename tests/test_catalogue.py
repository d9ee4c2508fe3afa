"""The Japanese catalogue is complete and compiled: every message a user can see has a
Japanese translation (none missing, none fuzzy), and the committed .mo says what the
.po says, so a fresh machine without gettext shows the same words."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "ja" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(LOCALE / "django.po"))


def test_every_message_has_a_japanese_translation(catalogue):
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    assert not missing, f"untranslated: {missing[:10]}"


def test_no_translation_is_a_fuzzy_guess(catalogue):
    fuzzy = [e.msgid for e in catalogue if not e.obsolete and "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy (check and clear the flag): {fuzzy[:10]}"


def test_the_compiled_catalogue_matches_the_source(catalogue):
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in polib.mofile(str(LOCALE / "django.mo"))
    }
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
        for e in catalogue
        if not e.obsolete and e.translated()
    }
    assert compiled == source, "run `make messages` (compilemessages) and commit the .mo"
