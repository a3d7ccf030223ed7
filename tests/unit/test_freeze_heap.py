"""``serve.freeze_heap``: what exists when it runs leaves the collector's generations."""

from __future__ import annotations

import gc

from dashboard.serve import freeze_heap


class _Built:
    """Stands for an object start-up built (tracked by the collector, as instances are)."""


def test_objects_built_before_are_frozen_and_new_ones_are_still_collected() -> None:
    built = _Built()
    assert gc.is_tracked(built) and any(o is built for o in gc.get_objects())
    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is built for o in gc.get_objects())
        later = _Built()
        assert any(o is later for o in gc.get_objects())
    finally:
        gc.unfreeze()  # the rest of the suite keeps an ordinary heap
    assert any(o is built for o in gc.get_objects())
