"""/admin/users and ``caseload users`` are one implementation: each action through the page's
callbacks and through the command line leaves the same login row and the same audit row; the
sessions of a disabled or demoted user end at their next request; the last active admin stays;
and nobody without ``manage_users`` gets anything out of the page's callbacks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from dash_client import callback_payload, dependencies, login, post_callback, today_payload
from factories import PASSWORD, add_user
from sqlalchemy import func, select

from dashboard.commands.users import LAST_ADMIN
from etl.cli import main
from etl.models import AppAuditLog, AppUser

# The page shows the command's message as a sentence.
ON_PAGE = LAST_ADMIN[:1].upper() + LAST_ADMIN[1:]
ROW_FIELDS = ("role", "staff_key", "program_key", "is_active", "must_change_password")


def trigger_payload(deps, trigger: str, inputs: dict, state: dict | None = None) -> dict:
    """The body the renderer sends when ``trigger`` ("id.prop") fires its callback."""
    cid, prop = trigger.rsplit(".", 1)
    spec = next(
        d for d in deps if any(i["id"] == cid and i["property"] == prop for i in d["inputs"])
    )
    payload = callback_payload(deps, spec["output"], inputs, state)
    payload["changedPropIds"] = [trigger]
    return payload


def find(tree, component_id: str):
    """The component with this id in a JSON response, or None."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        for value in tree.values():
            hit = find(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for value in tree:
            hit = find(value, component_id)
            if hit is not None:
                return hit
    return None


class AdminPage:
    """The page's callbacks as an administrator's browser calls them."""

    def __init__(self, app, username: str = "root") -> None:
        self.client = app.test_client()
        login(self.client, username)
        self.deps = dependencies(self.client)

    def call(self, trigger: str, inputs: dict, state: dict | None = None):
        return post_callback(self.client, trigger_payload(self.deps, trigger, inputs, state))

    def result(self, response) -> str:
        assert response.status_code == 200, response.get_data(as_text=True)
        return json.dumps(response.get_json()["response"]["users-result"]["children"])

    @staticmethod
    def color(response) -> str:
        """success or danger: how the result line is drawn."""
        return response.get_json()["response"]["users-result"]["children"]["props"]["color"]

    def temporary(self, response) -> str:
        code = find(response.get_json()["response"]["users-result"], "users-temporary")
        assert code is not None, self.result(response)
        return code["props"]["children"]

    @staticmethod
    def _picked(username: str) -> dict:
        return {"users-grid.selectedRows": [{"username": username}], "users-refresh.data": 0}

    def add(self, username, role, staff_id=None, program_id=None):
        state = {
            "users-add-username.value": username,
            "users-add-role.value": role,
            "users-add-staff.value": staff_id,
            "users-add-program.value": program_id,
            "users-refresh.data": 0,
        }
        return self.call("users-add.n_clicks", {"users-add.n_clicks": 1}, state)

    def reset(self, username):
        return self.call(
            "users-reset.n_clicks", {"users-reset.n_clicks": 1}, self._picked(username)
        )

    def toggle(self, username):
        return self.call(
            "users-toggle.n_clicks", {"users-toggle.n_clicks": 1}, self._picked(username)
        )

    def disable(self, username):
        return self.call(
            "users-confirm-disable.submit_n_clicks",
            {"users-confirm-disable.submit_n_clicks": 1},
            self._picked(username),
        )

    def set_access(self, username, role, staff_id=None, program_id=None):
        state = {
            **self._picked(username),
            "users-edit-role.value": role,
            "users-edit-staff.value": staff_id,
            "users-edit-program.value": program_id,
        }
        return self.call(
            "users-confirm-access.submit_n_clicks",
            {"users-confirm-access.submit_n_clicks": 1},
            state,
        )

    def listing(self) -> list[dict]:
        response = self.call("users-refresh.data", {"users-refresh.data": 0})
        assert response.status_code == 200
        return response.get_json()["response"]["users-grid"]["rowData"]


def cli(seeded, *args, stdin=None):
    return CliRunner().invoke(main, ["users", *args, "--database-url", seeded.url], input=stdin)


def row(seeded, username):
    with seeded.engine.connect() as conn:
        return conn.execute(select(AppUser).where(AppUser.username == username)).one()


def last_event(seeded) -> int:
    with seeded.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(AppAuditLog.event_id), 0))).scalar_one()


def events_since(seeded, event_id: int) -> list[AppAuditLog]:
    with seeded.engine.connect() as conn:
        return conn.execute(
            select(AppAuditLog)
            .where(AppAuditLog.event_id > event_id)
            .order_by(AppAuditLog.event_id)
        ).all()


def changes(seeded, since: int) -> list[tuple]:
    """The user_changed rows since ``since``, without who made them or for which user id."""
    return [
        (
            r.action,
            r.outcome,
            r.category,
            {k: v for k, v in r.detail.items() if k != "user_id"},
        )
        for r in events_since(seeded, since)
        if r.action == "user_changed"
    ]


def state(seeded, username) -> tuple:
    r = row(seeded, username)
    return tuple(getattr(r, f) for f in ROW_FIELDS) + (r.session_epoch,)


def test_each_action_through_page_and_cli_makes_the_same_rows(app, seeded) -> None:
    page = AdminPage(app)
    steps = [
        (
            lambda: page.add("pg-ana", "counselor", staff_id="S-C1"),
            lambda: cli(
                seeded,
                "add",
                "--username",
                "cl-ana",
                "--role",
                "counselor",
                "--staff-id",
                "S-C1",
                "--temporary",
            ),
        ),
        (
            lambda: page.reset("pg-ana"),
            lambda: cli(seeded, "reset-password", "--username", "cl-ana", "--temporary"),
        ),
        (
            lambda: page.set_access("pg-ana", "supervisor", program_id="P-HARBOR"),
            lambda: cli(
                seeded,
                "set-access",
                "--username",
                "cl-ana",
                "--role",
                "supervisor",
                "--program-id",
                "P-HARBOR",
            ),
        ),
        (lambda: page.disable("pg-ana"), lambda: cli(seeded, "disable", "--username", "cl-ana")),
        (lambda: page.toggle("pg-ana"), lambda: cli(seeded, "enable", "--username", "cl-ana")),
    ]
    for through_page, through_cli in steps:
        before = last_event(seeded)
        response = through_page()
        assert response.status_code == 200
        assert page.color(response) == "success", page.result(response)
        page_changes = changes(seeded, before)
        before = last_event(seeded)
        result = through_cli()
        assert result.exit_code == 0, result.output
        cli_changes = changes(seeded, before)
        assert page_changes == cli_changes and len(page_changes) == 1
        assert state(seeded, "pg-ana") == state(seeded, "cl-ana")
    final = row(seeded, "pg-ana")
    assert (final.role, final.is_active, final.must_change_password) == ("supervisor", True, True)
    assert final.session_epoch == 4  # reset, access, disable, enable
    # Who did it is on record: the signed-in admin on the page, the shell on the command line.
    with seeded.engine.connect() as conn:
        actors = set(
            conn.execute(
                select(AppAuditLog.username).where(AppAuditLog.action == "user_changed")
            ).scalars()
        )
    assert {"root", "system:cli"} <= actors
    listed = {r["username"]: r for r in page.listing()}
    assert listed["pg-ana"]["state"] == "Active · temporary password"
    assert listed["pg-ana"]["program"] == "Harbor Recovery"
    assert listed["ana"]["staff"] == "Ana Ruiz (S-C1)" and listed["ana"]["last_login"] is None


def test_temporary_password_is_shown_once_and_must_be_changed_first(app, seeded) -> None:
    page = AdminPage(app)
    response = page.add("first-timer", "counselor", staff_id="S-C2")
    temporary = page.temporary(response)
    assert len(temporary) == 19 and temporary.count("-") == 3
    # Shown once: the listing and the audit log never carry it.
    assert temporary not in json.dumps(page.listing())
    with seeded.engine.connect() as conn:
        details = json.dumps([r.detail for r in conn.execute(select(AppAuditLog)).all()])
    assert temporary not in details

    user = app.test_client()
    signed = login(user, "first-timer", temporary)
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/account")
    assert user.get("/").headers["Location"].endswith("/account")
    assert user.get("/admin/users").headers["Location"].endswith("/account")
    assert user.get("/account").status_code == 200
    deps = dependencies(user)
    # Every page's callbacks are refused until the password is changed (and say why).
    before = last_event(seeded)
    refused = post_callback(user, today_payload(deps, seeded.world.staff["S-C2"]))
    assert refused.status_code == 204
    [denied] = events_since(seeded, before)
    assert (denied.action, denied.username, denied.detail["reason"]) == (
        "denied",
        "first-timer",
        "password change required",
    )
    # Any page's content is the password form meanwhile.
    content = post_callback(
        user,
        callback_payload(
            deps,
            "_pages_content.children",
            {"_pages_location.pathname": "/", "_pages_location.search": ""},
        ),
    ).get_data(as_text=True)
    assert "account-page" in content and "today-grid" not in content

    changed = change_password(user, deps, temporary, "a-phrase-of-my-own", "a-phrase-of-my-own")
    assert "Password changed" in json.dumps(changed.get_json())
    assert changed.get_json()["response"]["account-go"]["href"] == "/"
    assert row(seeded, "first-timer").must_change_password is False
    # The same session goes on, now with the whole caseload page open to it.
    today = post_callback(user, today_payload(deps, seeded.world.staff["S-C2"]))
    assert today.status_code == 200 and today.get_json()["response"]["today-grid"]["rowData"]


def change_password(client, deps, current, new, repeated):
    return post_callback(
        client,
        trigger_payload(
            deps,
            "account-save.n_clicks",
            {"account-save.n_clicks": 1},
            {
                "account-current.value": current,
                "account-new.value": new,
                "account-repeat.value": repeated,
            },
        ),
    )


@pytest.mark.parametrize("how", ["page", "cli"])
@pytest.mark.parametrize("change", ["disable", "demote"])
def test_sessions_of_a_disabled_or_demoted_user_end_at_their_next_request(
    app, seeded, how, change
) -> None:
    name = f"{change}-{how}"
    add_user(seeded.engine, name, "supervisor", staff_id="S-S1")
    user = app.test_client()
    login(user, name)
    deps = dependencies(user)
    assert post_callback(user, today_payload(deps, seeded.world.staff["S-C1"])).status_code == 200
    if how == "page":
        page = AdminPage(app)
        response = (
            page.disable(name)
            if change == "disable"
            else page.set_access(name, "counselor", staff_id="S-C2")
        )
        assert AdminPage.color(response) == "success"
    else:
        args = (
            ("disable", "--username", name)
            if change == "disable"
            else ("set-access", "--username", name, "--role", "counselor", "--staff-id", "S-C2")
        )
        assert cli(seeded, *args).exit_code == 0
    before = last_event(seeded)
    refused = post_callback(user, today_payload(deps, seeded.world.staff["S-C1"]))
    assert refused.status_code == 401
    [dead] = events_since(seeded, before)
    assert dead.action == "denied" and dead.detail["reason"] == "dead session cookie replayed"
    assert user.get("/").headers["Location"].startswith("/login")


def test_the_last_active_admin_cannot_be_removed(app, seeded) -> None:
    page = AdminPage(app)
    before = last_event(seeded)
    root_before = state(seeded, "root")
    assert ON_PAGE in page.result(page.disable("root"))
    assert ON_PAGE in page.result(page.set_access("root", "supervisor", staff_id="S-S1"))
    for args in (
        ("disable", "--username", "root"),
        ("set-access", "--username", "root", "--role", "supervisor", "--staff-id", "S-S1"),
    ):
        result = cli(seeded, *args)
        assert result.exit_code != 0 and LAST_ADMIN in result.output
    assert state(seeded, "root") == root_before
    assert changes(seeded, before) == []
    # With a second admin either may go; then the remaining one is the last again.
    add_user(seeded.engine, "second-admin", "admin", program_id="P-EAST")
    assert page.color(page.disable("second-admin")) == "success"
    assert row(seeded, "second-admin").is_active is False
    assert ON_PAGE in page.result(page.disable("root"))
    # Re-enabled, the second admin may demote the first... and is then the last one.
    assert cli(seeded, "enable", "--username", "second-admin").exit_code == 0
    assert (
        cli(
            seeded,
            "set-access",
            "--username",
            "second-admin",
            "--role",
            "supervisor",
            "--staff-id",
            "S-S1",
        ).exit_code
        == 0
    )
    assert row(seeded, "root").role == "admin"


@pytest.mark.parametrize("who", ["ana", "carla"])
def test_forged_admin_users_callbacks_get_nothing_and_are_audited(app, seeded, who) -> None:
    admin = AdminPage(app)
    forger = app.test_client()
    login(forger, who)
    users_callbacks = [
        d for d in admin.deps if "users-" in d["output"] and d["output"].count("users-")
    ]
    assert len(users_callbacks) == 8
    with seeded.engine.connect() as conn:
        logins_before = conn.execute(select(AppUser).order_by(AppUser.user_id)).all()
    before = last_event(seeded)
    for spec in users_callbacks:
        values = {f"{i['id']}.{i['property']}": 1 for i in spec["inputs"] + spec["state"]}
        values.update(
            {
                "users-grid.selectedRows": [{"username": "root"}],
                "users-add-username.value": "forged",
                "users-add-role.value": "admin",
                "users-add-program.value": "P-EAST",
                "users-edit-role.value": "counselor",
                "users-edit-staff.value": "S-C1",
            }
        )
        payload = callback_payload(admin.deps, spec["output"], values, values)
        payload["changedPropIds"] = [f"{i['id']}.{i['property']}" for i in spec["inputs"]]
        response = post_callback(forger, payload)
        assert response.status_code == 204 and response.get_data() == b""
    rows = events_since(seeded, before)
    assert [(r.action, r.outcome, r.username, r.detail["reason"]) for r in rows] == [
        ("denied", "denied", who, "missing manage_users")
    ] * len(users_callbacks)
    with seeded.engine.connect() as conn:
        assert conn.execute(select(AppUser).order_by(AppUser.user_id)).all() == logins_before
    # The page itself answers as a missing one.
    content = post_callback(
        forger,
        callback_payload(
            admin.deps,
            "_pages_content.children",
            {"_pages_location.pathname": "/admin/users", "_pages_location.search": ""},
        ),
    ).get_data(as_text=True)
    assert "users-page" not in content


def test_account_password_rules(app, seeded) -> None:
    add_user(seeded.engine, "self-service", "counselor", staff_id="S-C3")
    user = app.test_client()
    login(user, "self-service")
    other = app.test_client()  # the same user signed in elsewhere
    login(other, "self-service")
    deps = dependencies(user)
    epoch = row(seeded, "self-service").session_epoch

    def text(response) -> str:
        assert response.status_code == 200
        return json.dumps(response.get_json()["response"]["account-result"])

    assert "at least 12" in text(change_password(user, deps, PASSWORD, "short1", "short1"))
    breached = "Qwerty123456"  # on the list in lower case: compared case-insensitively
    assert "breached" in text(change_password(user, deps, PASSWORD, breached, breached))
    assert "differ" in text(
        change_password(user, deps, PASSWORD, "a-long-new-phrase", "a-long-new-phrase!")
    )
    before = last_event(seeded)
    assert "not right" in text(
        change_password(user, deps, "not-my-password", "a-long-new-phrase", "a-long-new-phrase")
    )
    [wrong] = [r for r in events_since(seeded, before) if r.action == "user_changed"]
    assert (wrong.outcome, wrong.detail["reason"]) == ("denied", "bad password")
    assert row(seeded, "self-service").session_epoch == epoch  # nothing changed so far

    before = last_event(seeded)
    ok = change_password(user, deps, PASSWORD, "a-long-new-phrase", "a-long-new-phrase")
    assert "Password changed" in text(ok)
    assert changes(seeded, before) == [
        ("user_changed", "success", "user", {"change": "own_password"})
    ]
    assert row(seeded, "self-service").session_epoch == epoch + 1
    # This session stays signed in; the other one ended.
    assert post_callback(user, today_payload(deps, seeded.world.staff["S-C3"])).status_code == 200
    assert post_callback(other, today_payload(deps, seeded.world.staff["S-C3"])).status_code == 401
    fresh = app.test_client()
    assert login(fresh, "self-service", "a-long-new-phrase").status_code == 302
    assert login(app.test_client(), "self-service", PASSWORD).status_code == 401


def test_cli_applies_the_breached_list(seeded) -> None:
    result = cli(
        seeded, "reset-password", "--username", "dev", "--password-stdin", stdin="1QAZ2WSX3EDC\n"
    )
    assert result.exit_code != 0 and "breached" in result.output
    add = cli(
        seeded,
        "add",
        "--username",
        "weak",
        "--role",
        "counselor",
        "--staff-id",
        "S-C3",
        "--password-stdin",
        stdin="qwerty123456\n",
    )
    assert add.exit_code != 0 and "breached" in add.output
    with seeded.engine.connect() as conn:
        assert conn.execute(select(AppUser).where(AppUser.username == "weak")).first() is None
