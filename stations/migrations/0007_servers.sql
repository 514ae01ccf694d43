-- Which PostgreSQL server holds a district: its event store, its report rows, its checkpoints.
-- A district with no row here lives on the service's own database (DATABASE_URL). The server is
-- a postgresql:// URL; keep passwords out of it (a ~/.pgpass or PGPASSFILE instead), and
-- out of the reader's sight: stations_reader is granted nothing here.
CREATE TABLE tenants.placements (
    district   text PRIMARY KEY CHECK (district ~ '^[0-9]{6}$'),
    server     text NOT NULL CHECK (server ~ '^postgres(ql)?://'),
    placed_at  timestamptz NOT NULL DEFAULT now()
);

-- The head (last position) of each named store's log, in one round trip: the projection
-- worker's sweep and the readiness check ask it of every store, and a UNION of hundreds of
-- per-table queries takes the planner seconds where this takes milliseconds per store.
CREATE FUNCTION eventstore.heads(stores text[]) RETURNS TABLE (store text, head bigint)
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY stores LOOP
        store := s;
        EXECUTE format('SELECT coalesce(max(position), 0) FROM eventstore.%I', 'd' || s || '_chain') INTO head;
        RETURN NEXT;
    END LOOP;
END
$$;
