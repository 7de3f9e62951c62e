"""Departments and holidays: seeded from data/departments.yml, then kept in the database."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot import paths
from bot.db import department, holiday
from bot.handoff.office_hours import OfficeHours, format_days, format_periods, parse_days, parse_periods


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
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    """Read access for the bot and the inbox; admins' edits go through `update_department`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[Department]:
        with self.engine.connect() as conn:
            holidays = frozenset(conn.execute(select(holiday.c.day)).scalars())
            rows = conn.execute(select(department).order_by(department.c.position, department.c.code)).mappings().all()
        return [_department(row, holidays) for row in rows]

    def by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.all()}

    def get(self, code: str) -> Department | None:
        return self.by_code().get(code)

    def general_queue(self) -> Department:
        departments = self.all()
        return next((d for d in departments if d.is_general_queue), departments[0])

    def holidays(self) -> list[tuple[date, str]]:
        with self.engine.connect() as conn:
            return [(r.day, r.name) for r in conn.execute(select(holiday).order_by(holiday.c.day))]

    def update_department(self, code: str, name: str, working_days: str, working_periods: str,
                          response_hours: float, canned_replies: list[CannedReply]) -> None:
        """Checked first: a bad value raises ValueError (in Vietnamese) and nothing is changed."""
        if not name.strip():
            raise ValueError("tên bộ phận không được để trống")
        if not 0 < response_hours <= 200:
            raise ValueError("thời hạn trả lời phải lớn hơn 0 và không quá 200 giờ làm việc")
        days, periods = parse_days(working_days), parse_periods(working_periods)
        if not days or not periods:
            raise ValueError("bộ phận phải có ít nhất một ngày và một khung giờ làm việc")
        with self.engine.begin() as conn:
            conn.execute(update(department).where(department.c.code == code).values(
                name=name.strip(), working_days=format_days(days), working_periods=format_periods(periods),
                response_hours=response_hours,
                canned_replies=json.dumps([{"title": c.title, "text": c.text} for c in canned_replies], ensure_ascii=False),
            ))

    def add_holiday(self, day: date, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(holiday).where(holiday.c.day == day))
            conn.execute(insert(holiday).values(day=day, name=name.strip() or "Ngày nghỉ"))

    def remove_holiday(self, day: date) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(holiday).where(holiday.c.day == day))


def _department(row: Any, holidays: frozenset[date]) -> Department:
    return Department(
        code=row["code"], name=row["name"],
        hours=OfficeHours(parse_days(row["working_days"]), parse_periods(row["working_periods"]), holidays),
        response_time=timedelta(hours=float(row["response_hours"])),
        canned_replies=tuple(CannedReply(str(c["title"]), str(c["text"])) for c in json.loads(row["canned_replies"] or "[]")),
        is_general_queue=bool(row["is_general_queue"]),
    )
