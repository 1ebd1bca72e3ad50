"""Accounts and sign-in waits (managers only): who has failed to sign in, and letting them try now.

GET `/review/accounts` lists every workspace account with the failed sign-ins
counted against it and any wait, and the addresses that have failed. The POST
to `/review/accounts/unlock` forgets the count of one account or one address
(`bot.store.users.unlock`, audited as the signed-in manager with the request's
address, in the same transaction), so its next try goes through. Nobody is
ever locked out for good: waits end by themselves; this is for when someone
cannot wait, or shares an address with whoever has been guessing.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, session, url_for

from bot.accounts import lockout
from bot.store import users
from bot.web.workspace import current_user, manager_only, now, review
from bot.web.workspace.forms import UnlockForm

NOTICE = "accounts_notice"


@review.get("/accounts")
@manager_only
def accounts() -> Any:
    moment = now()
    counted = lockout.failures(moment)
    by_email = {w.key: w for w in counted if w.scope == users.ACCOUNT}
    addresses = [w for w in counted if w.scope == users.ADDRESS]
    notice = session.pop(NOTICE, None)
    return render_template("review/accounts.html", accounts=users.list_users(), by_email=by_email,
                           addresses=addresses, notice=notice, now=moment)


@review.post("/accounts/unlock")
@manager_only
def unlock() -> Any:
    form = UnlockForm()
    if not form.validate():
        abort(400)
    scope, key = form.scope.data, form.key.data[:users.EMAIL_MAX]
    try:
        lifted = users.unlock(scope, key, current_user().email, request.remote_addr)
    except users.UserError:
        abort(404)
    session[NOTICE] = {"scope": scope, "key": key, "lifted": lifted is not None}
    return redirect(url_for("review.accounts"), code=303)
