"""The warehouse schema: one metadata for the ETL, the dashboard and Alembic.

Layers, named as a warehouse:

* ``dim_*``  conformed dimensions (programs, staff, clients, dates) keyed by surrogate keys, with
  the source's natural id kept unique beside them;
* ``fct_*``  facts at a stated grain (one check-in, one screen, one client-day, one score);
* ``pii_*``  direct identifiers (names, birth date, phone, email, ZIP, free-text notes), kept
  apart so that aggregates and anonymized exports never need to read them;
* ``etl_*``  load bookkeeping: files, quarantined rows, the history of corrections;
* ``app_*``  what the dashboard writes: users, audit log, follow-ups, snoozes, login throttling;
* ``mart_*`` aggregates kept for a page (the Outcomes day marts, the cached model check).

Conventions: ``*_at`` columns hold UTC as naive timestamps (the same on SQLite and PostgreSQL);
``*_date`` columns are calendar dates in the program's time zone; ``is_*``/``has_*`` booleans.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger autoincrement keys become plain INTEGER PRIMARY KEY (rowid) on SQLite.
BigKey = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --------------------------------------------------------------------------- dimensions


class DimProgram(Base):
    __tablename__ = "dim_program"

    program_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DimStaff(Base):
    """Program staff. Staff names are workforce data, not client PHI, so they live here."""

    __tablename__ = "dim_staff"

    staff_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), unique=True)
    program_key: Mapped[int] = mapped_column(ForeignKey("dim_program.program_key"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DimClient(Base):
    """A client on a program's roster: analytic attributes only, identifiers in PiiClient.

    ``birth_year`` and ``zip3`` are the generalised quasi-identifiers that analyses and
    anonymized exports may use; the full birth date and ZIP stay in ``pii_client``.
    """

    __tablename__ = "dim_client"
    __table_args__ = (
        Index("ix_dim_client_counselor_active", "counselor_key", "discharge_date"),
        Index("ix_dim_client_program_active", "program_key", "discharge_date"),
    )

    client_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    program_key: Mapped[int] = mapped_column(ForeignKey("dim_program.program_key"))
    counselor_key: Mapped[int | None] = mapped_column(ForeignKey("dim_staff.staff_key"))
    sex: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    zip3: Mapped[str | None] = mapped_column(String(3))
    admission_date: Mapped[dt.date] = mapped_column(Date)
    discharge_date: Mapped[dt.date | None] = mapped_column(Date)
    primary_substance: Mapped[str | None] = mapped_column(String(64))
    checkin_schedule: Mapped[str] = mapped_column(String(16))
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DimDate(Base):
    """Calendar days, so that day-level facts can be grouped by week, month or holiday."""

    __tablename__ = "dim_date"

    date_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    date: Mapped[dt.date] = mapped_column(Date, unique=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[int] = mapped_column(SmallInteger)
    iso_week: Mapped[int] = mapped_column(SmallInteger)
    day_of_week: Mapped[int] = mapped_column(SmallInteger)  # Monday = 0
    is_weekend: Mapped[bool] = mapped_column(Boolean)
    is_holiday: Mapped[bool] = mapped_column(Boolean)


# --------------------------------------------------------------------------- identifiers


class PiiClient(Base):
    """Direct identifiers of a client. Read only to show a named record to authorised staff."""

    __tablename__ = "pii_client"

    client_key: Mapped[int] = mapped_column(
        ForeignKey("dim_client.client_key", ondelete="CASCADE"), primary_key=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    zip: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))


class PiiCheckinNote(Base):
    """A check-in's free-text note: PHI, never exported, never aggregated."""

    __tablename__ = "pii_checkin_note"

    checkin_key: Mapped[int] = mapped_column(
        ForeignKey("fct_checkin.checkin_key", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str] = mapped_column(Text)


# --------------------------------------------------------------------------- facts


class FctCheckin(Base):
    """One submitted daily check-in (grain: the source's ``checkin_id``).

    Triggers are kept both as the normalised ``;`` list and as one boolean per category, so
    cue exposure can be counted with plain SQL sums.
    """

    __tablename__ = "fct_checkin"
    __table_args__ = (Index("ix_fct_checkin_client_date", "client_key", "local_date"),)

    checkin_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    local_date: Mapped[dt.date] = mapped_column(Date)
    craving: Mapped[int | None] = mapped_column(SmallInteger)
    stress: Mapped[int | None] = mapped_column(SmallInteger)
    mood: Mapped[int | None] = mapped_column(SmallInteger)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    sleep_quality: Mapped[int | None] = mapped_column(SmallInteger)
    used_since_last: Mapped[bool | None] = mapped_column(Boolean)
    triggers: Mapped[str | None] = mapped_column(String(200))
    trigger_people: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_places: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_music: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_routines: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_emotions: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_other: Mapped[bool] = mapped_column(Boolean, default=False)
    support_contact: Mapped[bool | None] = mapped_column(Boolean)
    coping: Mapped[str | None] = mapped_column(String(500))
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class FctDrugScreen(Base):
    """One drug screen result (grain: the source's ``screen_id``)."""

    __tablename__ = "fct_drug_screen"
    __table_args__ = (Index("ix_fct_drug_screen_client_date", "client_key", "local_date"),)

    screen_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    screen_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"))
    collected_at: Mapped[dt.datetime] = mapped_column(DateTime)
    local_date: Mapped[dt.date] = mapped_column(Date)
    substance: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class FctBam(Base):
    """One completed Brief Addiction Monitor form (grain: the source's ``response_id``).

    The 17 answers (item 7 per drug class, ``item_7a`` ... ``item_7g``) are kept as given, 0-4;
    the Use, Risk and Protective sums and their flags are derived on load by ``etl.bam`` so
    every reader sees the same scoring. ``recall_days`` is 30 (monthly form) or 7 (weekly).
    """

    __tablename__ = "fct_bam"
    __table_args__ = (Index("ix_fct_bam_client_date", "client_key", "local_date"),)

    bam_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    response_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"))
    completed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    local_date: Mapped[dt.date] = mapped_column(Date)
    recall_days: Mapped[int] = mapped_column(SmallInteger)
    item_1: Mapped[int | None] = mapped_column(SmallInteger)
    item_2: Mapped[int | None] = mapped_column(SmallInteger)
    item_3: Mapped[int | None] = mapped_column(SmallInteger)
    item_4: Mapped[int | None] = mapped_column(SmallInteger)
    item_5: Mapped[int | None] = mapped_column(SmallInteger)
    item_6: Mapped[int | None] = mapped_column(SmallInteger)
    item_7a: Mapped[int | None] = mapped_column(SmallInteger)
    item_7b: Mapped[int | None] = mapped_column(SmallInteger)
    item_7c: Mapped[int | None] = mapped_column(SmallInteger)
    item_7d: Mapped[int | None] = mapped_column(SmallInteger)
    item_7e: Mapped[int | None] = mapped_column(SmallInteger)
    item_7f: Mapped[int | None] = mapped_column(SmallInteger)
    item_7g: Mapped[int | None] = mapped_column(SmallInteger)
    item_8: Mapped[int | None] = mapped_column(SmallInteger)
    item_9: Mapped[int | None] = mapped_column(SmallInteger)
    item_10: Mapped[int | None] = mapped_column(SmallInteger)
    item_11: Mapped[int | None] = mapped_column(SmallInteger)
    item_12: Mapped[int | None] = mapped_column(SmallInteger)
    item_13: Mapped[int | None] = mapped_column(SmallInteger)
    item_14: Mapped[int | None] = mapped_column(SmallInteger)
    item_15: Mapped[int | None] = mapped_column(SmallInteger)
    item_16: Mapped[int | None] = mapped_column(SmallInteger)
    item_17: Mapped[int | None] = mapped_column(SmallInteger)
    use_score: Mapped[int | None] = mapped_column(SmallInteger)
    risk_score: Mapped[int | None] = mapped_column(SmallInteger)
    protective_score: Mapped[int | None] = mapped_column(SmallInteger)
    is_use_flagged: Mapped[bool | None] = mapped_column(Boolean)
    is_risk_flagged: Mapped[bool | None] = mapped_column(Boolean)
    is_protective_flagged: Mapped[bool | None] = mapped_column(Boolean)
    row_hash: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int | None] = mapped_column(ForeignKey("etl_load.load_id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class FctClientDay(Base):
    """One row per enrolled client per calendar day, check-in or not.

    A missed check-in is a row with ``is_expected`` and not ``is_received``, so adherence and
    disengagement are plain aggregates (``is_missed`` also covers weekly schedules, where the
    one check-in may come on any day of the week). Signal columns hold the day's values (the
    last check-in of the day that answered them) and the derived features the risk engine uses:
    each signal's personal baseline (mean and SD over the trailing 28 days, today excluded),
    its 7-day trend (points per day), days since the last check-in, support contact and use.
    """

    __tablename__ = "fct_client_day"
    __table_args__ = (Index("ix_fct_client_day_date", "date"),)

    client_key: Mapped[int] = mapped_column(
        ForeignKey("dim_client.client_key"), primary_key=True, autoincrement=False
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_expected: Mapped[bool] = mapped_column(Boolean)
    is_received: Mapped[bool] = mapped_column(Boolean)
    checkin_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    craving: Mapped[float | None] = mapped_column(Float)
    stress: Mapped[float | None] = mapped_column(Float)
    mood: Mapped[float | None] = mapped_column(Float)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    sleep_quality: Mapped[float | None] = mapped_column(Float)
    used_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    screen_positive: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    support_contact: Mapped[bool | None] = mapped_column(Boolean)
    missed_streak: Mapped[int] = mapped_column(SmallInteger, default=0)
    adherence_7d: Mapped[float | None] = mapped_column(Float)
    adherence_28d: Mapped[float | None] = mapped_column(Float)
    # Derived features as real columns (not JSON): cheap to bulk-write for millions of
    # client-days and to filter on in SQL. See docs/risk-rules.md for their definitions.
    is_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    days_since_checkin: Mapped[int | None] = mapped_column(SmallInteger)
    days_since_support: Mapped[int | None] = mapped_column(SmallInteger)
    days_since_use: Mapped[int | None] = mapped_column(SmallInteger)
    cue_days_7d: Mapped[int] = mapped_column(SmallInteger, default=0)
    craving_baseline: Mapped[float | None] = mapped_column(Float)
    craving_sd: Mapped[float | None] = mapped_column(Float)
    craving_trend: Mapped[float | None] = mapped_column(Float)
    stress_baseline: Mapped[float | None] = mapped_column(Float)
    stress_sd: Mapped[float | None] = mapped_column(Float)
    stress_trend: Mapped[float | None] = mapped_column(Float)
    mood_baseline: Mapped[float | None] = mapped_column(Float)
    mood_sd: Mapped[float | None] = mapped_column(Float)
    mood_trend: Mapped[float | None] = mapped_column(Float)
    sleep_hours_baseline: Mapped[float | None] = mapped_column(Float)
    sleep_hours_sd: Mapped[float | None] = mapped_column(Float)
    sleep_hours_trend: Mapped[float | None] = mapped_column(Float)
    sleep_quality_baseline: Mapped[float | None] = mapped_column(Float)
    sleep_quality_sd: Mapped[float | None] = mapped_column(Float)
    sleep_quality_trend: Mapped[float | None] = mapped_column(Float)


class FctRiskScore(Base):
    """The daily risk of one active client: score, tier and the ranked reasons behind it.

    ``rule_version`` and ``config_hash`` record exactly which rules and program configuration
    produced the score, so a past ranking can be explained after the rules change.
    """

    __tablename__ = "fct_risk_score"
    __table_args__ = (
        Index("ix_fct_risk_score_date_score", "date", "score"),
        # The newly-high days alone (a few per client a year): the Outcomes follow-up figures.
        Index(
            "ix_fct_risk_score_newly_high",
            "client_key",
            "date",
            postgresql_where=text("is_newly_high"),
            sqlite_where=text("is_newly_high"),
        ),
    )

    client_key: Mapped[int] = mapped_column(
        ForeignKey("dim_client.client_key"), primary_key=True, autoincrement=False
    )
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(16))
    score_change: Mapped[float | None] = mapped_column(Float)
    is_newly_high: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(32))
    config_hash: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --------------------------------------------------------------------------- load bookkeeping


class EtlLoad(Base):
    """One ingested file: what it was, when, and how its rows were counted."""

    __tablename__ = "etl_load"
    __table_args__ = (Index("ix_etl_load_sha256", "sha256"),)

    load_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # running | loaded | failed
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)


class EtlQuarantine(Base):
    """A rejected row, kept whole so that it can be fixed or retried, never silently lost."""

    __tablename__ = "etl_quarantine"
    __table_args__ = (Index("ix_etl_quarantine_status_kind", "status", "kind"),)

    quarantine_id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("etl_load.load_id"), index=True)
    path: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(32))
    line: Mapped[int | None] = mapped_column(Integer)  # None: a JSON path locates it
    json_path: Mapped[str | None] = mapped_column(String(500))
    column_name: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    raw: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | loaded
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class EtlRefreshPending(Base):
    """Clients a committed load changed whose risk refresh has not run yet (``run-ingest``).

    Written in the file's own data transaction, removed once the refresh committed: a run
    killed between its loads and its refresh leaves the work here for the next run, which a
    reloaded, unchanged file could no longer tell it."""

    __tablename__ = "etl_refresh_pending"

    client_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_date: Mapped[dt.date] = mapped_column(Date)


class EtlRecordHistory(Base):
    """What a correction changed: the record's natural id and each field's old and new value."""

    __tablename__ = "etl_record_history"
    __table_args__ = (Index("ix_etl_record_history_record", "table_name", "natural_id"),)

    history_id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    natural_id: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int] = mapped_column(ForeignKey("etl_load.load_id"))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    changes: Mapped[dict] = mapped_column(JSON)


class FhirPatientLink(Base):
    """Which client a FHIR Patient's logical id named, so later files may say ``Patient/<id>``
    without sending the Patient again. The newest load that named the id wins."""

    __tablename__ = "fhir_patient_link"

    fhir_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    load_id: Mapped[int] = mapped_column(ForeignKey("etl_load.load_id"))


# --------------------------------------------------------------------------- application


class AppUser(Base):
    """A dashboard login. ``session_epoch`` is bumped on logout, password change and disable,
    so a copied session cookie stops working everywhere at once."""

    __tablename__ = "app_user"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # counselor | supervisor | admin
    staff_key: Mapped[int | None] = mapped_column(ForeignKey("dim_staff.staff_key"))
    program_key: Mapped[int | None] = mapped_column(ForeignKey("dim_program.program_key"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set by an administrator's reset (a temporary password): the owner must choose a new one
    # before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class AppLoginThrottle(Base):
    """Sign-in attempt counters shared by every worker, one row per throttled key.

    A key is a keyed hash of the account and address together, of the account alone or of the
    address alone (``dashboard.auth.throttle``); never the typed name or the address in clear.
    ``attempts`` counts the attempts of the current window that were let through to a password
    check (failures, and checks still running); ``refused`` counts the requests the throttle
    turned away without one. ``last_success_at`` on an account-and-address row marks the address
    the owner usually signs in from.
    """

    __tablename__ = "app_login_throttle"
    __table_args__ = (Index("ix_app_login_throttle_window_started_at", "window_started_at"),)

    throttle_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AppAuditLog(Base):
    """Append-only access log. Each row carries the hash of the previous one, so an edit or a
    deletion anywhere breaks the chain and is detected. Never holds PHI values."""

    __tablename__ = "app_audit_log"
    __table_args__ = (Index("ix_app_audit_log_occurred_at", "occurred_at"),)

    event_id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(20))
    program_key: Mapped[int | None] = mapped_column(Integer)
    session_ref: Mapped[str | None] = mapped_column(String(64))
    source_address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    route: Mapped[str | None] = mapped_column(String(200))
    client_keys: Mapped[list | None] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AppFollowup(Base):
    """A staff contact with a client, linked to the day's risk flag it answered."""

    __tablename__ = "app_followup"
    __table_args__ = (Index("ix_app_followup_client_at", "client_key", "contacted_at"),)

    followup_id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.user_id"))
    contacted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    method: Mapped[str] = mapped_column(String(16))  # call | text | in_person | no_answer
    outcome: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    risk_date: Mapped[dt.date | None] = mapped_column(Date)
    risk_score: Mapped[float | None] = mapped_column(Float)
    risk_tier: Mapped[str | None] = mapped_column(String(16))


class AppSnooze(Base):
    """A counselor's decision to hold a client's flag until a date, linked to the flag it held."""

    __tablename__ = "app_snooze"
    __table_args__ = (Index("ix_app_snooze_client_until", "client_key", "until_date"),)

    snooze_id: Mapped[int] = mapped_column(BigKey, primary_key=True)
    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.user_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    until_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    risk_date: Mapped[dt.date | None] = mapped_column(Date)
    risk_tier: Mapped[str | None] = mapped_column(String(16))
    # Undone ("undo snooze"): when and by whom. The row stays; Today ignores lifted snoozes.
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.user_id"))


# --------------------------------------------------------------------------- marts


class MartModelCheck(Base):
    """The Outcomes page's model check of one program, kept per day it was computed for:
    the bootstrap takes seconds to minutes on a large program, so it runs once a day per
    program and period and every later view reads this row. Aggregates only."""

    __tablename__ = "mart_model_check"

    program_key: Mapped[int] = mapped_column(
        ForeignKey("dim_program.program_key"), primary_key=True, autoincrement=False
    )
    computed_for: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    period_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    period_to: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seconds: Mapped[float] = mapped_column(Float)
    result: Mapped[dict] = mapped_column(JSON)


class MartOutcomesDay(Base):
    """The Outcomes page's day figures, summed per program, counselor and day (grain: one row
    per program, counselor of the client's current caseload, day).

    Settled expected and met check-ins exactly as ``fct_client_day`` counts them, client-days
    answering ``used_since_last`` and those abstinent, scored client-days per tier and the
    newly-high days. A period's figure is a sum of days, so any period (not only whole weeks)
    reads a few hundred rows instead of every client-day; the counselor filter and the
    counselor table read the same rows per counselor. Written by the risk refresh
    (``etl.marts``) in its own transaction, so it is never older than the scores."""

    __tablename__ = "mart_outcomes_day"
    __table_args__ = (Index("ix_mart_outcomes_day_program_date", "program_key", "date"),)

    row_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    program_key: Mapped[int] = mapped_column(ForeignKey("dim_program.program_key"))
    counselor_key: Mapped[int | None] = mapped_column(ForeignKey("dim_staff.staff_key"))
    date: Mapped[dt.date] = mapped_column(Date)
    expected: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    answered_days: Mapped[int] = mapped_column(Integer, default=0)
    abstinent_days: Mapped[int] = mapped_column(Integer, default=0)
    scored_low: Mapped[int] = mapped_column(Integer, default=0)
    scored_moderate: Mapped[int] = mapped_column(Integer, default=0)
    scored_high: Mapped[int] = mapped_column(Integer, default=0)
    scored_critical: Mapped[int] = mapped_column(Integer, default=0)
    newly_high: Mapped[int] = mapped_column(Integer, default=0)
    # Sleep & stress trends: the day's answered hours and stress levels, summed and counted
    # (a week's mean is a sum over a count, whatever the period).
    sleep_hours_sum: Mapped[float] = mapped_column(Float, default=0.0)
    sleep_answers: Mapped[int] = mapped_column(Integer, default=0)
    stress_sum: Mapped[float] = mapped_column(Float, default=0.0)
    stress_answers: Mapped[int] = mapped_column(Integer, default=0)


class MartScreenDay(Base):
    """Drug screens collected per program, counselor, day, substance and result."""

    __tablename__ = "mart_screen_day"
    __table_args__ = (Index("ix_mart_screen_day_program_date", "program_key", "date"),)

    row_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    program_key: Mapped[int] = mapped_column(ForeignKey("dim_program.program_key"))
    counselor_key: Mapped[int | None] = mapped_column(ForeignKey("dim_staff.staff_key"))
    date: Mapped[dt.date] = mapped_column(Date)
    substance: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
    screens: Mapped[int] = mapped_column(Integer)


class MartOutcomesReach(Base):
    """How many different clients a figure rests on, for any period, from day rows.

    For each measure (``adherence``: a settled expected check-in; ``abstinence``: a day
    answering ``used_since_last``; ``screen``: a day with a screen, overall (``substance`` is
    ``''``) and per substance) a client's days with it are chained to the client's previous
    such day (``prev_date``, ``NULL`` for the first). The clients behind a period ``s..e`` are
    then ``sum(clients)`` over the rows of ``s..e`` whose ``prev_date`` is before ``s`` or
    ``NULL``: each client's first day of the period, exactly once. A distinct count over
    client-days would otherwise read every client-day of the period."""

    __tablename__ = "mart_outcomes_reach"
    __table_args__ = (Index("ix_mart_outcomes_reach_program_date", "program_key", "date"),)

    row_key: Mapped[int] = mapped_column(BigKey, primary_key=True)
    program_key: Mapped[int] = mapped_column(ForeignKey("dim_program.program_key"))
    counselor_key: Mapped[int | None] = mapped_column(ForeignKey("dim_staff.staff_key"))
    measure: Mapped[str] = mapped_column(String(16))
    substance: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    prev_date: Mapped[dt.date | None] = mapped_column(Date)
    clients: Mapped[int] = mapped_column(Integer)


class ExportPseudonym(Base):
    """The program's link from a client to the random pseudonym its de-identified exports use.

    Pseudonyms come from ``secrets``, never from the client's data, so the export alone cannot
    be linked back; only the program, holding this table, can. Rows exist only for clients the
    program asked to keep stable across exports."""

    __tablename__ = "export_pseudonym"

    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ExportDateShift(Base):
    """The secret per-client date offset of Expert Determination exports, held by the program.

    Drawn once with ``secrets`` (never from the client's data) and reused, so every export in
    that mode shifts one client's dates by the same number of days and intervals survive;
    the recipient never sees this table."""

    __tablename__ = "export_date_shift"

    client_key: Mapped[int] = mapped_column(ForeignKey("dim_client.client_key"), primary_key=True)
    offset_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
