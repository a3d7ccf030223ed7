"""Small-cell suppression: primary, then complementary (secondary), as CMS asks of reports.

Primary: a count of 1 to 10 clients, or a rate resting on fewer than 11 clients. A zero count
is published (it names no one), as in the CMS cell-size policy.

Complementary: a group is a set of count cells tied by an addition the reader can do (the
program's row is the sum of its counselors' rows). A group with exactly one suppressed cell
gives it away by subtraction, so the next smallest published cell of the group is suppressed
too (a non-zero part first, the group's total last). Suppressing it may open another group,
so this repeats until no group holds exactly one suppressed cell.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    key: Hashable
    clients: int  # the count itself (counts) or the clients a rate rests on (rates)
    counts: bool = True  # a count of clients (groups apply), else a rate (primary only)


@dataclass
class Suppression:
    primary: set = field(default_factory=set)
    complementary: set = field(default_factory=set)

    @property
    def hidden(self) -> set:
        return self.primary | self.complementary


def is_small(cell: Cell, threshold: int) -> bool:
    if cell.counts:
        return 0 < cell.clients < threshold
    return cell.clients < threshold


def suppress(
    cells: Sequence[Cell], groups: Sequence[Sequence[Hashable]], threshold: int = 11
) -> Suppression:
    """Which cells to hide. ``groups`` name the keys tied by a sum; the first key of a group
    is taken as its total when it is chosen last (any order works, this only breaks ties)."""
    by_key = {c.key: c for c in cells}
    out = Suppression(primary={c.key for c in cells if is_small(c, threshold)})
    live = [[k for k in g if k in by_key] for g in groups]
    changed = True
    while changed:
        changed = False
        for group in live:
            hidden = [k for k in group if k in out.hidden]
            if len(hidden) != 1:
                continue
            candidates = [k for k in group if k not in out.hidden]
            if not candidates:
                continue
            total = group[0]
            pick = min(
                candidates,
                key=lambda k: (k == total, by_key[k].clients == 0, by_key[k].clients, str(k)),
            )
            out.complementary.add(pick)
            changed = True
    return out
