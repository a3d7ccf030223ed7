"""``caseload synth`` writes files that honour the data contract and carry the clinical signal.

The files are read back as a program's ingest would see them (strings, ISO timestamps read in
the program's time zone) and checked against the contract in the product brief and against
the ground truth written beside them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from etl.cli import main as cli
from etl.synth import SynthConfig, generate
from etl.synth.calendar import format_offset, make_window, us_holidays

AS_OF = dt.date(2026, 3, 20)  # the window spans MLK Day, Presidents' Day and the DST switch
DAYS = 150

HEADERS = {
    "programs.csv": "program_id,name,time_zone",
    "staff.csv": "staff_id,program_id,first_name,last_name,email,role",
    "clients.csv": "client_id,program_id,counselor_id,first_name,last_name,date_of_birth,sex,"
    "zip,phone,email,admission_date,discharge_date,primary_substance,"
    "checkin_schedule",
    "checkins.csv": "checkin_id,client_id,submitted_at,craving,stress,mood,sleep_hours,"
    "sleep_quality,used_since_last,triggers,support_contact,coping,note",
    "drug_screens.csv": "screen_id,client_id,collected_at,substance,result",
    "bam.csv": "response_id,client_id,completed_at,recall_days,item_1,item_2,item_3,item_4,"
    "item_5,item_6,item_7a,item_7b,item_7c,item_7d,item_7e,item_7f,item_7g,item_8,item_9,"
    "item_10,item_11,item_12,item_13,item_14,item_15,item_16,item_17",
    "truth/daily.csv": "client_id,date,latent_risk,lapse,reported,detected_by_screen,expected,"
    "checkins,screens,stress_episode,disengaged",
}
TRIGGERS = {"people", "places", "music", "routines", "emotions", "other"}


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def local_times(
    frame: pd.DataFrame, column: str, clients: pd.DataFrame, programs: pd.DataFrame
) -> list[dt.datetime]:
    """Timestamps as naive local times of the client's program; checks each stated offset."""
    zone_of = dict(zip(programs.program_id, programs.time_zone, strict=True))
    zones = clients.set_index("client_id").program_id.map(zone_of)
    out = []
    for text, client in zip(frame[column], frame.client_id, strict=True):
        stamp = dt.datetime.fromisoformat(text)
        zone = ZoneInfo(zones[client])
        if stamp.tzinfo is not None:
            local = stamp.astimezone(zone)
            if not text.endswith("Z"):  # a stated local offset must be that zone's offset
                assert stamp.utcoffset() == local.utcoffset(), text
            stamp = local.replace(tzinfo=None)
        out.append(stamp)
    return out


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(out=out, clients=400, days=DAYS, seed=11, as_of=AS_OF))
    return out


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough lapses for statistical checks of the signal (about 2,000 lapse days)."""
    out = tmp_path_factory.mktemp("synth_large")
    generate(SynthConfig(out=out, clients=1000, days=180, seed=3, as_of=AS_OF))
    return out


@pytest.fixture(scope="module")
def checkin_days(large: Path) -> pd.DataFrame:
    """Check-ins of the large program with their local date, joined to the truth."""
    clients, programs = read(large, "clients.csv"), read(large, "programs.csv")
    checkins = read(large, "checkins.csv")
    checkins["date"] = [
        t.date().isoformat() for t in local_times(checkins, "submitted_at", clients, programs)
    ]
    return checkins


# --------------------------------------------------------------------------- calendar


def test_us_holidays_and_daylight_saving_offsets() -> None:
    days = us_holidays(2026)
    assert days[dt.date(2026, 1, 19)] == "Martin Luther King Jr. Day"
    assert days[dt.date(2026, 5, 25)] == "Memorial Day"
    assert days[dt.date(2026, 9, 7)] == "Labor Day"
    assert days[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    window = make_window(dt.date(2026, 3, 9), 3)
    assert window.start == dt.date(2026, 3, 7)
    assert window.utc_offsets("America/Chicago").tolist() == [-6 * 3600, -5 * 3600, -5 * 3600]
    assert window.is_weekend.tolist() == [True, True, False]
    assert format_offset(-5 * 3600) == "-05:00" and format_offset(5 * 3600 + 1800) == "+05:30"


# --------------------------------------------------------------------------- reproducibility


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    for compress in (False, True):
        runs = []
        for name in ("a", "b"):
            folder = tmp_path / f"{name}{compress}"
            generate(
                SynthConfig(out=folder, clients=120, days=40, seed=5, as_of=AS_OF, gzip=compress)
            )
            runs.append(digest(folder))
        assert runs[0] == runs[1]
        assert len(runs[0]) == 9  # 6 input files, 2 truth files, the truth README
    other = tmp_path / "other"
    generate(SynthConfig(out=other, clients=120, days=40, seed=6, as_of=AS_OF))
    first = tmp_path / "aFalse"
    assert (other / "checkins.csv").read_bytes() != (first / "checkins.csv").read_bytes()
    with gzip.open(tmp_path / "aTrue" / "checkins.csv.gz", "rb") as zipped:
        assert zipped.read() == (first / "checkins.csv").read_bytes()


def test_cli_runs_registered_command(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        cli,
        [
            "synth",
            "--out",
            str(out),
            "--clients",
            "30",
            "--days",
            "20",
            "--seed",
            "2",
            "--as-of",
            "2026-11-27",
            "--programs",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2026-11-08 .. 2026-11-27" in result.output
    assert len(read(out, "programs.csv")) == 3
    assert len(read(out, "clients.csv")) == 30
    bad = CliRunner().invoke(cli, ["synth", "--out", str(out), "--as-of-time", "9 am"])
    assert bad.exit_code != 0


# --------------------------------------------------------------------------- the contract


def test_headers_are_exactly_the_contract(program: Path) -> None:
    for name, header in HEADERS.items():
        with open(program / name, encoding="utf-8", newline="") as stream:
            assert stream.readline() == header + "\n", name


def test_ids_are_unique_and_references_resolve(program: Path) -> None:
    programs, staff = read(program, "programs.csv"), read(program, "staff.csv")
    clients, checkins = read(program, "clients.csv"), read(program, "checkins.csv")
    screens = read(program, "drug_screens.csv")
    for frame, key in (
        (programs, "program_id"),
        (staff, "staff_id"),
        (clients, "client_id"),
        (checkins, "checkin_id"),
        (screens, "screen_id"),
    ):
        assert frame[key].is_unique and (frame[key] != "").all(), key
    assert list(programs.time_zone) == ["America/New_York", "America/Chicago"]
    assert all(re.fullmatch(r"S\d{3}", s) for s in staff.staff_id)
    assert all(re.fullmatch(r"C\d{5}", c) for c in clients.client_id)
    assert set(staff.program_id) <= set(programs.program_id)
    assert set(staff.role) == {"admin", "supervisor", "counselor"}
    assert (staff.role == "admin").sum() == 1
    assert staff[staff.role == "supervisor"].program_id.value_counts().to_dict() == {
        "P01": 1,
        "P02": 1,
    }

    counselors = staff[staff.role == "counselor"].set_index("staff_id").program_id
    assert clients.counselor_id.isin(counselors.index).all()
    assert (counselors[clients.counselor_id].to_numpy() == clients.program_id.to_numpy()).all()
    assert set(checkins.client_id) <= set(clients.client_id)
    assert set(screens.client_id) <= set(clients.client_id)


def test_active_caseload_per_counselor_is_about_27(program: Path) -> None:
    staff, truth = read(program, "staff.csv"), read(program, "truth/daily.csv")
    census = len(truth) / DAYS
    per_counselor = census / (staff.role == "counselor").sum()
    assert 20 <= per_counselor <= 36


def test_roster_values(program: Path) -> None:
    clients = read(program, "clients.csv")
    assert set(clients.sex) <= {"male", "female", "other"}
    assert set(clients.checkin_schedule) == {"daily", "weekdays", "weekly"}
    assert (clients.checkin_schedule == "daily").mean() > 0.6
    substances = clients.primary_substance.value_counts()
    assert set(substances.index) <= {
        "cocaine",
        "methamphetamine",
        "amphetamine",
        "alcohol",
        "opioids",
        "cannabis",
    }
    assert substances.index[0] == "cocaine"
    stimulants = clients.primary_substance.isin(["cocaine", "methamphetamine", "amphetamine"])
    assert stimulants.mean() > 0.5

    birth = pd.to_datetime(clients.date_of_birth, format="%Y-%m-%d")
    admitted = pd.to_datetime(clients.admission_date, format="%Y-%m-%d")
    age = (admitted - birth).dt.days / 365.25
    assert age.min() >= 18 and age.max() <= 76
    assert clients.zip.str.fullmatch(r"\d{5}").all()
    assert clients.phone.str.fullmatch(r"(\d{3}-555-\d{4})?").all()
    emails = clients.email[clients.email != ""]
    assert emails.str.fullmatch(r"[a-z0-9.]+@example\.(com|net|org)").all()


def test_every_client_is_enrolled_in_the_window(program: Path) -> None:
    clients = read(program, "clients.csv")
    start = AS_OF - dt.timedelta(days=DAYS - 1)
    admitted = pd.to_datetime(clients.admission_date).dt.date
    discharged = clients.discharge_date[clients.discharge_date != ""]
    discharged = pd.to_datetime(discharged).dt.date
    assert (admitted <= AS_OF).all()
    assert (admitted < start).any() and (admitted >= start).mean() > 0.4
    assert (discharged >= start).all() and (discharged <= AS_OF).all()
    assert (discharged >= admitted[discharged.index]).all()
    outcome = read(program, "truth/clients.csv").set_index("client_id").outcome
    assert {"active", "completed", "dropped_out"} == set(outcome)
    # Only completed and dropped-out clients are discharged, and all completed ones are.
    is_discharged = (clients.discharge_date != "").to_numpy()
    outcomes = outcome[clients.client_id].to_numpy()
    assert not is_discharged[outcomes == "active"].any()
    assert is_discharged[outcomes == "completed"].all()
    # Drop-outs are discharged weeks after the last contact: some already, some not yet.
    assert 0 < is_discharged[outcomes == "dropped_out"].mean() < 1


def test_checkin_values(program: Path) -> None:
    checkins = read(program, "checkins.csv")
    for column, high in (("craving", 10), ("stress", 10), ("mood", 10)):
        given = checkins[column][checkins[column] != ""]
        assert given.str.fullmatch(r"\d{1,2}").all()
        assert given.astype(int).between(0, high).all()
        assert (checkins[column] == "").mean() < 0.03
        assert given.astype(int).nunique() >= 9
    sleep = checkins.sleep_hours[checkins.sleep_hours != ""]
    assert sleep.str.fullmatch(r"\d{1,2}\.\d").all()
    assert sleep.astype(float).between(0, 24).all()
    quality = checkins.sleep_quality[checkins.sleep_quality != ""].astype(int)
    assert quality.between(1, 5).all() and quality.nunique() == 5
    assert set(checkins.used_since_last) == {"yes", "no", ""}
    assert set(checkins.support_contact) <= {"yes", "no", ""}
    assert (checkins.support_contact != "").mean() > 0.97
    listed = {t for value in checkins.triggers if value for t in value.split(";")}
    assert listed == TRIGGERS
    assert (checkins.coping != "").mean() > 0.3
    notes = checkins.note[checkins.note != ""]
    assert 0.03 < len(notes) / len(checkins) < 0.3
    assert notes.str.len().min() > 5


def test_checkin_timestamps(program: Path) -> None:
    clients, programs = read(program, "clients.csv"), read(program, "programs.csv")
    checkins = read(program, "checkins.csv")
    stamps = checkins.submitted_at
    offset = stamps.str.contains(r"(?:Z|[+-]\d\d:\d\d)$")
    assert 0.6 < offset.mean() < 0.95  # mostly explicit offsets, some naive local times
    assert stamps.str.endswith("Z").any()
    local = local_times(checkins, "submitted_at", clients, programs)

    roster = clients.set_index("client_id")
    first = pd.to_datetime(roster.admission_date).dt.date.clip(
        lower=AS_OF - dt.timedelta(days=DAYS - 1)
    )
    last = pd.to_datetime(roster.discharge_date.replace("", AS_OF.isoformat())).dt.date
    dates = pd.Series([t.date() for t in local])
    assert (dates.to_numpy() >= first[checkins.client_id].to_numpy()).all()
    assert (dates.to_numpy() <= last[checkins.client_id].to_numpy()).all()
    assert all(dt.time(6) <= t.time() for t in local)
    # On the as-of day, only what was submitted before the 09:00 export.
    on_as_of = [t for t in local if t.date() == AS_OF]
    assert on_as_of and all(t.time() < dt.time(9) for t in on_as_of)
    # Daylight saving time began on 2026-03-08: offsets change with it.
    east = programs.program_id[programs.time_zone == "America/New_York"].iloc[0]
    east_clients = set(clients.client_id[clients.program_id == east])
    mine = checkins[checkins.client_id.isin(east_clients)].submitted_at
    assert mine.str.endswith("-05:00").any() and mine.str.endswith("-04:00").any()


def test_screens(program: Path) -> None:
    clients, programs = read(program, "clients.csv"), read(program, "programs.csv")
    screens = read(program, "drug_screens.csv")
    assert set(screens.result) <= {"positive", "negative", "dilute", "invalid", "refused"}
    assert {"positive", "negative", "dilute"} <= set(screens.result)
    primary = clients.set_index("client_id").primary_substance
    assert (screens.substance.to_numpy() == primary[screens.client_id].to_numpy()).all()
    local = local_times(screens, "collected_at", clients, programs)
    holidays = {d for y in (2025, 2026) for d in us_holidays(y)}
    assert all(t.weekday() < 5 and t.date() not in holidays for t in local)
    assert all(dt.time(8) <= t.time() < dt.time(17) for t in local)
    # Roughly weekly: screens per enrolled client-week.
    truth = read(program, "truth/daily.csv")
    per_week = len(screens) / (len(truth) / 7)
    assert 0.5 < per_week < 1.2


def test_truth_matches_the_files(program: Path) -> None:
    clients, programs = read(program, "clients.csv"), read(program, "programs.csv")
    checkins, truth = read(program, "checkins.csv"), read(program, "truth/daily.csv")
    assert truth.latent_risk.astype(float).between(0, 1).all()
    for column in (
        "lapse",
        "reported",
        "detected_by_screen",
        "expected",
        "stress_episode",
        "disengaged",
    ):
        assert set(truth[column]) <= {"0", "1"}, column
    dates = pd.to_datetime(truth.date)
    assert dates.max().date() == AS_OF
    assert dates.min().date() == AS_OF - dt.timedelta(days=DAYS - 1)
    assert not truth.duplicated(["client_id", "date"]).any()

    checkins["date"] = [
        t.date().isoformat() for t in local_times(checkins, "submitted_at", clients, programs)
    ]
    counted = checkins.groupby(["client_id", "date"]).size()
    stated = truth.set_index(["client_id", "date"]).checkins.astype(int)
    assert (stated[stated > 0].sort_index() == counted.sort_index()).all()
    assert set(counted.index) <= set(stated.index)  # no check-in outside enrolment

    # Enrolled days run from admission (or the window start) to discharge (or as-of).
    spans = truth.groupby("client_id").date.agg(["min", "max", "size"])
    roster = clients.set_index("client_id")
    start = (AS_OF - dt.timedelta(days=DAYS - 1)).isoformat()
    assert (spans["min"] == roster.admission_date.clip(lower=start)[spans.index]).all()
    ends = roster.discharge_date.replace("", AS_OF.isoformat())[spans.index]
    assert (spans["max"] == ends).all()
    assert len(spans) == len(clients)


def test_as_of_sets_the_last_day_and_no_truth(tmp_path: Path) -> None:
    as_of = dt.date(2026, 11, 27)
    out = tmp_path / "run"
    generate(SynthConfig(out=out, clients=60, days=30, seed=1, as_of=as_of, as_of_time=None))
    truth = read(out, "truth/daily.csv")
    assert truth.date.max() == "2026-11-27" and truth.date.min() == "2026-10-29"
    checkins = read(out, "checkins.csv")
    local = local_times(
        checkins, "submitted_at", read(out, "clients.csv"), read(out, "programs.csv")
    )
    assert max(local).date() == as_of
    assert min(local).date() >= dt.date(2026, 10, 29)
    # --as-of-time 24:00: the whole as-of day is there, evening included.
    assert max(local).time() > dt.time(18)

    # --no-truth writes no truth, and removes a previous run's, so nothing stale is left.
    generate(SynthConfig(out=out, clients=60, days=30, seed=1, as_of=as_of, truth=False))
    assert not any((out / "truth").glob("*"))
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "bam.csv",
        "checkins.csv",
        "clients.csv",
        "drug_screens.csv",
        "programs.csv",
        "staff.csv",
    ]


def test_default_as_of_is_today(tmp_path: Path) -> None:
    result = generate(SynthConfig(out=tmp_path, clients=10, days=5, seed=1))
    assert result.as_of == dt.date.today()
    assert read(tmp_path, "truth/daily.csv").date.max() == dt.date.today().isoformat()


# --------------------------------------------------------------------------- the clinical signal


def test_missed_checkins_are_more_frequent_on_high_risk_days(large: Path) -> None:
    truth = read(large, "truth/daily.csv")
    due = truth[(truth.expected == "1") & (truth.disengaged == "0")]
    missed = due.checkins == "0"
    risk = due.latent_risk.astype(float)
    low, high = missed[risk < risk.quantile(0.2)].mean(), missed[risk > risk.quantile(0.8)].mean()
    assert high > 1.8 * low
    weekend = pd.to_datetime(due.date).dt.day_of_week >= 5
    assert missed[weekend].mean() > missed[~weekend].mean() + 0.03


def test_checkins_fade_before_a_drop_out(large: Path) -> None:
    """In the two weeks after a client starts to drift away, and before contact stops, check-ins
    are missed far more often than the same clients missed them before."""
    truth = read(large, "truth/daily.csv")
    outcome = read(large, "truth/clients.csv").set_index("client_id")
    drift = outcome.disengaged_from[outcome.outcome == "dropped_out"]
    assert len(drift) > 50
    due = truth[(truth.expected == "1") & truth.client_id.isin(drift.index)]
    start = pd.to_datetime(drift[due.client_id].to_numpy())
    days_in = (pd.to_datetime(due.date).to_numpy() - start).days
    missed = (due.checkins == "0").to_numpy()
    before = missed[days_in < 0].mean()
    fading = missed[(days_in >= 0) & (days_in < 14)].mean()
    assert fading > before + 0.2


def test_cues_are_met_more_on_weekends_and_holidays(checkin_days: pd.DataFrame) -> None:
    listed = checkin_days.triggers.str.split(";")
    cues = listed.apply(lambda t: bool(set(t) & (TRIGGERS - {"emotions"})))
    day = pd.to_datetime(checkin_days.date)
    holidays = {d for y in (2025, 2026) for d in us_holidays(y)}
    is_holiday = day.dt.date.isin(holidays)
    is_weekend = (day.dt.day_of_week >= 5) & ~is_holiday
    ordinary = ~is_weekend & ~is_holiday
    assert cues[is_weekend].mean() > cues[ordinary].mean() + 0.05
    assert cues[is_holiday].mean() > cues[ordinary].mean() + 0.05


def test_signals_rise_in_the_days_before_a_lapse(large: Path, checkin_days: pd.DataFrame) -> None:
    """Within each client, craving and stress in the three days before a lapse day are
    higher, and mood lower, than before a day without use: the score can see it coming."""
    values = checkin_days[["client_id", "date", "craving", "stress", "mood"]].copy()
    for column in ("craving", "stress", "mood"):
        values[column] = pd.to_numeric(values[column].replace("", np.nan))
    day = values.groupby(["client_id", "date"]).mean().reset_index()
    signals = ["craving", "stress", "mood"]
    day[signals] -= day.groupby("client_id")[signals].transform("mean")
    day["date"] = pd.to_datetime(day.date)
    shifted = pd.concat(day.assign(date=day.date + pd.Timedelta(days=lag)) for lag in (1, 2, 3))
    before = shifted.groupby(["client_id", "date"])[signals].mean().reset_index()

    truth = read(large, "truth/daily.csv")
    truth["date"] = pd.to_datetime(truth.date)
    joined = truth.merge(before, on=["client_id", "date"])
    means = joined.groupby("lapse")[signals].mean()
    assert (joined.lapse == "1").sum() > 500
    assert means.craving["1"] - means.craving["0"] > 0.6
    assert means.stress["1"] - means.stress["0"] > 0.5
    assert means.mood["0"] - means.mood["1"] > 0.4


def test_use_is_sometimes_disclosed_sometimes_caught_and_sometimes_discordant(
    large: Path, checkin_days: pd.DataFrame
) -> None:
    truth = read(large, "truth/daily.csv")
    lapses = truth[truth.lapse == "1"]
    reported = (lapses.reported == "1").mean()
    detected = (lapses.detected_by_screen == "1").mean()
    assert 0.3 < reported < 0.8
    assert 0.1 < detected < 0.6
    assert ((lapses.reported == "0") & (lapses.detected_by_screen == "0")).any()
    assert (truth[truth.lapse == "0"].reported == "0").all()

    # Discordance: a positive screen while the check-ins of the days before say "no".
    clients, programs = read(large, "clients.csv"), read(large, "programs.csv")
    screens = read(large, "drug_screens.csv")
    screens["date"] = [
        t.date().isoformat() for t in local_times(screens, "collected_at", clients, programs)
    ]
    positive = screens[screens.result == "positive"]
    said = checkin_days.groupby("client_id").apply(
        lambda g: dict(zip(g.date, g.used_since_last, strict=False)), include_groups=False
    )
    discordant = 0
    for client, day in zip(positive.client_id, positive.date, strict=True):
        answers = [
            said.get(client, {}).get(
                (dt.date.fromisoformat(day) - dt.timedelta(days=k)).isoformat()
            )
            for k in range(4)
        ]
        given = [a for a in answers if a]
        if given and all(a == "no" for a in given):
            discordant += 1
    assert discordant >= 10
    # Screens of clients with no use at all are almost never positive.
    clean = set(
        truth.groupby("client_id")
        .lapse.apply(lambda s: (s == "0").all())
        .pipe(lambda s: s[s].index)
    )
    clean_results = screens[screens.client_id.isin(clean)].result
    assert (clean_results == "positive").mean() < 0.02
    assert (screens[~screens.client_id.isin(clean)].result == "positive").mean() > 0.05


def test_risk_does_not_fade_with_time_in_treatment(large: Path) -> None:
    truth = read(large, "truth/daily.csv")
    clients = read(large, "clients.csv").set_index("client_id")
    tenure = (
        pd.to_datetime(truth.date)
        - pd.to_datetime(clients.admission_date[truth.client_id].to_numpy())
    ).dt.days
    risk = truth.latent_risk.astype(float)
    early, late = risk[tenure < 30].mean(), risk[tenure >= 90].mean()
    assert 0.8 < late / early < 1.25


# --------------------------------------------------------------------------- BAM


def test_bam_forms_follow_the_schedule_and_the_latent_state(program: Path) -> None:
    from etl import bam

    clients, programs = read(program, "clients.csv"), read(program, "programs.csv")
    forms, truth = read(program, "bam.csv"), read(program, "truth/daily.csv")
    assert len(forms) > 300 and forms.response_id.is_unique
    answers = forms[list(bam.ITEMS)]
    assert set(answers.to_numpy().ravel()) <= {"0", "1", "2", "3", "4"}
    forms["date"] = [t.date() for t in local_times(forms, "completed_at", clients, programs)]
    admitted = clients.set_index("client_id").admission_date.map(dt.date.fromisoformat)
    forms["tenure"] = [
        (d - admitted[c]).days for d, c in zip(forms.date, forms.client_id, strict=True)
    ]
    # Weekly (7-day recall) in the first four weeks, then the monthly form every 28 days.
    weekly = forms[forms.recall_days == "7"]
    monthly = forms[forms.recall_days == "30"]
    assert set(weekly.tenure) <= {0, 7, 14, 21}
    assert len(monthly) > 0 and (monthly.tenure % 28 == 0).all() and monthly.tenure.min() >= 28
    # Only while enrolled and in contact, never on a day the truth has the client gone.
    truth["date"] = pd.to_datetime(truth.date).dt.date
    day = truth.set_index(["client_id", "date"])
    keys = list(zip(forms.client_id, forms.date, strict=True))
    assert day.index.isin(keys).sum() == len(forms)
    assert (day.loc[keys, "disengaged"] == "0").mean() > 0.9
    # The scales carry the latent risk: Risk up and Protective down with it.
    scored = bam.scores(answers.astype(int).astype("Int64"))
    latent = day.loc[keys, "latent_risk"].astype(float).to_numpy()
    assert np.corrcoef(scored.risk_score.astype(float), latent)[0, 1] > 0.5
    assert np.corrcoef(scored.protective_score.astype(float), latent)[0, 1] < -0.3
    # Use is reported only on forms whose recall period held a lapse.
    used = scored.use_score.astype(int) > 0
    lapses = truth[truth.lapse == "1"]
    lapse_days = set(zip(lapses.client_id, lapses.date, strict=True))
    recall = forms.recall_days.astype(int)
    had_lapse = [
        any((c, d - dt.timedelta(days=k)) in lapse_days for k in range(r))
        for c, d, r in zip(forms.client_id, forms.date, recall, strict=True)
    ]
    assert used.sum() > 0
    assert not (used & ~np.array(had_lapse)).any()
