"""One report: a period's figures beside the previous period's, with what the page and the
workbook show around them (the unit, its population figures, unanswered questions)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy.engine import Engine

from bot import paths
from bot.db import utc_now
from bot.reports.figures import POPULATION, Figures, compute
from bot.reports.periods import Period

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reach:
    label: str
    population: int
    share: float | None  # followers / population


@dataclass
class Report:
    period: Period
    current: Figures
    previous: Figures
    unit_name: str
    department_names: list[str]  # empty: the whole unit
    prepared_at: datetime
    reach: list[Reach] = field(default_factory=list)

    @property
    def whole_unit(self) -> bool:
        return self.current.whole_unit


def build_report(engine: Engine, period: Period, departments: list[str] | None = None,
                 now: datetime | None = None, unit_file: Path | None = None) -> Report:
    now = now or utc_now()
    current = compute(engine, period, departments, now)
    previous = compute(engine, period.previous(), departments, now, with_days=False)
    profile = _unit_file(unit_file or paths.UNIT_FILE)
    report = Report(period, current, previous, str(profile.get("profile", {}).get("unit_name", "UBND")),
                    [d.name for d in current.departments] if departments is not None else [], now)
    if current.whole_unit:
        report.reach = reach(profile.get("population") or {}, current.followers_at_end)
    return report


def reach(population: dict, followers: int | None) -> list[Reach]:
    """The OA's followers against each population figure the unit gave (optional fields)."""
    lines = []
    for key, label in POPULATION.items():
        try:
            count = int(population.get(key) or 0)
        except (TypeError, ValueError):
            logger.warning("data/unit.yml population.%s is not a number: %r", key, population.get(key))
            continue
        if count > 0:
            lines.append(Reach(label, count, followers / count if followers is not None else None))
    return lines


def _unit_file(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        logger.exception("unit profile %s unreadable", path)
        return {}
