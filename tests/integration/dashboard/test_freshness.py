"""Data freshness: the read model per program and kind, and the banner in every page's
header when a source is late."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from dash_client import freshness_payload, post_callback, signed_in
from sqlalchemy import delete, insert, select

from dashboard.read.freshness import freshness, parse_cadence
from etl.models import EtlLoad
from etl.vocabulary import utcnow


@pytest.fixture
def loads(seeded):
    """Add etl_load rows (kind, hours ago, status, rejected) to a warehouse without loads of
    its own (the seeded world's are set aside and put back afterwards)."""
    ids: list[int] = []
    with seeded.engine.begin() as conn:
        own = [dict(r._mapping) for r in conn.execute(select(EtlLoad.__table__))]
        conn.execute(delete(EtlLoad))

    def add(kind: str, hours_ago: float, status: str = "loaded", rejected: int = 0) -> None:
        at = utcnow() - dt.timedelta(hours=hours_ago)
        with seeded.engine.begin() as conn:
            ids.append(
                conn.execute(
                    insert(EtlLoad)
                    .values(
                        path=f"{kind}.csv",
                        kind=kind,
                        started_at=at,
                        finished_at=at,
                        status=status,
                        rows_read=10,
                        rows_inserted=10 - rejected,
                        rows_rejected=rejected,
                    )
                    .returning(EtlLoad.load_id)
                ).scalar_one()
            )

    yield add
    with seeded.engine.begin() as conn:
        conn.execute(delete(EtlLoad).where(EtlLoad.load_id.in_(ids)))
        if own:
            conn.execute(insert(EtlLoad), own)


def _text(component) -> str:
    return json.dumps(component)


def test_checkins_loaded_three_days_ago_show_the_banner_on_today(app, seeded, loads) -> None:
    loads("checkins", 72)
    loads("clients", 2)
    client, deps = signed_in(app, "ana")
    response = post_callback(client, freshness_payload(deps))
    assert response.status_code == 200
    body = _text(response.get_json()["response"])
    assert "shell-freshness-banner" in body
    assert "Check-ins last loaded 3 days ago (expected every 36 h)" in body
    assert "roster" not in body.split("shell-freshness-banner")[1]  # fresh: not in the banner


def test_fresh_checkins_show_no_banner_but_the_age(app, seeded, loads) -> None:
    loads("checkins", 5)
    client, deps = signed_in(app, "carla")
    body = _text(post_callback(client, freshness_payload(deps)).get_json()["response"])
    assert "shell-freshness-banner" not in body
    assert "check-ins loaded 5 h ago" in body


def test_failed_and_rejecting_latest_loads_are_named(app, seeded, loads) -> None:
    loads("checkins", 5)
    loads("checkins", 1, status="failed")
    loads("drug_screens", 1, rejected=3)
    client, deps = signed_in(app, "root")  # admins see it too, every program
    body = _text(post_callback(client, freshness_payload(deps)).get_json()["response"])
    assert "The latest check-ins file failed to load." in body
    assert "The latest drug screens file had 3 rejected rows." in body


def test_bam_and_unlabelled_kinds_are_listed_not_a_500(app, seeded, loads) -> None:
    loads("checkins", 5)
    loads("bam", 2, rejected=1)
    loads("something_new", 3)
    client, deps = signed_in(app, "root")
    response = post_callback(client, freshness_payload(deps))
    assert response.status_code == 200
    assert "The latest BAM forms file had 1 rejected row." in _text(response.get_json())


def test_read_model_per_program(seeded, loads) -> None:
    loads("checkins", 40)
    loads("checkins", 50)
    with seeded.engine.connect() as conn:
        rows = freshness(conn, None, now=utcnow(), cadence=parse_cadence("checkins=48"))
    assert {r.program_key for r in rows} == set(seeded.world.programs.values())
    east = next(r for r in rows if r.program_key == seeded.world.programs["P-EAST"])
    checkins = next(k for k in east.kinds if k.kind == "checkins")
    assert 39.9 < checkins.age_hours < 40.1 and not checkins.stale
    assert east.newest_scored_day == seeded.world.as_of
    with seeded.engine.connect() as conn:
        strict = freshness(conn, [east.program_key], now=utcnow(), cadence={"checkins": 24})
    assert [k.kind for k in strict[0].stale_kinds] == ["checkins"]


def test_bad_cadence_setting_is_named() -> None:
    with pytest.raises(ValueError, match="unknown kind 'chekins'"):
        parse_cadence("chekins=36")
    assert parse_cadence("drug_screens=168") == {"checkins": 36.0, "drug_screens": 168.0}
