"""The workspace's forms, as Flask-WTF forms: each field's check and the words of its error live here.

The pages render them with the GOV.UK Frontend Jinja macros (the error
summary, and each field's error message), from `errors(form)`: the first
error of each field, keyed by the field's name in the HTML. CSRF is checked
for every POST by the app's CSRFProtect (bot/web/__init__.py) before a view
runs, and again by each POST form here; the GET forms (export, report) carry
no token, as they change nothing.

Why not govuk-frontend-wtf: its 3.2.0 would sit beside our pins (it asks for
govuk-frontend-jinja >= 3 and WTForms >= 3.1), but it brings deepmerge and
renders fields its own way; the macros below keep every page's HTML, and so
its accessibility as the browser tests check it, as it was.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Regexp, ValidationError
from wtforms.validators import Optional as Optional_

from bot import constants as c
from bot.store import users
from bot.web.invitations import ENQUIRY_REF

DATE_WORDS = "Enter the date as year, month and day, like 2026-04-01"


def _strip(value: Optional[str]) -> Optional[str]:
    return value.strip() if isinstance(value, str) else value


def errors(form: FlaskForm) -> Dict[str, str]:
    """The first error of each field that has one, by the field's name in the page (for the GOV.UK macros)."""
    return {field.name: str(field.errors[0]) for field in form if field.errors}


class _GetForm(FlaskForm):
    """A form sent with GET: read from the query string, and no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    def __init__(self, **kwargs: Any) -> None:
        from flask import request

        super().__init__(formdata=request.args, **kwargs)


class SignInForm(FlaskForm):
    email = StringField(filters=[_strip], validators=[DataRequired("Enter your email address")])
    password = PasswordField(validators=[InputRequired("Enter your password")])  # spaces are a password too
    next = HiddenField()


CHOOSE = "Choose who the link is for and what it is for"
CHECKIN_NEEDS_ENQUIRY = "Enter the enquiry reference the check-in is for, like NR-2026-0042"


class InvitationForm(FlaskForm):
    enquiry = StringField(default="", filters=[_strip], validators=[
        Regexp(ENQUIRY_REF, message="Enter an enquiry reference, like NR-2026-0042")])
    stage = RadioField(default=c.STAGE_OUTCOMES, choices=list(c.STAGES),
                       validators=[InputRequired(CHOOSE)], validate_choice=False)
    role = RadioField(default=c.ROLE_PERSON, choices=list(c.ROLES),
                      validators=[InputRequired(CHOOSE)], validate_choice=False)

    def validate_stage(self, field: Any) -> None:
        if field.data not in c.STAGES:
            raise ValidationError(CHOOSE)

    def validate_role(self, field: Any) -> None:
        if field.data not in c.ROLES:
            raise ValidationError(CHOOSE)

    def page_errors(self) -> Dict[str, str]:
        """One error, as the page has always said it: the reference's, or else who and what for."""
        if self.enquiry.errors and self.stage.data == c.STAGE_CHECKIN and not self.enquiry.data:
            return {"enquiry": CHECKIN_NEEDS_ENQUIRY}
        if self.enquiry.errors:
            return {"enquiry": str(self.enquiry.errors[0])}
        if self.stage.errors or self.role.errors:
            return {"stage": CHOOSE}
        return {}


class _DateField(DateField):
    """yyyy-mm-dd, with spaces around it forgiven; one wording for a date that cannot be read."""

    def process_formdata(self, valuelist: Any) -> None:
        try:
            super().process_formdata([v.strip() for v in valuelist if isinstance(v, str)])
        except ValueError as exc:
            raise ValueError(DATE_WORDS) from exc


class DatesForm(_GetForm):
    """From and to, each optional ("to" includes its whole day: the view adds it)."""

    since = _DateField(name="from", format="%Y-%m-%d", validators=[Optional_()])
    until = _DateField(name="to", format="%Y-%m-%d", validators=[Optional_()])


class ReportForm(DatesForm):
    pass


class ExportForm(DatesForm):
    format = RadioField(choices=[("csv", "CSV"), ("json", "JSON")], validate_choice=False,
                        validators=[InputRequired("Choose CSV or JSON")])
    enquiry = StringField(filters=[_strip])

    def validate_format(self, field: Any) -> None:
        if field.data not in ("csv", "json"):
            raise ValidationError("Choose CSV or JSON")


class AdvocacyForm(FlaskForm):
    """A practitioner's advocacy decision: a referral (date and organisation), or why none is needed."""

    decision = RadioField(choices=list(c.ADVOCACY_DECISIONS), validate_choice=False,
                          validators=[InputRequired("Choose whether you referred them for an advocate")])
    referred_on = _DateField(format="%Y-%m-%d", validators=[Optional_()])
    organisation = StringField(filters=[_strip], default="")
    no_referral_reason = RadioField(choices=list(c.NO_REFERRAL_REASONS), validate_choice=False)

    def validate(self, extra_validators: Any = None) -> bool:
        """A referral needs its date (the date field itself is optional, so it is checked here)."""
        valid = super().validate(extra_validators)
        if self.decision.data == c.ADVOCACY_REFERRED and self.referred_on.data is None:
            if not self.referred_on.errors:
                self.referred_on.errors = ["Enter the date you referred them, like 2026-12-01"]
            return False
        return valid

    def validate_decision(self, field: Any) -> None:
        if field.data not in c.ADVOCACY_DECISIONS:
            raise ValidationError("Choose whether you referred them for an advocate")

    def validate_organisation(self, field: Any) -> None:
        if self.decision.data == c.ADVOCACY_REFERRED and not field.data:
            raise ValidationError("Enter the advocacy organisation you referred them to")
        if len(field.data or "") > 255:
            raise ValidationError("Enter the organisation's name in 255 characters or fewer")

    def validate_no_referral_reason(self, field: Any) -> None:
        if self.decision.data == c.ADVOCACY_NOT_NEEDED and field.data not in c.NO_REFERRAL_REASONS:
            raise ValidationError("Choose why no referral is needed")


class EraseForm(FlaskForm):
    """The enquiry reference typed back, or (for a conversation, whose id nobody types) a box ticked."""

    confirm = StringField()

    def __init__(self, enquiry: Optional[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expected_enquiry = enquiry

    def validate_confirm(self, field: Any) -> None:
        if self.expected_enquiry is not None:
            if (field.data or "").strip() != self.expected_enquiry:
                raise ValidationError(f"Type the enquiry reference, {self.expected_enquiry}, to erase it")
        elif field.data != "yes":
            raise ValidationError("Tick the box to say you understand that this cannot be undone")


class UnlockForm(FlaskForm):
    scope = StringField(validators=[InputRequired()])
    key = StringField(filters=[_strip], validators=[DataRequired()])

    def validate_scope(self, field: Any) -> None:
        if field.data not in users.SCOPES:
            raise ValidationError("not a scope")


class ActionForm(FlaskForm):
    """A button that does one thing (acknowledge, not a wish, sign out): its CSRF token is the whole form."""


class CheckinForm(ActionForm):
    """"Send a check-in" on a conversation page: the enquiry it is for."""

    enquiry = HiddenField(filters=[_strip], validators=[Regexp(ENQUIRY_REF)])


class MarkReadForm(ActionForm):
    back = HiddenField()  # "conversation": back to the conversation, else to the first page


class CorrectForm(ActionForm):
    code = StringField(validators=[InputRequired()])

    def validate_code(self, field: Any) -> None:
        if field.data not in c.OUTCOME_CODES:
            raise ValidationError("not an outcome code")


def _page_number(value: Any) -> int:
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1


class _ListForm(_GetForm):
    """A list's filters: anything that is not one of the choices is no filter, and a bad page is page 1."""

    page = StringField()

    @property
    def page_number(self) -> int:
        return _page_number(self.page.data)


class EnquiryFilters(_ListForm):
    q = StringField(filters=[_strip])
    status = StringField()
    flag = StringField()

    def chosen(self, field: Any, words: Dict[str, str]) -> Optional[str]:
        return field.data if field.data in words else None

    @property
    def search(self) -> Optional[str]:
        return (self.q.data or "")[:64] or None


class AuditFilters(_ListForm):
    action = StringField(filters=[_strip])

    @property
    def chosen_action(self) -> Optional[str]:
        return (self.action.data or "")[:32] or None
