#!/bin/sh
# The reference stack's roles and database (stack/components/postgres/server.py), for stack/compose.yml. The postgres
# image runs this once, on an empty data directory; the passwords come from the container's environment.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v app_password="$OPSGATE_PG_PASSWORD" -v monitor_password="$OPSGATE_PG_MONITOR_PASSWORD" <<'SQL'
CREATE ROLE app LOGIN PASSWORD :'app_password';
-- all the gate's db suite needs: read-only monitoring
CREATE ROLE monitor LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor, pg_read_all_data;
CREATE DATABASE app OWNER app;
\connect app
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SQL
