"""The workspace's views, one module per section, as GOV.UK Notify's admin app has them
(`app/main/views/<feature>.py`).

Each registers its routes on the `review` blueprint when imported, so the
blueprint's sign-in and role checks (bot/web/workspace/__init__.py) hold for
every one of them. Views are thin: they read the request, call the store or
the report code, audit what was seen or done, and render GOV.UK templates.

- alerts.py: the first page, urgent alerts and the messages worth a look
- enquiries.py: the enquiries, a conversation, and corrections to a wish
- invitations.py, export.py, report.py
- pushes.py: records sent to the case system, and "Stop sending"
- advocacy.py: the records that need an advocacy referral decision, and the decision
- audit.py, erase.py, accounts.py: for managers
- shared.py (a form's dates, UK times, notices) and words.py (words for codes)
"""

from bot.web.workspace.views import (  # noqa: F401
    accounts,
    advocacy,
    alerts,
    audit,
    enquiries,
    erase,
    export,
    invitations,
    pushes,
    report,
    shared,
)
