#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on loopback; its URL is in BIENESTAR_TEST_PG_URL.
#   tools/with_postgres.sh python3 -m pytest tests/test_api_roles.py
# Needs Debian's postgresql package (initdb, pg_ctl). As root, the server runs as the 'postgres' user.
set -euo pipefail
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
[ -x "$PGBIN/initdb" ] || { echo "with_postgres: initdb not found (apt-get install postgresql)" >&2; exit 2; }
DIR=$(mktemp -d /tmp/bienestar-pg-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AS=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$DIR"; AS=(runuser -u postgres --); fi
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" start >/dev/null
stop() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap stop EXIT
export BIENESTAR_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with_postgres: PostgreSQL on 127.0.0.1:$PORT" >&2
"$@"
