"""The statements that write the duty tables (plans, linked figures, progress, training, the
register of villages, the funds secured): one per (table, operation), with $1 the district (the
city's store writes as 'city')."""

DUTY_TABLES = ("plans", "plan_steps", "linked_figures", "progress_notes", "progress_problems", "trainings",
               "villages", "budget_allocations")

DUTY_STATEMENTS = {
    ("plans", "draft"): (
        "INSERT INTO plans (district, year, version, status, content, drafted_at)"
        " VALUES ($1, $2, $3, 'draft', $4, $5) ON CONFLICT (district, year) DO UPDATE SET"
        " version = excluded.version, status = 'draft', content = excluded.content,"
        " drafted_at = excluded.drafted_at, submitted_at = NULL, decided_at = NULL, reason = NULL",
        ("year", "version", "content", "drafted_at")),
    ("plans", "step"): (
        "UPDATE plans SET status = $3::text,"
        " submitted_at = CASE WHEN $3::text = 'submitted' THEN $4::timestamptz ELSE submitted_at END,"
        " decided_at = CASE WHEN $3::text = 'submitted' THEN NULL ELSE $4::timestamptz END,"
        " reason = $5::text,"
        " filed_version = CASE WHEN $3::text = 'filed' THEN version ELSE filed_version END,"
        " filed_content = CASE WHEN $3::text = 'filed' THEN content ELSE filed_content END,"
        " filed_at = CASE WHEN $3::text = 'filed' THEN $4::timestamptz ELSE filed_at END"
        " WHERE district = $1 AND year = $2",
        ("year", "status", "at", "reason")),
    ("plan_steps", "insert"): (
        "INSERT INTO plan_steps (district, position, year, version, step, record_id, actor, actor_role, at, reason)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        ("position", "year", "version", "step", "record_id", "actor", "actor_role", "at", "reason")),
    ("projects", "exit"): (
        "UPDATE projects SET exited_on = $3, exit_condition = $4, exit_reason = $5, successor_project = $6,"
        " exit_record = $7 WHERE district = $1 AND project = $2",
        ("project", "exited_on", "exit_condition", "exit_reason", "successor_project", "exit_record")),
    ("linked_figures", "upsert"): (
        "INSERT INTO linked_figures (district, record_id, town, period, name, purchaser, domain, people_served,"
        " person_times, amount, project, collected_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "period", "name", "purchaser", "domain", "people_served", "person_times", "amount",
         "project", "collected_on")),
    ("linked_figures", "delete"): ("DELETE FROM linked_figures WHERE district = $1 AND record_id = $2",
                                   ("record_id",)),
    ("progress_notes", "upsert"): (
        "INSERT INTO progress_notes (district, record_id, town, project, reported_on, period, summary)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "project", "reported_on", "period", "summary")),
    ("progress_notes", "delete"): ("DELETE FROM progress_notes WHERE district = $1 AND record_id = $2",
                                   ("record_id",)),
    ("progress_problems", "upsert"): (
        "INSERT INTO progress_problems (district, record_id, key, town, project, raised_on, description)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district, record_id, key) DO NOTHING",
        ("record_id", "key", "town", "project", "raised_on", "description")),
    ("progress_problems", "delete"): ("DELETE FROM progress_problems WHERE district = $1 AND record_id = $2",
                                      ("record_id",)),
    ("progress_problems", "resolve"): (
        "UPDATE progress_problems SET resolved_on = $4, resolved_by = $5"
        " WHERE district = $1 AND record_id = $2 AND key = $3",
        ("record_id", "key", "resolved_on", "resolved_by")),
    ("trainings", "upsert"): (
        "INSERT INTO trainings (district, record_id, town, town_district, held_on, year, topic, audiences,"
        " attendees, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (district, record_id, town) DO NOTHING",
        ("record_id", "town", "town_district", "held_on", "year", "topic", "audiences", "attendees", "position")),
    ("villages", "upsert"): (
        "INSERT INTO villages (district, record_id, town, village, name, kind, valid_from, valid_to, aliases)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "town", "village", "name", "kind", "valid_from", "valid_to", "aliases")),
    ("villages", "delete"): ("DELETE FROM villages WHERE district = $1 AND record_id = $2", ("record_id",)),
    ("budget_allocations", "upsert"): (
        "INSERT INTO budget_allocations (district, record_id, year, lines, document, allocated_on)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (district, record_id) DO NOTHING",
        ("record_id", "year", "lines", "document", "allocated_on")),
    ("budget_allocations", "delete"): ("DELETE FROM budget_allocations WHERE district = $1 AND record_id = $2",
                                       ("record_id",)),
    ("trainings", "void"): (
        "UPDATE trainings SET voided_at = $3 WHERE district = $1 AND record_id = $2 AND voided_at IS NULL",
        ("record_id", "voided_at")),
}
