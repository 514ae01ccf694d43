-- After every migration run: each table of the service's schemas owned by stations_owner, with the
-- writer's grants and FORCEd row-level security (migration 0021; not there yet when migrating to
-- an earlier one).
DO $$
BEGIN
    IF to_regprocedure('stations_guard.settle()') IS NOT NULL THEN
        PERFORM stations_guard.settle();
    END IF;
END
$$;
