"""Fixtures for the dashboard's integration tests: one seeded warehouse per module and
backend (seeding and hashing six passwords is the slow part), a fresh app per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dash_client import app_config
from factories import World, add_standard_users, seed_world
from sqlalchemy import Engine

from dashboard import create_app
from etl.db import make_engine
from etl.models import Base


@dataclass
class Seeded:
    url: str
    engine: Engine
    world: World
    users: dict[str, int]


@pytest.fixture(scope="module")
def seeded(backend: str, fresh_database) -> Seeded:
    url = fresh_database(backend)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_world(engine)
    users = add_standard_users(engine)
    yield Seeded(url=url, engine=engine, world=world, users=users)
    engine.dispose()


@pytest.fixture
def app_factory(seeded: Seeded):
    """Build an app on the seeded warehouse with some configuration changed."""
    built = []

    def build(**overrides):
        server = create_app(app_config(seeded.url, **overrides))
        built.append(server)
        return server

    yield build
    for server in built:
        server.extensions["caseload_db"].dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()
