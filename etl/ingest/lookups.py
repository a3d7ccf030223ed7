"""The warehouse's current programs, staff and clients, read once per file.

Referential checks (is this client on a roster?) and time zones (in which zone was a naive
check-in time written?) are joins against these small frames, so a million check-ins cost one
query, not a million.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, select

from etl.models import DimClient, DimProgram, DimStaff


@dataclass
class Lookups:
    programs: pd.DataFrame  # index program_id: program_key, time_zone
    staff: pd.DataFrame  # index staff_id: staff_key, program_key
    clients: pd.DataFrame  # index client_id: client_key, program_key, time_zone


def _frame(conn: Connection, stmt, index: str, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=[index, *columns])
    return frame.set_index(index)


def load_lookups(conn: Connection, needs: frozenset[str]) -> Lookups:
    empty = pd.DataFrame()
    programs = staff = clients = empty
    if "programs" in needs:
        programs = _frame(
            conn,
            select(DimProgram.program_id, DimProgram.program_key, DimProgram.time_zone),
            "program_id",
            ["program_key", "time_zone"],
        )
    if "staff" in needs:
        staff = _frame(
            conn,
            select(DimStaff.staff_id, DimStaff.staff_key, DimStaff.program_key),
            "staff_id",
            ["staff_key", "program_key"],
        )
    if "clients" in needs:
        clients = _frame(
            conn,
            select(
                DimClient.client_id,
                DimClient.client_key,
                DimClient.program_key,
                DimProgram.time_zone,
            ).join(DimProgram, DimProgram.program_key == DimClient.program_key),
            "client_id",
            ["client_key", "program_key", "time_zone"],
        )
    return Lookups(programs=programs, staff=staff, clients=clients)
