#!/usr/bin/env bash
# Rehearse point-in-time recovery on a throwaway cluster: archive WAL as docs/deploy.md says,
# take a base backup, write rows, note a target time, then a "bad load" (more rows, some
# deleted), and recover the base backup to the target. A WAL archive is only known good once
# it has been replayed.
#   config/backup/pitr-rehearsal.sh WORKDIR
# WORKDIR must not exist yet (or be empty) and is removed on exit, with both clusters stopped.
# CASELOAD_PYTHON=.venv/bin/python rehearses on the real schema (alembic upgrade head) and
# audit log, and also checks the restored chain against the head published at the target;
# without it the rows go into a plain table. Exit 0 and "pitr verified: N ... rows at TARGET"
# when the restored cluster holds exactly the rows written before the target; 1 naming what
# differs. As root, PostgreSQL runs as the postgres user.
set -euo pipefail
work=${1:?usage: pitr-rehearsal.sh WORKDIR}
[[ $work == /* ]] || work="$PWD/$work"
[[ $work =~ ^[A-Za-z0-9/._-]+$ ]] || { echo "WORKDIR: letters, digits, / . _ - only" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
bin=/usr/lib/postgresql/$version/bin
before=40 after=15 deleted=5 # rows before the target; the bad load's inserts and deletes

die() { echo "pitr rehearsal FAILED: $*" >&2; exit 1; }
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
sql() { "$bin/psql" -XAt -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"; }

mkdir -p "$work" && rmdir "$work" && mkdir -m 700 "$work" "$work/wal" "$work/run"
cleanup() {
  local rc=$? dir
  ((rc == 0)) || tail -n 5 "$work"/run/{source,restored}.log >&2 2>/dev/null || :
  for dir in "$work/restored" "$work/source"; do
    [[ ! -f $dir/postmaster.pid ]] || as_pg "$bin/pg_ctl" -D "$dir" -m immediate stop &>/dev/null ||
      echo "could not stop the cluster in $dir" >&2
  done
  rm -rf "$work"
}
trap cleanup EXIT
((EUID != 0)) || chown -R postgres: "$work"
cd "$work"

free_port() {
  local port
  for _ in {1..50}; do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  die "no free port"
}
start() { # DATADIR NAME: start on a free port (retried if another run took it), set $port
  for _ in 1 2 3; do
    port=$(free_port)
    as_pg "$bin/pg_ctl" -D "$1" -l "run/$2.log" -o "-p $port" -w -t 60 start >/dev/null && return
    tail -n 3 "run/$2.log" | grep -q 'could not bind' || break
  done
  die "$2 cluster did not start (run/$2.log above)"
}

PGPASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export PGPASSWORD
echo "$PGPASSWORD" >run/pw
as_pg "$bin/initdb" -D source -U postgres -A scram-sha-256 --pwfile=run/pw -E UTF8 --locale=C -N \
  >run/initdb.log
rm run/pw
cat >>source/postgresql.conf <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $work/wal/%f && cp %p $work/wal/%f'
CONF
start source source && src=$port

# The base backup comes first, so recovery replays the schema as well as the rows.
as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$src" -U postgres -D base -Ft -z -X fetch -c fast
if [[ -n ${CASELOAD_PYTHON:-} ]]; then
  table=app_audit_log
  caseload() { # PORT init|append N (prints the audit head) or PORT verify HEAD
    local url="postgresql://postgres:$PGPASSWORD@127.0.0.1:$1/postgres"
    (cd "$repo" && "$CASELOAD_PYTHON" - "$url" "${@:2}") <<'PY'
import sys

from etl.audit import Actor, append_rows, event_row, parse_head, verify
from etl.db import make_engine
from etl.migrate import upgrade

url, command, arg = sys.argv[1:]
engine = make_engine(url)
if command == "verify":
    result = verify(engine, published_head=parse_head(arg))
    print(result.message())
    sys.exit(0 if result.ok else 1)
if command == "init":
    upgrade(engine)
actor = Actor(username="pitr-rehearsal")
with engine.begin() as conn:
    rows = append_rows(conn, [event_row(action="view", actor=actor) for _ in range(int(arg))])
print(f"{rows[-1]['event_id']}:{rows[-1]['row_hash']}")
PY
  }
  published=$(caseload "$src" init "$before")
  append() { caseload "$src" append "$1" >/dev/null; }
else
  table=pitr_rehearsal
  sql "$src" "CREATE TABLE $table (event_id bigint PRIMARY KEY, at timestamptz DEFAULT now())" \
    >/dev/null
  append() {
    sql "$src" "INSERT INTO $table (event_id) SELECT last + g FROM generate_series(1, $1) g,
      (SELECT coalesce(max(event_id), 0) AS last FROM $table) t" >/dev/null
  }
  append "$before"
fi
target=$(sql "$src" "SELECT clock_timestamp()")

# The bad load: rows that must not come back, and rows that must. Deleting bypasses the audit
# log's append-only triggers, as only a superuser could.
append "$after"
sql "$src" "SET session_replication_role = replica; DELETE FROM $table WHERE event_id <= $deleted" \
  >/dev/null
segment=$(sql "$src" "SELECT pg_walfile_name(pg_switch_wal())")
for _ in {1..100}; do
  [[ $(sql "$src" "SELECT last_archived_wal >= '$segment' FROM pg_stat_archiver") == t ]] && break
  sleep 0.1
done
[[ -f wal/$segment ]] || die "WAL segment $segment was not archived"

mkdir -m 700 restored
((EUID != 0)) || chown postgres: restored
as_pg tar -xzf base/base.tar.gz -C restored
cat >>restored/postgresql.auto.conf <<CONF
restore_command = 'cp $work/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
archive_mode = off
CONF
as_pg touch restored/recovery.signal
start restored restored && dst=$port
for _ in {1..100}; do
  [[ $(sql "$dst" "SELECT pg_is_in_recovery()") == f ]] && break
  sleep 0.1
done
[[ $(sql "$dst" "SELECT pg_is_in_recovery()") == f ]] || die "restored cluster was not promoted"

counts="SELECT count(*) || ' rows, ids ' || min(event_id) || '..' || max(event_id) FROM $table"
want="$before rows, ids 1..$before"
got=$(sql "$dst" "$counts" 2>&1) || :
[[ $got == "$want" ]] || die "restored $table has $got, expected $want (target $target)"
chain=
if [[ $table == app_audit_log ]]; then
  chain="; $(caseload "$dst" verify "$published")" || die "restored audit log: ${chain#; }"
fi
echo "pitr verified: $before $table rows at $target (source after the bad load:" \
  "$(sql "$src" "$counts"); $(ls wal | wc -l) WAL files archived$chain; ${SECONDS}s)"
