"""Previous / next client in Today's order: Today hands its order (ids only) to the shell, the
client page links to the neighbours, and an order the browser forged only changes links whose
pages re-check the scope."""

from __future__ import annotations

from dash_client import callback_payload, dependencies, login, post_callback, today_payload


def _steps(client, deps, client_id, order) -> dict:
    payload = callback_payload(
        deps,
        "client-prev.href",
        {"client-id.data": client_id, "shell-today-order.data": order},
    )
    response = post_callback(client, payload)
    assert response.status_code == 200
    return response.get_json()["response"]


def test_today_hands_its_order_to_the_client_page(client, seeded) -> None:
    login(client, "ana")
    deps = dependencies(client)
    today = post_callback(client, today_payload(deps, seeded.world.staff["S-C1"])).get_json()
    rows = today["response"]["today-grid"]["rowData"]
    order = today["response"]["shell-today-order"]["data"]
    assert order == [r["client_id"] for r in rows] and len(order) >= 3

    middle = _steps(client, deps, order[1], order)
    assert middle["client-prev"] == {"href": f"/client/{order[0]}", "disabled": False}
    assert middle["client-next"] == {"href": f"/client/{order[2]}", "disabled": False}
    assert middle["client-position"]["children"] == f"2 of {len(order)} on Today"

    first = _steps(client, deps, order[0], order)
    assert first["client-prev"] == {"href": None, "disabled": True}
    assert first["client-next"]["href"] == f"/client/{order[1]}"

    last = _steps(client, deps, order[-1], order)
    assert last["client-next"] == {"href": None, "disabled": True}
    assert last["client-position"]["children"] == f"{len(order)} of {len(order)} on Today"


def test_a_forged_order_gives_no_links(client, seeded) -> None:
    login(client, "ana")
    deps = dependencies(client)
    for order in ({"a": 1}, [1, 2, 3], ["C-0001", None], ["x"] * 2001, "C-0001", None):
        out = _steps(client, deps, "C-0001", order)
        assert out["client-prev"]["disabled"] is True and out["client-next"]["disabled"] is True
        assert out["client-position"]["children"] == ""
    # A client the order does not hold: no neighbours either.
    out = _steps(client, deps, "C-9999", ["C-0001", "C-0002"])
    assert out["client-prev"]["disabled"] and out["client-next"]["disabled"]


def test_an_id_with_a_slash_stays_one_path_segment(client, seeded) -> None:
    login(client, "ana")
    out = _steps(client, dependencies(client), "C-0001", ["C-0001", "../admin"])
    assert out["client-next"]["href"] == "/client/..%2Fadmin"


def test_no_session_gets_nothing(client) -> None:
    payload = {
        "output": "..client-prev.href...client-position.children..",
        "outputs": [],
        "inputs": [],
        "state": [],
    }
    assert post_callback(client, payload, with_csrf=False).status_code == 401
