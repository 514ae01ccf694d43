-- `eventstore.heads` leaves out a store whose chain table is not on this server: a district
-- moved to another server (its tables dropped here) while a caller still held its name. The
-- projection worker's sweep failed on such a name and stopped for good, and readiness answered 500.
CREATE OR REPLACE FUNCTION eventstore.heads(stores text[]) RETURNS TABLE (store text, head bigint)
    LANGUAGE plpgsql STABLE
    AS $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY stores LOOP
        CONTINUE WHEN to_regclass(format('eventstore.%I', 'd' || s || '_chain')) IS NULL;
        store := s;
        EXECUTE format('SELECT coalesce(max(position), 0) FROM eventstore.%I', 'd' || s || '_chain') INTO head;
        RETURN NEXT;
    END LOOP;
END
$$;
