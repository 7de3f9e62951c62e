"""`python -m bot create-admin`: the first administrator of a fresh installation."""
from __future__ import annotations

import io
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, delete

from bot import paths
from bot.__main__ import main
from bot.db import audit_log, staff
from bot.handoff.staff import ADMIN, StaffDirectory

PASSWORD = "mat-khau-quan-tri"


@pytest.fixture
def username(db_engine, monkeypatch):
    """A fresh user name on each database; DATABASE_URL points the command at that database."""
    name = f"t{uuid.uuid4().hex[:8]}.quantri"
    monkeypatch.setenv("DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    yield name
    with db_engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.detail.like(f"{name}%") | (audit_log.c.username == name)))
        conn.execute(delete(staff).where(staff.c.username == name))


def _run(monkeypatch, args: list[str], stdin: str = "", tty: bool = False) -> int:
    fake_stdin = io.StringIO(stdin)
    fake_stdin.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", fake_stdin)
    return main(args)


def test_creates_an_admin_who_can_log_in(db_engine, username, monkeypatch, capsys):
    code = _run(monkeypatch, ["create-admin", username, "--name", "Nguyễn Văn Quản", "--password-stdin"], PASSWORD + "\n")

    assert code == 0
    assert f"Đã tạo tài khoản quản trị “{username}” (Nguyễn Văn Quản)" in capsys.readouterr().out
    member = StaffDirectory(db_engine).authenticate(username, PASSWORD)
    assert (member.roles, member.display_name, member.department_code) == ({ADMIN}, "Nguyễn Văn Quản", None)


def test_a_terminal_asks_the_password_twice(db_engine, username, monkeypatch, capsys):
    typed = iter([PASSWORD, PASSWORD + "x", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))

    assert _run(monkeypatch, ["create-admin", username], tty=True) == 2
    assert "không khớp" in capsys.readouterr().err
    assert _run(monkeypatch, ["create-admin", username], tty=True) == 0
    assert StaffDirectory(db_engine).authenticate(username, PASSWORD).display_name == username


def test_refusals_exit_with_2_and_say_why(username, monkeypatch, capsys):
    assert _run(monkeypatch, ["create-admin", username, "--password-stdin"], "ngan\n") == 2
    assert "Không tạo được tài khoản: mật khẩu cần ít nhất 10 ký tự." in capsys.readouterr().err
    assert _run(monkeypatch, ["create-admin", username, "--password-stdin"], PASSWORD + "\n") == 0
    assert _run(monkeypatch, ["create-admin", username, "--password-stdin"], PASSWORD + "\n") == 2
    assert f"tên đăng nhập “{username}” đã có" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(["create-admin"])
    assert missing.value.code == 2


def test_the_command_line_on_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "create-admin", "quantri", "--name", "Trần Thị Quản Trị"],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=paths.ROOT,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"}, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Đã tạo tài khoản quản trị “quantri” (Trần Thị Quản Trị)" in done.stdout
    engine = create_engine(url)
    try:
        assert StaffDirectory(engine).authenticate("quantri", PASSWORD).roles == {ADMIN}
    finally:
        engine.dispose()
