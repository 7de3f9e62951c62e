"""Migration 0008 on both databases: each account's single role becomes its role set, and a
downgrade keeps the widest role an account holds."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from tests.conftest import migrate

AT = datetime(2026, 1, 5, tzinfo=timezone.utc)


def test_roles_move_into_their_own_table_and_back(bare_engine):
    migrate(bare_engine, "upgrade", "0007")
    staff = sa.table("staff", *(sa.column(c) for c in ("id", "username", "display_name", "password_hash", "role",
                                                          "active", "created_at")))
    with bare_engine.begin() as conn:
        conn.execute(staff.insert(), [
            {"id": n, "username": name, "display_name": name, "password_hash": "x", "role": role, "active": True,
             "created_at": AT}
            for n, (name, role) in enumerate([("an", "officer"), ("lan", "leader"), ("ha", "editor"), ("qt", "admin")], 1)
        ])

    migrate(bare_engine, "upgrade", "0008")
    with bare_engine.connect() as conn:
        held = set(conn.execute(sa.text("SELECT staff_id, role FROM staff_role")).all())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("staff")}
    assert held == {(1, "officer"), (2, "leader"), (3, "editor"), (4, "admin")}
    assert "role" not in columns

    with bare_engine.begin() as conn:  # the officer also edits, the leader is made admin too
        conn.execute(sa.text("INSERT INTO staff_role (staff_id, role) VALUES (1, 'editor'), (2, 'admin')"))
    migrate(bare_engine, "downgrade", "0007")
    with bare_engine.connect() as conn:
        roles = dict(conn.execute(sa.text("SELECT username, role FROM staff")).all())
        tables = set(sa.inspect(conn).get_table_names())
    assert roles == {"an": "editor", "lan": "admin", "ha": "editor", "qt": "admin"}
    assert "staff_role" not in tables

    migrate(bare_engine, "upgrade", "0008")  # and up again, cleanly
