"""Risk configuration: shipped defaults, per-program overrides, validation, hash."""

from __future__ import annotations

import pytest

from etl.risk.config import CONFIG_DIR_ENV, ConfigError, default_config, load_config


def test_defaults_load_and_hash_is_stable(tmp_path):
    a = load_config(None, tmp_path)
    b = default_config()
    assert a == b
    assert a.config_hash == b.config_hash and len(a.config_hash) == 64
    assert a.lookback_days >= a.windows.baseline_days + a.windows.recent_days


def test_program_override_merges_key_by_key(tmp_path):
    (tmp_path / "P7.toml").write_text("[tiers]\nhigh = 50\n\n[sleep]\nshort_hours = 5.5\n")
    base = load_config(None, tmp_path)
    p7 = load_config("P7", tmp_path)
    assert p7.tiers.high == 50 and p7.tiers.moderate == base.tiers.moderate
    assert p7.sleep.short_hours == 5.5 and p7.sleep.short_nights == base.sleep.short_nights
    assert p7.config_hash != base.config_hash
    assert load_config("OTHER", tmp_path) == base


def test_shared_override_applies_to_every_program(tmp_path):
    (tmp_path / "default.toml").write_text("[cues]\nenabled = false\n")
    assert not load_config("ANY", tmp_path).cues.enabled


def test_directory_from_environment(tmp_path, monkeypatch):
    (tmp_path / "P1.toml").write_text("[isolation]\ndays = 10\n")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert load_config("P1").isolation.days == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tiers]\nhigh = 10\n", "tiers must increase"),
        ("[sleep]\nshort_hourz = 5\n", "short_hourz"),
        ("[craving]\nz = -1\n", "greater than 0"),
        ("[use]\ndays = [7, 3]\npoints = [1, 2]\n", "increase strictly"),
        ("[windows]\nbaseline_min_days = 40\n", "baseline_min_days"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_invalid_files_are_refused_with_the_file_named(tmp_path, text, message):
    (tmp_path / "BAD.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config("BAD", tmp_path)
    assert message in str(err.value)
    assert "BAD.toml" in str(err.value)
