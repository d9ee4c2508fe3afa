"""What the survey services share: the refusal they raise."""

from __future__ import annotations


class SurveyError(Exception):
    """A change the rules refuse, with the message a person reads (and the form field
    it is about, when there is one)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
