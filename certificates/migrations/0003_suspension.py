"""Suspension of a certificate: when, why and by whom (cleared on reinstatement).

The suspension status list is a second row of certificates_statuslist (purpose "suspension"),
written on first use; it needs no schema change.
"""


def up(migrator, db):
    table = "certificates_issuedcertificate"
    db.execute_sql(f"ALTER TABLE {table} ADD COLUMN suspended_at TIMESTAMP NULL")
    db.execute_sql(f"ALTER TABLE {table} ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT ''")
    db.execute_sql(
        f"ALTER TABLE {table} ADD COLUMN suspended_by_id INTEGER NULL "
        "REFERENCES lms_user (id) ON DELETE RESTRICT"
    )
    db.execute_sql(f'CREATE INDEX "issuedcertificate_suspended_by_id" ON {table} (suspended_by_id)')
