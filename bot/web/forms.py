"""The chat page's forms, as Flask-WTF forms: starting the chat, a message or a press, and leaving.

Their CSRF token is checked by the app's CSRFProtect before any view runs
(bot/web/__init__.py), which also takes it from the X-CSRFToken header the
page's script sends; leaving is exempt (a stale token must never keep anyone
on the page). So these forms check their fields only, and the error a field
gets is the word the chat page shows for it (`_error_words.txt`): "empty" or
"too_long".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

MAX_CHARS = 2000
# Control characters are not words: NUL and the like are dropped, line breaks and tabs kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(raw: str) -> str:
    """The person's words as typed, less characters that are not text."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", raw)).strip()


def _clean(value: Optional[str]) -> str:
    return clean_text(value) if isinstance(value, str) else ""


class _ChatForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect's, for every chat POST (form field or header)


class StartForm(_ChatForm):
    """ "Start the chat": the invitation is in the address, the token is CSRFProtect's."""


class MessageForm(_ChatForm):
    """Words typed (always words), or a press of a button (its payload, checked by the view)."""

    message = TextAreaField(filters=[_clean], validators=[DataRequired("empty"), Length(max=MAX_CHARS,
                                                                                         message="too_long")])
    button = StringField()

    @property
    def typed(self) -> str:
        """What the person typed, as they typed it: it stays in the box when there is an error."""
        raw: Any = self.message.raw_data
        return str(raw[0]) if raw else ""

    @property
    def problem(self) -> Optional[str]:
        """ "empty" or "too_long" for the words typed, once validated; None when they may go."""
        return str(self.message.errors[0]) if self.message.errors else None


class LeaveForm(_ChatForm):
    exit = HiddenField()  # set by the "Exit this page" form: go on to the neutral site; a beacon has none
