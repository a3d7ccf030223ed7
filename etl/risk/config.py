"""Risk-rule configuration: shipped defaults, per-program overrides, validation and a hash.

Thresholds and points are clinical choices a program must be able to change without code, so
they live in TOML: ``default.toml`` beside this module, overridden key by key by
``<dir>/default.toml`` (every program) and ``<dir>/<program_id>.toml`` (one program), where
``<dir>`` is ``$CASELOAD_RISK_CONFIG_DIR`` or ``config/risk`` at the repository root. Every file
is validated (unknown keys, out-of-range values, tiers out of order are errors), and the hash
of the effective configuration is stored with each score so a past ranking can be explained.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from etl.settings import REPO_ROOT

DEFAULTS_PATH = Path(__file__).with_name("default.toml")
CONFIG_DIR_ENV = "CASELOAD_RISK_CONFIG_DIR"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Windows(_Strict):
    baseline_days: int = Field(28, ge=7, le=90)
    baseline_min_days: int = Field(7, ge=2, le=90)
    recent_days: int = Field(5, ge=1, le=14)
    trend_days: int = Field(7, ge=3, le=28)
    trend_min_days: int = Field(4, ge=2, le=28)

    @model_validator(mode="after")
    def _mins_fit(self) -> Windows:
        if self.baseline_min_days > self.baseline_days:
            raise ValueError("baseline_min_days must not exceed baseline_days")
        if self.trend_min_days > self.trend_days:
            raise ValueError("trend_min_days must not exceed trend_days")
        return self


class Tiers(_Strict):
    # No defaults here: the shipped thresholds are etl/risk/default.toml's, and only there.
    moderate: float = Field(gt=0, le=100)
    high: float = Field(gt=0, le=100)
    critical: float = Field(gt=0, le=100)

    @model_validator(mode="after")
    def _increasing(self) -> Tiers:
        if not self.moderate < self.high < self.critical:
            raise ValueError("tiers must increase: moderate < high < critical")
        return self


class SignalRule(_Strict):
    """Craving, stress and mood share one shape: a level, a deviation and a trend part."""

    enabled: bool = True
    level: float = Field(ge=0, le=10)
    level_points: float = Field(ge=0, le=100)
    points_per_step: float = Field(ge=0, le=100)
    z: float = Field(gt=0, le=10)
    points_per_deviation_day: float = Field(ge=0, le=100)
    trend: float = Field(gt=0, le=10)
    trend_points: float = Field(ge=0, le=100)
    sd_floor: float = Field(gt=0, le=10)
    max_points: float = Field(ge=0, le=100)
    # The mean of the answers over the last ``average_days`` (today included): one day's answer
    # is noisy, a fortnight's level says more. Points per point beyond ``average_level``
    # (above it; for mood, below); 0 points until a program's fit, or its staff, set them.
    average_days: int = Field(14, ge=1, le=90)
    average_level: float = Field(0, ge=0, le=10)
    points_per_average_step: float = Field(0, ge=0, le=100)


class SleepRule(_Strict):
    enabled: bool = True
    short_hours: float = Field(6.0, gt=0, le=24)
    short_nights: int = Field(3, ge=1, le=7)
    points_per_short_night: float = Field(1.5, ge=0, le=100)
    poor_quality: int = Field(2, ge=1, le=5)
    poor_quality_nights: int = Field(3, ge=1, le=7)
    points_per_poor_night: float = Field(1.5, ge=0, le=100)
    z: float = Field(1.5, gt=0, le=10)
    points_per_deviation_day: float = Field(3, ge=0, le=100)
    sd_floor: float = Field(0.75, gt=0, le=24)
    max_points: float = Field(15, ge=0, le=100)


class CuesRule(_Strict):
    enabled: bool = True
    min_days: int = Field(3, ge=1, le=7)
    points_per_day: float = Field(1.5, ge=0, le=100)
    max_points: float = Field(10, ge=0, le=100)


class IsolationRule(_Strict):
    enabled: bool = True
    days: int = Field(7, ge=1, le=365)
    min_no_answers: int = Field(3, ge=0, le=7)
    points: float = Field(6, ge=0, le=100)
    points_per_extra_day: float = Field(1, ge=0, le=100)
    max_points: float = Field(14, ge=0, le=100)


class DisengagementRule(_Strict):
    enabled: bool = True
    min_streak: int = Field(2, ge=1, le=30)
    points_per_missed: float = Field(10, ge=0, le=100)
    weekly_weight: float = Field(3, ge=1, le=7)
    low_adherence: float = Field(0.5, ge=0, le=1)
    low_adherence_min_expected: int = Field(4, ge=1, le=7)
    low_adherence_points: float = Field(6, ge=0, le=100)
    max_points: float = Field(60, ge=0, le=100)


class UseRule(_Strict):
    enabled: bool = True
    days: tuple[int, ...] = (3, 7, 14, 30)
    points: tuple[float, ...] = (35, 25, 15, 8)

    @model_validator(mode="after")
    def _steps(self) -> UseRule:
        if len(self.days) != len(self.points) or not self.days:
            raise ValueError("use.days and use.points must be non-empty lists of equal length")
        if list(self.days) != sorted(set(self.days)) or self.days[0] < 0 or self.days[-1] > 90:
            raise ValueError("use.days must increase strictly, within 0..90")
        if any(p < 0 or p > 100 for p in self.points):
            raise ValueError("use.points must be within 0..100")
        return self


class ScreenRule(_Strict):
    enabled: bool = True
    days: int = Field(7, ge=1, le=30)
    points: float = Field(6, ge=0, le=100)


class BamRule(_Strict):
    """The latest Brief Addiction Monitor form as a signal, where a client has one.

    Off by default: a program turns it on once its forms load (``caseload evaluate-risk
    --bam`` says whether it helps on the program's own data)."""

    enabled: bool = False
    max_age_days: int = Field(35, ge=1, le=120)  # a monthly form, with a week's slack
    risk_at: int = Field(12, ge=0, le=24)  # the BAM's own cut-offs
    risk_points: float = Field(6, ge=0, le=100)
    points_per_risk_step: float = Field(1, ge=0, le=100)
    protective_at: int = Field(12, ge=0, le=24)
    protective_points: float = Field(4, ge=0, le=100)
    points_per_protective_step: float = Field(0.5, ge=0, le=100)
    max_points: float = Field(15, ge=0, le=100)


class DiscordanceRule(_Strict):
    """Reported no use while a screen of the same window was positive: a reason to talk."""

    enabled: bool = True
    window_days: int = Field(3, ge=0, le=14)  # check-ins from the screen day and N days before
    days: int = Field(7, ge=1, le=30)  # how long after the screen the reason is shown
    points: float = Field(8, ge=0, le=100)


class RiskConfig(_Strict):
    windows: Windows
    tiers: Tiers
    craving: SignalRule
    stress: SignalRule
    mood: SignalRule
    sleep: SleepRule
    cues: CuesRule
    isolation: IsolationRule
    disengagement: DisengagementRule
    use: UseRule
    screen: ScreenRule
    bam: BamRule = BamRule()
    discordance: DiscordanceRule = DiscordanceRule()

    @property
    def config_hash(self) -> str:
        """SHA-256 of the effective configuration, stable across key order and file layout."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def lookback_days(self) -> int:
        """How many days before a recomputed day its windows reach back."""
        w = self.windows
        return (
            max(
                w.baseline_days + w.recent_days,
                w.trend_days,
                28,  # adherence_28d
                self.use.days[-1],
                self.screen.days,
                self.discordance.days + self.discordance.window_days,
                self.craving.average_days,
                self.stress.average_days,
                self.mood.average_days,
            )
            + 1
        )


class ConfigError(ValueError):
    """A risk configuration file is unreadable or invalid; the message names the file."""


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_DIR_ENV) or REPO_ROOT / "config" / "risk")


def config_files(program_id: str | None, directory: Path | None = None) -> list[Path]:
    """The files that make a program's configuration, in the order they apply."""
    directory = directory or config_dir()
    files = [DEFAULTS_PATH, directory / "default.toml"]
    if program_id:
        files.append(directory / f"{program_id}.toml")
    return [f for f in files if f.is_file()]


def load_config(program_id: str | None = None, directory: Path | None = None) -> RiskConfig:
    """The validated configuration for one program (or the shared one when None)."""
    merged: dict[str, Any] = {}
    files = config_files(program_id, directory)
    for path in files:
        merged = _deep_merge(merged, _read_toml(path))
    try:
        return RiskConfig.model_validate(merged)
    except ValidationError as exc:
        names = ", ".join(str(p) for p in files)
        raise ConfigError(f"invalid risk configuration (from {names}):\n{exc}") from exc


def default_config() -> RiskConfig:
    """The shipped defaults alone, ignoring any override folder (tests and documentation)."""
    return RiskConfig.model_validate(_read_toml(DEFAULTS_PATH))
