"""One ``caseload synth`` run: roster, then the daily simulation chunk by chunk, then files.

Clients are simulated in fixed-size chunks, each with its own random stream derived from the
seed and the chunk number, so memory stays bounded at any size and the same arguments give
the same bytes. The roster file is written last because drop-outs decide discharge dates.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from faker import Faker

from etl import bam
from etl.ingest.kinds import BY_NAME
from etl.synth import text
from etl.synth.bam import Forms, make_forms
from etl.synth.calendar import Window, format_offset, make_window
from etl.synth.model import Latent, simulate
from etl.synth.observe import RESULTS, Observed, observe
from etl.synth.roster import SCHEDULES, SUBSTANCES, Roster, make_roster
from etl.synth.writer import (
    ColumnWriter,
    fraction_table,
    int_table,
    lookup,
    tenths_table,
    write_records,
)

CHUNK_CLIENTS = 1000  # fixed: part of what makes a seed reproducible

# The input files' columns, in the order the data contract lists them: the same definitions
# that ingest reads with, so the generator cannot drift from what the warehouse accepts.
PROGRAM_COLUMNS = list(BY_NAME["programs"].columns)
STAFF_COLUMNS = list(BY_NAME["staff"].columns)
CLIENT_COLUMNS = list(BY_NAME["clients"].columns)
CHECKIN_COLUMNS = list(BY_NAME["checkins"].columns)
SCREEN_COLUMNS = list(BY_NAME["drug_screens"].columns)
BAM_COLUMNS = list(BY_NAME["bam"].columns)
TRUTH_DAILY_COLUMNS = [
    "client_id",
    "date",
    "latent_risk",
    "lapse",
    "reported",
    "detected_by_screen",
    "expected",
    "checkins",
    "screens",
    "stress_episode",
    "disengaged",
]
TRUTH_CLIENT_COLUMNS = [
    "client_id",
    "outcome",
    "disengaged_from",
    "vulnerability",
    "stress_baseline",
    "mood_baseline",
    "sleep_baseline",
    "disclosure_rate",
    "lapse_days",
    "reported_lapse_days",
    "detected_lapse_days",
]
DATA_FILES = ["programs", "staff", "clients", "checkins", "drug_screens", "bam"]
TRUTH_FILES = ["daily", "clients"]

NO_YES = np.array(["no", "yes", ""], dtype=object)
ZERO_ONE = np.array(["0", "1"], dtype=object)


@dataclass(frozen=True)
class SynthConfig:
    out: Path
    clients: int = 300
    days: int = 120
    seed: int = 7
    as_of: dt.date | None = None  # None: today
    programs: int = 2
    truth: bool = True
    gzip: bool = False
    as_of_time: dt.time | None = dt.time(9, 0)  # None: the whole as-of day
    substance_p: list[float] | None = None  # None: the shipped mix (roster.SUBSTANCE_P)
    schedule_p: list[float] | None = None  # None: roster.SCHEDULE_P


@dataclass
class SynthResult:
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    start: dt.date | None = None
    as_of: dt.date | None = None
    seconds: float = 0.0


def _cutoff_seconds(as_of_time: dt.time | None) -> int:
    if as_of_time is None:
        return 86400
    return as_of_time.hour * 3600 + as_of_time.minute * 60 + as_of_time.second


def _remove_previous(out: Path) -> None:
    """Drop files a previous run left, so ``DIR/*.csv`` never mixes two runs."""
    for stem in DATA_FILES:
        for suffix in (".csv", ".csv.gz"):
            (out / f"{stem}{suffix}").unlink(missing_ok=True)
    for stem in TRUTH_FILES:
        for suffix in (".csv", ".csv.gz"):
            (out / "truth" / f"{stem}{suffix}").unlink(missing_ok=True)
    (out / "truth" / "README.md").unlink(missing_ok=True)


class _Formatter:
    """Turns a chunk's arrays into columns of strings, by table lookup where possible."""

    def __init__(self, window: Window, roster: Roster, seed: int):
        self.roster = roster
        self.window = window
        self.dates = np.array(np.datetime_as_string(window.dates), dtype=object)
        offsets = [window.utc_offsets(p["time_zone"]) for p in roster.programs]
        self.offsets = np.stack(offsets)  # (programs, days) seconds
        labels = [[format_offset(int(s)) for s in row] for row in self.offsets]
        self.offset_labels = np.array(labels, dtype="<U6")
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
        fake = Faker("en_US")
        fake.seed_instance(seed + 1)
        self.triggers = text.trigger_strings()
        coping = text.coping_pool(rng)
        self.coping_size = int(coping.shape[0])
        self.coping = np.append(coping, "").astype(object)
        pools = text.note_pools(fake, rng)
        self.note_size = int(pools[0].shape[0])
        self.notes = np.append(np.concatenate(pools), "").astype(object)
        self.score = int_table(10)
        self.quality = int_table(5)
        self.sleep = tenths_table(160)
        self.risk = fraction_table(4)
        self.small = int_table(9)

    def timestamps(
        self, clients: np.ndarray, days: np.ndarray, seconds: np.ndarray, channel: np.ndarray
    ) -> list[str]:
        """ISO 8601: local with offset (0), UTC with ``Z`` (1) or naive local time (2)."""
        program = self.roster.program[clients]
        local = self.window.dates[days] + seconds.astype("timedelta64[s]")
        utc = local - self.offsets[program, days].astype("timedelta64[s]")
        base = np.where(
            channel == 1,
            np.datetime_as_string(utc, unit="s"),
            np.datetime_as_string(local, unit="s"),
        )
        suffix = np.where(
            channel == 0, self.offset_labels[program, days], np.where(channel == 1, "Z", "")
        )
        return np.strings.add(base, suffix).tolist()

    def checkins(self, lo: int, obs: Observed, first_id: int) -> list[list[str]]:
        c = obs.checkins
        clients = lo + c.client
        note = np.where(c.note_category >= 0, c.note_category * self.note_size + c.note, -1)
        return [
            [f"CK{v:08d}" for v in range(first_id, first_id + len(c))],
            self.roster.client_id[clients].tolist(),
            self.timestamps(clients, c.day, c.seconds, c.channel),
            lookup(self.score, c.craving),
            lookup(self.score, c.stress),
            lookup(self.score, c.mood),
            lookup(self.sleep, c.sleep_tenths),
            lookup(self.quality, c.sleep_quality),
            lookup(NO_YES, c.used),
            lookup(self.triggers, c.triggers),
            lookup(NO_YES, c.support),
            lookup(self.coping, c.coping),
            lookup(self.notes, note),
        ]

    def screens(self, lo: int, obs: Observed, first_id: int) -> list[list[str]]:
        s = obs.screens
        clients = lo + s.client
        return [
            [f"DS{v:07d}" for v in range(first_id, first_id + len(s))],
            self.roster.client_id[clients].tolist(),
            self.timestamps(clients, s.day, s.seconds, np.zeros(len(s), np.int64)),
            SUBSTANCES[self.roster.substance[clients]].tolist(),
            RESULTS[s.result].tolist(),
        ]

    def bam(self, lo: int, forms: Forms, first_id: int) -> list[list[str]]:
        clients = lo + forms.client
        answers = int_table(bam.ITEM_HI)  # "0".."4", blank for -1
        return [
            [f"BAM{v:07d}" for v in range(first_id, first_id + len(forms.day))],
            self.roster.client_id[clients].tolist(),
            self.timestamps(clients, forms.day, forms.seconds, np.zeros(len(forms.day), np.int64)),
            [str(r) for r in forms.recall.tolist()],
            *(lookup(answers, forms.answers[:, i]) for i in range(forms.answers.shape[1])),
        ]

    def truth_days(self, lo: int, latent: Latent, obs: Observed) -> list[list[str]]:
        ci, cd = np.nonzero(latent.enrolled)
        t = obs.truth
        risk = np.rint(latent.risk[ci, cd].astype(np.float64) * 10000).astype(np.int64)
        disengaged = (latent.fade[ci, cd] > 0) | latent.gone[ci, cd]
        return [
            self.roster.client_id[lo + ci].tolist(),
            self.dates[cd].tolist(),
            self.risk[risk].tolist(),
            lookup(ZERO_ONE, latent.lapse[ci, cd].astype(np.int64)),
            lookup(ZERO_ONE, t.reported[ci, cd].astype(np.int64)),
            lookup(ZERO_ONE, t.detected[ci, cd].astype(np.int64)),
            lookup(ZERO_ONE, t.expected[ci, cd].astype(np.int64)),
            lookup(self.small, np.minimum(t.checkins[ci, cd], 9)),
            lookup(self.small, np.minimum(t.screens[ci, cd], 9)),
            lookup(ZERO_ONE, latent.episode[ci, cd].astype(np.int64)),
            lookup(ZERO_ONE, disengaged.astype(np.int64)),
        ]


@dataclass
class _Outcomes:
    """Per-client results of the simulation that the roster and truth files need."""

    discharge: np.ndarray
    dropped_out: np.ndarray
    fade_start: np.ndarray
    rows: list[list[str]] = field(default_factory=list)


def _chunks(total: int) -> Iterator[tuple[int, int, int]]:
    for k, lo in enumerate(range(0, total, CHUNK_CLIENTS)):
        yield k, lo, min(lo + CHUNK_CLIENTS, total)


def _truth_client_rows(
    lo: int, roster: Roster, window: Window, latent: Latent, obs: Observed
) -> list[list[str]]:
    days = window.days
    lapses = latent.lapse.sum(axis=1)
    reported = (obs.truth.reported & latent.lapse).sum(axis=1)
    detected = (obs.truth.detected & latent.lapse).sum(axis=1)
    rows = []
    for j in range(latent.risk.shape[0]):
        if latent.dropped_out[j]:
            outcome = "dropped_out"
        elif latent.discharge[j] < days:
            outcome = "completed"
        else:
            outcome = "active"
        fade = int(latent.fade_start[j])
        tr = latent.traits
        rows.append(
            [
                str(roster.client_id[lo + j]),
                outcome,
                str(window.dates[fade]) if fade >= 0 else "",
                f"{tr.vulnerability[j]:.3f}",
                f"{tr.stress_base[j]:.2f}",
                f"{tr.mood_base[j]:.2f}",
                f"{tr.sleep_base[j]:.2f}",
                f"{obs.disclosure[j]:.3f}",
                str(int(lapses[j])),
                str(int(reported[j])),
                str(int(detected[j])),
            ]
        )
    return rows


def _client_rows(roster: Roster, window: Window, discharge: np.ndarray) -> Iterator[list[str]]:
    start = np.datetime64(window.start, "D")
    admission = np.datetime_as_string(start + roster.admission).tolist()
    discharged = np.datetime_as_string(start + np.minimum(discharge, window.days)).tolist()
    birth = np.datetime_as_string(roster.date_of_birth).tolist()
    program_ids = [p["program_id"] for p in roster.programs]
    for i in range(roster.size):
        yield [
            str(roster.client_id[i]),
            program_ids[roster.program[i]],
            str(roster.counselor_id[i]),
            roster.first_name[i],
            roster.last_name[i],
            birth[i],
            str(roster.sex[i]),
            roster.zip[i],
            roster.phone[i],
            roster.email[i],
            admission[i],
            discharged[i] if discharge[i] < window.days else "",
            str(SUBSTANCES[roster.substance[i]]),
            str(SCHEDULES[roster.schedule[i]]),
        ]


def generate(cfg: SynthConfig) -> SynthResult:
    """Write a synthetic program to ``cfg.out``; ground truth to ``cfg.out/truth``."""
    began = time.perf_counter()
    as_of = cfg.as_of or dt.date.today()
    window = make_window(as_of, cfg.days)
    roster = make_roster(
        cfg.clients,
        cfg.programs,
        window,
        cfg.seed,
        substance_p=cfg.substance_p,
        schedule_p=cfg.schedule_p,
    )
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    result = SynthResult(start=window.start, as_of=as_of)
    ext = ".csv.gz" if cfg.gzip else ".csv"

    def path(key: str, folder: Path = out) -> Path:
        name = key.removeprefix("truth_")
        result.files[key] = folder / f"{name}{ext}"
        return folder / f"{name}.csv"

    result.rows["programs"] = write_records(
        path("programs"),
        cfg.gzip,
        PROGRAM_COLUMNS,
        ([p[c] for c in PROGRAM_COLUMNS] for p in roster.programs),
    )
    result.rows["staff"] = write_records(
        path("staff"),
        cfg.gzip,
        STAFF_COLUMNS,
        ([s[c] for c in STAFF_COLUMNS] for s in roster.staff),
    )

    fmt = _Formatter(window, roster, cfg.seed)
    cutoff = _cutoff_seconds(cfg.as_of_time)
    writers = {
        "checkins": ColumnWriter(path("checkins"), cfg.gzip, CHECKIN_COLUMNS),
        "drug_screens": ColumnWriter(path("drug_screens"), cfg.gzip, SCREEN_COLUMNS),
        "bam": ColumnWriter(path("bam"), cfg.gzip, BAM_COLUMNS),
    }
    if cfg.truth:
        writers["truth_daily"] = ColumnWriter(
            path("truth_daily", out / "truth"), cfg.gzip, TRUTH_DAILY_COLUMNS
        )
    discharge = np.empty(roster.size, np.int64)
    truth_clients: list[list[str]] = []
    try:
        for k, lo, hi in _chunks(roster.size):
            rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 1, k]))
            latent = simulate(
                rng,
                window,
                roster.admission[lo:hi],
                roster.planned_end[lo:hi],
                roster.substance[lo:hi],
            )
            obs = observe(
                rng,
                window,
                latent,
                roster.schedule[lo:hi],
                roster.substance[lo:hi],
                roster.admission[lo:hi],
                cutoff,
                fmt.coping_size,
                fmt.note_size,
            )
            discharge[lo:hi] = latent.discharge
            writers["checkins"].write(fmt.checkins(lo, obs, writers["checkins"].rows + 1))
            writers["drug_screens"].write(fmt.screens(lo, obs, writers["drug_screens"].rows + 1))
            # Forms draw from a stream of their own: the other files stay byte for byte.
            forms = make_forms(
                np.random.default_rng(np.random.SeedSequence([cfg.seed, 3, k])),
                window,
                latent,
                roster.admission[lo:hi],
                roster.substance[lo:hi],
                obs.disclosure,
                cutoff,
            )
            writers["bam"].write(fmt.bam(lo, forms, writers["bam"].rows + 1))
            if cfg.truth:
                writers["truth_daily"].write(fmt.truth_days(lo, latent, obs))
                truth_clients.extend(_truth_client_rows(lo, roster, window, latent, obs))
    finally:
        for name, w in writers.items():
            w.close()
            result.rows[name] = w.rows

    result.rows["clients"] = write_records(
        path("clients"), cfg.gzip, CLIENT_COLUMNS, _client_rows(roster, window, discharge)
    )
    if cfg.truth:
        result.rows["truth_clients"] = write_records(
            path("truth_clients", out / "truth"), cfg.gzip, TRUTH_CLIENT_COLUMNS, truth_clients
        )
        (out / "truth" / "README.md").write_text(TRUTH_README, encoding="utf-8")
    result.seconds = time.perf_counter() - began
    return result


TRUTH_README = """\
# Ground truth of a synthetic Caseload program

Written by `caseload synth` beside the input files (which are one level up). These files are
what really happened in the simulation; the input files are what a program would have
recorded of it. Use them to check derived facts and the risk score, never as input. With
`--gzip` they are `daily.csv.gz` and `clients.csv.gz`.

## daily.csv: one row per client per enrolled day in the window

| column | meaning |
| --- | --- |
| client_id | as in clients.csv |
| date | calendar day in the program's time zone |
| latent_risk | the simulated relapse risk that day, 0-1 |
| lapse | 1 if the client used that day (after that day's check-in, if any) |
| reported | 1 if that lapse was disclosed (`used_since_last=yes`) on the next check-in |
| detected_by_screen | 1 if a positive screen within the detection window caught that lapse |
| expected | 1 if the client's schedule asked for a check-in that day (see below) |
| checkins | check-ins submitted that local day (0 = missed when expected) |
| screens | drug screens collected that local day |
| stress_episode | 1 during a simulated stress episode |
| disengaged | 1 while engagement fades before a drop-out, and after contact stopped |

Schedules: `daily` expects every day, `weekdays` Monday to Friday (holidays included),
`weekly` the weekday of admission.
Enrolled days run from admission (or the window's first day) to discharge (or the as-of day),
both included. A client who dropped out stays enrolled, without any check-in or screen, until
the program discharges them 10-30 days after the last contact. On the as-of day the files hold
only what was submitted before the export time (`--as-of-time`, 09:00 local by default),
while this file describes the whole day.

## clients.csv: one row per client

| column | meaning |
| --- | --- |
| outcome | active, completed (discharged at the planned end) or dropped_out |
| disengaged_from | first day of the fading that ended in a drop-out |
| vulnerability | the client's personal shift of risk (logit scale, mean 0) |
| stress_baseline, mood_baseline | the client's usual reported stress and mood, 0-10 |
| sleep_baseline | the client's usual hours of sleep |
| disclosure_rate | probability that the client discloses a lapse on the next check-in |
| lapse_days, reported_lapse_days, detected_lapse_days | counts over the window |

A dropped-out client is discharged 10-30 days after the last contact, so a recent drop-out
is still on the roster (blank discharge date) with a growing run of missed check-ins.
"""
