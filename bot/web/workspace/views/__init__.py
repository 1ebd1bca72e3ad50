"""The workspace's views, one module per section, as GOV.UK Notify's admin app has them
(`app/main/views/<feature>.py`).

Each registers its routes on the `review` blueprint when imported, so the
blueprint's sign-in and role checks (bot/web/workspace/__init__.py) hold for
every one of them.
"""

from bot.web.workspace.views import accounts  # noqa: F401
