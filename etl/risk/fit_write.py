"""The fitted points as an ordinary risk config file: the keys the fit set, under a header that
says where they came from (period, sample sizes, holdout figures), readable and editable by
hand. Loading it over the program's current settings gives exactly the fitted configuration
(``write_config`` checks that before it replaces anything)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from etl.risk.config import ConfigError, RiskConfig, _deep_merge


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}" if v != int(v) else f"{int(v)}"
    return str(v)


def changed_keys(current: RiskConfig, fitted: RiskConfig) -> dict[str, dict[str, Any]]:
    """Per section, the keys whose value the fit changed."""
    a, b = current.model_dump(mode="json"), fitted.model_dump(mode="json")
    return {
        s: {k: v for k, v in keys.items() if a[s].get(k) != v}
        for s, keys in b.items()
        if any(a[s].get(k) != v for k, v in keys.items())
    }


def render(current: RiskConfig, fitted: RiskConfig, header: list[str]) -> str:
    lines = [f"# {h}" if h else "#" for h in header]
    for section, keys in changed_keys(current, fitted).items():
        lines += ["", f"[{section}]"] + [f"{k} = {_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def write_config(path: Path, current: RiskConfig, fitted: RiskConfig, header: list[str]) -> None:
    """Write the file atomically, after checking that it reproduces ``fitted``."""
    text = render(current, fitted, header)
    merged = _deep_merge(current.model_dump(mode="json"), tomllib.loads(text))
    if RiskConfig.model_validate(merged).config_hash != fitted.config_hash:
        raise ConfigError(f"{path}: the written keys would not reproduce the fitted settings")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
