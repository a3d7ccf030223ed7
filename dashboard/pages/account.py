"""Your account (``/account``, every signed-in user): change your own password.

The current password first, then the new one twice; the same rules as every password in
Caseload (``check_password_policy``: length, no surrounding spaces, not on the breached list).
A user holding a temporary password from an administrator's reset is kept here until they
have chosen their own (``dashboard.kit.password_change_pending``).

The change bumps the session epoch, so every other copy of the session cookie ends at its next
request; this session is signed in again with the new epoch (same session reference, same
sign-in time, so the idle and absolute limits still count from the original sign-in) rather
than being sent back to the login form right after proving the password twice.

Wrong current passwords count against the account's sign-in throttle, like failed sign-ins:
a stolen session cannot guess its owner's password here faster than at the login form.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask import request
from flask_login import current_user, login_user

from dashboard.auth.passwords import MIN_PASSWORD_LENGTH
from dashboard.auth.throttle import cancel, locked, reserve, settle_success, utcnow
from dashboard.auth.views import throttle_policy
from dashboard.commands.errors import InvalidInput
from dashboard.commands.users import WrongPassword, own_password_command
from dashboard.components.messages import sentence
from dashboard.db import db
from dashboard.kit import ACCOUNT_PATH, SIGNED_IN, View, home_path, page_callback, register_page

register_page(
    __name__,
    path=ACCOUNT_PATH,
    name="Account",
    title="Account · Caseload",
    permission=SIGNED_IN,
    nav=False,
    order=90,
)

TOO_MANY = "Too many wrong passwords. Wait a while and try again."


def _password(field_id: str, label: str, autocomplete: str) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=field_id, className="small mb-0"),
            dbc.Input(
                id=field_id,
                type="password",
                autocomplete=autocomplete,
                maxLength=256,
            ),
        ],
        className="mb-2",
    )


def layout(**_kwargs) -> html.Div:
    pending = bool(getattr(current_user, "must_change_password", False))
    intro = (
        "Your password was reset by an administrator. Choose your own password to continue."
        if pending
        else "Change your password. Your other open sessions end; this one stays signed in."
    )
    return html.Div(
        dbc.Row(
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H1("Your password", className="h4"),
                            dbc.Alert(
                                intro,
                                color="warning" if pending else "light",
                                className="small py-2",
                                id="account-intro",
                            ),
                            _password("account-current", "Current password", "current-password"),
                            _password("account-new", "New password", "new-password"),
                            _password("account-repeat", "New password again", "new-password"),
                            html.Div(
                                f"At least {MIN_PASSWORD_LENGTH} characters. Passwords found in "
                                "breaches or on common-password lists are refused; a few words "
                                "of your own make a good one.",
                                className="form-text mb-2",
                            ),
                            dbc.Button("Change password", id="account-save", color="primary"),
                            html.Div(id="account-result", className="mt-3", role="status"),
                            dcc.Location(id="account-go", refresh=True),
                        ]
                    )
                ),
                md=8,
                lg=5,
            ),
            justify="center",
        ),
        id="account-page",
    )


def _verify_throttled(run):
    """Reserve one attempt on the account's sign-in throttle, run, settle: a right current
    password hands the attempt back, a wrong one keeps it counted."""
    address = (request.remote_addr or "unknown")[:64]
    now, policy = utcnow(), throttle_policy()
    with locked(db.engine) as conn:
        reservation = reserve(conn, policy, current_user.username, address, now)
    if not reservation.granted:
        raise InvalidInput(TOO_MANY)
    try:
        result = run()
    except WrongPassword:
        raise
    except BaseException:
        with locked(db.engine) as conn:
            cancel(conn, reservation, current_user.username, address, now)
        raise
    with locked(db.engine) as conn:
        settle_success(conn, policy, reservation, current_user.username, address, now)
    return result


@page_callback(
    Output("account-result", "children"),
    Output("account-go", "href"),
    Output("account-current", "value"),
    Output("account-new", "value"),
    Output("account-repeat", "value"),
    Input("account-save", "n_clicks"),
    State("account-current", "value"),
    State("account-new", "value"),
    State("account-repeat", "value"),
    permission=SIGNED_IN,
    prevent_initial_call=True,
)
def change_password(view: View, _clicks, current, new, repeated):
    texts = [v if isinstance(v, str) else "" for v in (current, new, repeated)]
    if not all(texts):
        return _alert("Fill in all three fields.", "danger"), no_update, *([no_update] * 3)
    pending = bool(current_user.must_change_password)
    try:
        epoch = _verify_throttled(
            lambda: view.run(
                own_password_command, current=texts[0], new=texts[1], repeated=texts[2]
            )
        )
    except WrongPassword as exc:
        return _alert(sentence(exc), "danger"), no_update, "", no_update, no_update
    except InvalidInput as exc:  # the new password is refused: type it again, twice
        return _alert(sentence(exc), "danger"), no_update, no_update, "", ""
    # This session carries on with the new epoch; every other copy of the cookie is dead.
    login_user(_with_epoch(epoch), remember=False)
    if pending:
        return _alert("Password changed.", "success"), home_path("/"), "", "", ""
    return (
        _alert("Password changed. Your other sessions have ended.", "success"),
        no_update,
        "",
        "",
        "",
    )


def _with_epoch(epoch: int):
    from dataclasses import replace

    return replace(
        current_user._get_current_object(),
        session_epoch=epoch,  # noqa: SLF001
        must_change_password=False,
    )


def _alert(text: str, color: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-2 small mb-0")
