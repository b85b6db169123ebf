"""Who placed a "Training completion" in a course: completions the LMS reports are recorded in
their name (and refused once they may no longer record the training)."""


def up(migrator, db):
    db.execute_sql(
        "ALTER TABLE lti_context ADD COLUMN bound_by_id INTEGER NULL "
        "REFERENCES lms_user (id) ON DELETE SET NULL"
    )
    db.execute_sql('CREATE INDEX "context_bound_by_id" ON lti_context (bound_by_id)')
