"""What a load changed, handed from ingest to the derived-facts and risk steps.

Ingest records, per client, the earliest local date whose facts it touched; the derived
tables then recompute only those clients from that date on instead of the whole history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class ChangeSet:
    # client_key -> earliest local date whose check-ins, screens or roster facts changed
    client_dates: dict[int, dt.date] = field(default_factory=dict)

    def touch(self, client_key: int, day: dt.date) -> None:
        known = self.client_dates.get(client_key)
        if known is None or day < known:
            self.client_dates[client_key] = day

    def merge(self, other: ChangeSet) -> None:
        for key, day in other.client_dates.items():
            self.touch(key, day)

    def __bool__(self) -> bool:
        return bool(self.client_dates)
