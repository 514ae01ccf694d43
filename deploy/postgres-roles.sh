#!/bin/sh
# Run once by the postgres image when it makes its data directory: the login the API and the worker
# use, and the login of the API's scoped reads (row-level security binds it; docs/database-roles.md). `stations migrate` (the compose service `migrate`, as the superuser) makes the other roles,
# hands every table to stations_owner and grants this one what it may do (docs/database-roles.md).
set -e
psql -v ON_ERROR_STOP=1 -v password="$STATIONS_WRITER_PASSWORD" -v reader_password="$STATIONS_READER_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE stations_writer LOGIN PASSWORD :'password';
CREATE ROLE stations_reader LOGIN PASSWORD :'reader_password';
SQL
