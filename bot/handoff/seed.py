"""The departments seed file (data/departments.yml), read without a database.

The file seeds a fresh database (`departments.seed_departments`); after that the departments
table, which admins edit, is the truth and code holding an engine asks `Departments`. Only
pure code that runs without a database (the decision, classification, training and data
checks) reads names and the general queue from here: the offline fallback.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import paths


def read_seed(path: Path = paths.DEPARTMENTS_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _cached(path: Path) -> dict[str, Any]:
    return read_seed(path)


def seed_general_queue(path: Path = paths.DEPARTMENTS_FILE) -> str:
    """The code of the department that receives every request without a topic, as seeded.

    Offline fallback only: with a database, `Departments.general_queue()` answers (an admin's
    table wins)."""
    data = _cached(path)
    return str(data.get("general_queue") or next(iter(data["departments"])))


def seed_department_names(path: Path = paths.DEPARTMENTS_FILE) -> dict[str, str]:
    """Code -> name as seeded: the offline fallback, like `seed_general_queue`."""
    data = _cached(path)
    defaults = data.get("defaults") or {}
    return {code: str({**defaults, **(item or {})}["name"]) for code, item in data["departments"].items()}
