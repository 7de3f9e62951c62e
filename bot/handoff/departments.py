"""Departments and holidays: seeded from data/departments.yml into a fresh database, then the
table is the one truth (admins edit it). The seed file is read again only by code that has no
database (bot/handoff/seed.py: the offline fallback)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot import paths
from bot.db import department, holiday
from bot.handoff.audit import audit
from bot.handoff.errors import NameRequired, NoWorkingTime, ResponseHoursOutOfRange, UnknownDepartment
from bot.handoff.office_hours import OfficeHours, format_days, format_periods, parse_days, parse_periods
from bot.handoff.staff import Staff
from bot.handoff.seed import read_seed, seed_department_names, seed_general_queue  # noqa: F401  (re-exported)
from bot.handoff.transactions import reading, writing

MAX_RESPONSE_HOURS = 200


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    hours: OfficeHours
    response_time: timedelta
    canned_replies: tuple[CannedReply, ...]
    is_general_queue: bool = False

    @property
    def working_days(self) -> str:
        return format_days(self.hours.working_days)

    @property
    def working_periods(self) -> str:
        return format_periods(self.hours.periods)


def seed_departments(connection: Connection, path: Path = paths.DEPARTMENTS_FILE) -> int:
    """Insert the file's departments and holidays missing from the database; returns how many.

    Idempotent: a department or holiday already there (maybe edited by an admin) is left alone.
    """
    data = read_seed(path)
    defaults: dict[str, Any] = data.get("defaults") or {}
    existing = set(connection.execute(select(department.c.code)).scalars())
    added = 0
    for position, (code, item) in enumerate(data["departments"].items()):
        if code in existing:
            continue
        values = {**defaults, **(item or {})}
        parse_days(str(values["working_days"]))
        parse_periods(str(values["working_periods"]))
        connection.execute(insert(department).values(
            code=code, name=str(values["name"]), working_days=str(values["working_days"]),
            working_periods=str(values["working_periods"]), response_hours=float(values["response_hours"]),
            canned_replies=json.dumps(values.get("canned_replies") or [], ensure_ascii=False),
            is_general_queue=code == data.get("general_queue"), position=position,
        ))
        added += 1
    known_days = set(connection.execute(select(holiday.c.day)).scalars())
    for day, name in (data.get("holidays") or {}).items():
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        if day not in known_days:
            connection.execute(insert(holiday).values(day=day, name=str(name)))
            added += 1
    return added


class Departments:
    """The departments table, the one truth after seeding: read by the bot, the inbox and the
    admin pages; changed by admins through `update_department` and the holiday methods, each
    audited in the change's own transaction. `conn=`: run inside the caller's transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self, conn: Connection | None = None) -> list[Department]:
        with reading(self.engine, conn) as db:
            holidays = frozenset(db.execute(select(holiday.c.day)).scalars())
            rows = db.execute(select(department).order_by(department.c.position, department.c.code)).mappings().all()
        return [_department(row, holidays) for row in rows]

    def by_code(self, conn: Connection | None = None) -> dict[str, Department]:
        return {d.code: d for d in self.all(conn)}

    def get(self, code: str, conn: Connection | None = None) -> Department | None:
        return self.by_code(conn).get(code)

    def general_queue(self, conn: Connection | None = None) -> Department:
        """The department flagged as the general queue: it receives every request without a topic."""
        return general_queue_of(self.all(conn))

    def names(self, conn: Connection | None = None) -> dict[str, str]:
        return {d.code: d.name for d in self.all(conn)}

    def holidays(self, conn: Connection | None = None) -> list[tuple[date, str]]:
        with reading(self.engine, conn) as db:
            return [(r.day, r.name) for r in db.execute(select(holiday).order_by(holiday.c.day))]

    def update_department(self, code: str, name: str, working_days: str, working_periods: str,
                          response_hours: float, canned_replies: list[CannedReply], by: Staff | None = None,
                          conn: Connection | None = None) -> None:
        """Checked first: a bad value raises a DepartmentError and nothing is changed."""
        if not name.strip():
            raise NameRequired()
        if not 0 < response_hours <= MAX_RESPONSE_HOURS:
            raise ResponseHoursOutOfRange(MAX_RESPONSE_HOURS)
        days, periods = parse_days(working_days), parse_periods(working_periods)
        if not days or not periods:
            raise NoWorkingTime()
        with writing(self.engine, conn) as db:
            changed = db.execute(update(department).where(department.c.code == code).values(
                name=name.strip(), working_days=format_days(days), working_periods=format_periods(periods),
                response_hours=response_hours,
                canned_replies=json.dumps([{"title": c.title, "text": c.text} for c in canned_replies], ensure_ascii=False),
            )).rowcount
            if not changed:
                raise UnknownDepartment(code)
            _audit(db, by, "department.update", f"{code}: {name.strip()}; ngày {format_days(days)}; "
                   f"{format_periods(periods)}; {response_hours:g} giờ; {len(canned_replies)} câu mẫu")

    def add_holiday(self, day: date, name: str, by: Staff | None = None, conn: Connection | None = None) -> None:
        name = name.strip() or "Ngày nghỉ"
        with writing(self.engine, conn) as db:
            db.execute(delete(holiday).where(holiday.c.day == day))
            db.execute(insert(holiday).values(day=day, name=name))
            _audit(db, by, "holiday.add", f"{day:%d/%m/%Y}: {name}")

    def remove_holiday(self, day: date, by: Staff | None = None, conn: Connection | None = None) -> bool:
        """False: there was no such holiday (nothing changed, nothing audited)."""
        with writing(self.engine, conn) as db:
            name = db.execute(select(holiday.c.name).where(holiday.c.day == day)).scalar_one_or_none()
            if name is None:
                return False
            db.execute(delete(holiday).where(holiday.c.day == day))
            _audit(db, by, "holiday.remove", f"{day:%d/%m/%Y}: {name}")
        return True


def general_queue_of(departments: list[Department]) -> Department:
    """The flagged department; a table with none flagged (never seeded so) falls back to the first."""
    return next((d for d in departments if d.is_general_queue), departments[0])


def _audit(conn: Connection, by: Staff | None, action: str, detail: str) -> None:
    audit(conn, by.id if by else None, by.username if by else "cli", action, detail=detail)


def _department(row: Any, holidays: frozenset[date]) -> Department:
    return Department(
        code=row["code"], name=row["name"],
        hours=OfficeHours(parse_days(row["working_days"]), parse_periods(row["working_periods"]), holidays),
        response_time=timedelta(hours=float(row["response_hours"])),
        canned_replies=tuple(CannedReply(str(c["title"]), str(c["text"])) for c in json.loads(row["canned_replies"] or "[]")),
        is_general_queue=bool(row["is_general_queue"]),
    )
