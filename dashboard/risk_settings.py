"""The risk engine's settings as the pages need them: a program's tier thresholds, the SD
floors its rules divide by, and the length of the personal-baseline window.

Read from the same configuration the engine scores with (``etl.risk.config``: shipped
defaults, then the program's overrides), so a tier band drawn on a chart begins exactly where
the engine puts a score in that tier, and a baseline band is as wide as the SD behind "2.1 SD
above own baseline". The files are checked on every request and parsed again whenever one of
them changed (its modification time or size): a program that changes its thresholds sees them
at once, like the next refresh does, and an unchanged file is not parsed and validated per page
load.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from etl.risk.config import ConfigError, RiskConfig, config_files, load_config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskSettings:
    thresholds: dict[str, float]  # tier -> lowest score in it (moderate, high, critical)
    sd_floors: dict[str, float]  # signal -> smallest SD its rule uses
    z: dict[str, float]  # signal -> deviation (in SDs) from which a day counts
    baseline_days: int
    baseline_min_days: int
    short_sleep_hours: float  # a night under this is short (the sleep rule)
    config_hash: str
    sleep: dict[str, float]  # short_hours, short_nights, poor_quality, poor_quality_nights
    stress: dict[str, float]  # level, z (the stress rule's level and deviation)


def settings_from(cfg: RiskConfig) -> RiskSettings:
    """The parts of a configuration the dashboard draws."""
    t = cfg.tiers
    rules = {"craving": cfg.craving, "stress": cfg.stress, "mood": cfg.mood}
    return RiskSettings(
        thresholds={"moderate": t.moderate, "high": t.high, "critical": t.critical},
        sd_floors={
            **{name: rule.sd_floor for name, rule in rules.items()},
            "sleep_hours": cfg.sleep.sd_floor,
        },
        z={**{name: rule.z for name, rule in rules.items()}, "sleep_hours": cfg.sleep.z},
        baseline_days=cfg.windows.baseline_days,
        baseline_min_days=cfg.windows.baseline_min_days,
        short_sleep_hours=cfg.sleep.short_hours,
        config_hash=cfg.config_hash,
        sleep={
            "short_hours": cfg.sleep.short_hours,
            "short_nights": cfg.sleep.short_nights,
            "poor_quality": cfg.sleep.poor_quality,
            "poor_quality_nights": cfg.sleep.poor_quality_nights,
        },
        stress={"level": cfg.stress.level, "z": cfg.stress.z},
    )


def program_settings(program_id: str | None) -> RiskSettings | None:
    """The program's effective settings, or None when its configuration does not load (the
    page then draws no bands rather than wrong ones; the error names only files)."""
    files = tuple((str(f), *_stamp(f)) for f in config_files(program_id))
    try:
        return _settings(program_id, files)
    except ConfigError:
        log.warning("risk configuration of program %s does not load; no tier bands", program_id)
        return None


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:  # removed since it was listed: the next request lists the files again
        return -1, -1
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=128)
def _settings(program_id: str | None, files: tuple) -> RiskSettings:
    """Keyed by the files that make the configuration and their stamps (``files``)."""
    return settings_from(load_config(program_id))
