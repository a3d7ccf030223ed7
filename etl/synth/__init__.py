"""Synthetic outpatient programs for demos, tests and benchmarks (``caseload synth``).

The generator simulates the clinical model of the product brief rather than drawing
independent random rows: each client carries latent drivers of relapse (stress, cue exposure,
low mood, poor sleep, isolation) that move slowly from day to day around the client's own
baseline; their combination is a latent risk; lapses follow high risk; and what reaches the
files (check-ins, missed days, self-reports, screens) is a noisy, incomplete view of it. The
true state is written apart, under ``truth/``, so the risk score built on the files can be
checked against what really happened.

Modules: ``calendar`` (window, weekends, holidays, time-zone offsets), ``roster`` (programs,
staff, clients), ``model`` (latent daily dynamics), ``observe`` (check-ins and screens as a
program would record them), ``text`` (trigger, coping and note vocabularies), ``writer``
(deterministic CSV output), ``generate`` (the whole run) and ``cli``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SynthConfig", "SynthResult", "generate"]


def __getattr__(name: str) -> Any:
    # Imported on first use: ``caseload synth --help`` must not wait for numpy and pandas.
    if name in __all__:
        import importlib

        module = importlib.import_module("etl.synth.generate")
        # The function ``generate`` shadows its module here, as an eager import would.
        globals().update({n: getattr(module, n) for n in __all__})
        return globals()[name]
    raise AttributeError(name)
