"""Run-time settings (issue 17): the default SQLite database and var/ are private to the service."""
from __future__ import annotations

import stat

from sqlalchemy import create_engine, text

from bot import config, paths


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_var_and_the_default_database_are_readable_by_the_service_only(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "web.log").write_text("một dòng log\n")
    (var / "web.log").chmod(0o644)
    monkeypatch.setattr(paths, "VAR", var)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(config, "_secured", set())

    url = config.database_url()
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('Lò Thị Hoa')"))
    wal = var / "bot.db-wal"
    assert _mode(var) == 0o700
    assert _mode(var / "bot.db") == 0o600 and _mode(var / "web.log") == 0o600
    assert not wal.exists() or _mode(wal) == 0o600
    engine.dispose()


def test_logs_in_var_are_private_with_postgresql_too(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "rasa.log").write_text("")
    monkeypatch.setattr(paths, "VAR", var)
    monkeypatch.setattr(config, "_secured", set())
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://bot@127.0.0.1/bot")
    assert config.database_url().startswith("postgresql")
    assert _mode(var) == 0o700 and _mode(var / "rasa.log") == 0o600 and not (var / "bot.db").exists()


def test_throughput_processes_yield_the_cpu_by_their_setting():
    """Rasa (5) and the publisher (10) lower their own priority by a setting; 0 leaves it."""
    import os
    import subprocess
    import sys

    script = ("import os; from bot.config import yield_cpu; yield_cpu('TEST_NICENESS', 5); "
              "print(os.getpriority(os.PRIO_PROCESS, 0))")

    def niceness(**env: str) -> int:
        out = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, cwd=paths.ROOT,
                             capture_output=True, text=True, check=True).stdout
        return int(out) - os.getpriority(os.PRIO_PROCESS, 0)

    assert niceness() == 5
    assert niceness(TEST_NICENESS="10") == 10
    assert niceness(TEST_NICENESS="0") == 0
