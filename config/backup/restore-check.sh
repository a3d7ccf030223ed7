#!/usr/bin/env bash
# Dump the warehouse, restore the dump into a fresh database and compare every table's row
# count: a backup is only known good once it has been restored.
#   config/backup/restore-check.sh postgresql://user:pass@host/caseload [DUMP_FILE]
# Exit 0 and "restore verified: N tables, M rows" when the counts match; 1 naming the first
# table that differs. The scratch database is dropped afterwards.
set -euo pipefail
source_url=${1:?usage: restore-check.sh DATABASE_URL [DUMP_FILE]}
source_url=${source_url/postgresql+psycopg:/postgresql:}  # SQLAlchemy's spelling -> libpq's
dump=${2:-$(mktemp --suffix=.dump)}
scratch="caseload_restore_check_$$"
base=${source_url%/*}
restored="$base/$scratch"

pg_dump --format=custom --no-owner --file="$dump" "$source_url"
psql -q "$base/postgres" -c "CREATE DATABASE \"$scratch\""
trap 'psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)"' EXIT
pg_restore --no-owner --exit-on-error --dbname="$restored" "$dump"

counts() {
  psql -At "$1" <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I.%I', table_name, table_schema, table_name)
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
ORDER BY table_name
\gexec
SQL
}
diff <(counts "$source_url") <(counts "$restored") >/dev/null || {
  echo "restore check FAILED: row counts differ:" >&2
  diff <(counts "$source_url") <(counts "$restored") | head -5 >&2
  exit 1
}
tables=$(counts "$restored" | wc -l)
rows=$(counts "$restored" | awk -F'|' '{s += $2} END {print s}')
echo "restore verified: $tables tables, $rows rows ($dump)"
