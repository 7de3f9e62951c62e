"""Run-time settings read from the environment, with defaults that need nothing installed."""
from __future__ import annotations

import os
from pathlib import Path

from bot import paths


def database_url() -> str:
    """DATABASE_URL, or the SQLite file var/bot.db (created on first use, 0600)."""
    var = private_var()
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    database = var / "bot.db"
    if database not in _secured:
        # Created by us rather than SQLite, which would follow the umask; its -wal and -shm take its mode.
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        database.chmod(0o600)
        _secured.add(database)
    return f"sqlite:///{database}"


def private_var() -> Path:
    """var/ readable by the service's own user only: 0700, the database files and logs in it 0600.

    They hold citizens' messages and names (Nghị định 13/2023/NĐ-CP); a umask of 022 would have
    left them readable by every account on the machine. Checked once per process.
    """
    var = paths.VAR
    if var in _secured:
        return var
    var.mkdir(mode=0o700, exist_ok=True)
    var.chmod(0o700)
    for path in [*var.glob("bot.db*"), *var.glob("*.log")]:
        path.chmod(0o600)
    _secured.add(var)
    return var


_secured: set[Path] = set()


def rasa_url() -> str:
    """Where the web process finds the Rasa server: RASA_URL, else the local default port."""
    return os.environ.get("RASA_URL", "").strip() or "http://127.0.0.1:5005"


def releases_dir() -> Path:
    """Where published releases (knowledge base + training data) are kept: RELEASES_DIR or var/releases."""
    value = os.environ.get("RELEASES_DIR", "").strip()
    return Path(value) if value else paths.VAR / "releases"


def public_url() -> str:
    """Where citizens reach the web process (the privacy page's link): PUBLIC_URL or the local default."""
    return (os.environ.get("PUBLIC_URL", "").strip() or "http://127.0.0.1:8000").rstrip("/")


def publish_claim_seconds() -> float:
    """How long a publish worker holds a release without renewing its claim before another may
    take it over: PUBLISH_CLAIM_SECONDS (tests shorten it), else 60."""
    value = os.environ.get("PUBLISH_CLAIM_SECONDS", "").strip()
    if not value:
        return 60.0
    seconds = float(value) if value.replace(".", "", 1).isdigit() else 0.0
    if not 1.0 <= seconds <= 3600.0:
        raise ValueError(f"PUBLISH_CLAIM_SECONDS must be a number of seconds from 1 to 3600, not {value!r}")
    return seconds


def yield_cpu(setting: str, default: int) -> int:
    """Lower this process's CPU priority by the niceness `setting` names (default `default`); returns it.

    Rasa's turns and the publisher's training are throughput work: on a machine they share with the
    webhook's route and the staff pages, the scheduler should serve the short requests first
    (a citizen's delivery is acknowledged in milliseconds, a reply may wait a little). Alone on
    their machines the niceness changes nothing.
    """
    niceness = int(os.environ.get(setting, default))
    if niceness > 0:
        os.nice(niceness)
    return niceness
