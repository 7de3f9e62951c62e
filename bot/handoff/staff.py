"""Staff accounts, passwords (argon2), lock-out after repeated failures, and browser sessions."""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, case, delete, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import UtcDateTime, login_throttle, staff, staff_role, staff_session, utc_now
from bot.handoff.audit import audit

OFFICER, LEADER, ADMIN, EDITOR = "officer", "leader", "admin", "editor"
# Editors curate the FAQs and publish the bot; officers may only suggest. The order is the one
# pages list them in; an account may hold several, and an admin may do everything.
ROLES = {OFFICER: "Cán bộ", LEADER: "Lãnh đạo", EDITOR: "Biên tập viên", ADMIN: "Quản trị"}
ROLE_DUTIES = {
    OFFICER: "trả lời yêu cầu của bộ phận mình",
    LEADER: "xem mọi hàng đợi, báo cáo và nhật ký",
    EDITOR: "biên tập câu hỏi – trả lời và xuất bản",
    ADMIN: "mọi việc trên, cùng tài khoản, bộ phận và ngày nghỉ",
}
MAX_FAILED_LOGINS = 5  # attempts per account and address …
LOCKOUT = timedelta(minutes=15)  # … in this window
LOGIN_REFUSED = (
    f"Tên đăng nhập hoặc mật khẩu không đúng. Sau {MAX_FAILED_LOGINS} lần sai, máy này phải chờ "
    f"{int(LOCKOUT.total_seconds() // 60)} phút mới đăng nhập lại được tài khoản đó."
)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Each argon2 verification holds 64 MiB: a burst of 40 log-ins at once took 2 GB. At most as many
# run together as there are cores; the rest wait their turn, which also slows a guessing burst.
_VERIFYING = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    department_code: str | None
    active: bool = True

    def has_role(self, *wanted: str) -> bool:
        """Holds any of `wanted`; an admin holds every role."""
        return ADMIN in self.roles or any(r in self.roles for r in wanted)

    @property
    def role(self) -> str:
        """The one role that decides which tickets this account sees, for code that compares a
        single role (the desk's can_view, the reports' scope): leader (admins too), else officer,
        else the account's only other role."""
        if self.has_role(LEADER):
            return LEADER
        if OFFICER in self.roles:
            return OFFICER
        return next(iter(sorted(self.roles, key=_role_order)), OFFICER)

    @property
    def role_list(self) -> list[str]:
        """The roles held, in ROLES order (an admin's shown as just "admin")."""
        return [ADMIN] if ADMIN in self.roles else sorted(self.roles, key=_role_order)

    @property
    def role_labels(self) -> list[tuple[str, str]]:
        return [(r, ROLES.get(r, r)) for r in self.role_list]

    @property
    def role_name(self) -> str:
        return ", ".join(name for _, name in self.role_labels)


def _role_order(role: str) -> int:
    return list(ROLES).index(role) if role in ROLES else len(ROLES)


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf_token: str


class LoginRefused(Exception):
    """Why a log-in failed, in words a person reads (the same for unknown user and bad password)."""


class StaffError(ValueError):
    """A staff change that cannot be made, in Vietnamese."""



def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _as_staff(row, roles: frozenset[str]) -> Staff:
    return Staff(row.id, row.username, row.display_name, roles, row.department_code, bool(row.active))


def _roles_of(conn: Connection, staff_ids: list[int]) -> dict[int, frozenset[str]]:
    held: dict[int, set[str]] = {i: set() for i in staff_ids}
    if staff_ids:
        for staff_id, role in conn.execute(
                select(staff_role.c.staff_id, staff_role.c.role).where(staff_role.c.staff_id.in_(staff_ids))):
            held[staff_id].add(role)
    return {i: frozenset(r) for i, r in held.items()}


def _with_roles(conn: Connection, row) -> Staff:
    return _as_staff(row, _roles_of(conn, [row.id])[row.id])


def role_set(roles: str | Iterable[str]) -> frozenset[str]:
    """One role ("officer") or several, as a set; unknown ones refused in Vietnamese."""
    chosen = frozenset([roles] if isinstance(roles, str) else roles)
    if not chosen:
        raise StaffError("hãy chọn ít nhất một vai trò")
    unknown = chosen - set(ROLES)
    if unknown:
        raise StaffError(f"vai trò phải là một trong: {', '.join(ROLES)}")
    return chosen


def _roles_phrase(roles: frozenset[str]) -> str:
    return ", ".join(ROLES[r] for r in sorted(roles, key=_role_order))


class StaffDirectory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, username: str, display_name: str, password: str, role: str | Iterable[str],
               department_code: str | None = None, by: Staff | None = None) -> Staff:
        """A new account holding `role` (one, or several)."""
        username = username.strip().lower()
        roles = role_set(role)
        _check_new(username, password, roles, department_code)
        try:
            with self.engine.begin() as conn:
                result = conn.execute(insert(staff).values(
                    username=username, display_name=display_name.strip() or username,
                    password_hash=_hasher.hash(password), department_code=department_code or None,
                    active=True, created_at=utc_now(),
                ))
                staff_id = int(result.inserted_primary_key[0])
                # SQLite (without PRAGMA foreign_keys) leaves a deleted account's roles behind, and
                # may give its id to the next account: that one must not inherit them.
                conn.execute(delete(staff_role).where(staff_role.c.staff_id == staff_id))
                conn.execute(insert(staff_role), [{"staff_id": staff_id, "role": r} for r in sorted(roles)])
                audit(conn, by.id if by else None, by.username if by else "cli", "staff.create",
                      detail=f"{username} ({_roles_phrase(roles)}, {department_code or '-'})")
        except IntegrityError:
            raise StaffError(f"tên đăng nhập “{username}” đã có") from None
        return self.get(staff_id)

    def get(self, staff_id: int) -> Staff:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.id == staff_id)).first()
            if row is None:
                raise StaffError("không có cán bộ này")
            return _with_roles(conn, row)

    def all(self) -> list[Staff]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff).order_by(staff.c.username)).all()
            held = _roles_of(conn, [r.id for r in rows])
        members = [_as_staff(r, held[r.id]) for r in rows]
        return sorted(members, key=lambda m: (_role_order(m.role_list[0]) if m.role_list else len(ROLES), m.username))

    def update(self, staff_id: int, display_name: str, role: str | Iterable[str], department_code: str | None,
               active: bool, by: Staff) -> None:
        roles = role_set(role)
        if OFFICER in roles and not department_code:
            raise StaffError("cán bộ phải thuộc một bộ phận")
        if staff_id == by.id and (ADMIN not in roles or not active):
            raise StaffError("không thể tự bỏ quyền quản trị hoặc tự khóa tài khoản của mình")
        with self.engine.begin() as conn:
            before = _roles_of(conn, [staff_id])[staff_id]
            updated = conn.execute(update(staff).where(staff.c.id == staff_id).values(
                display_name=display_name.strip(), department_code=department_code or None, active=active,
            )).rowcount
            if not updated:
                raise StaffError("không có cán bộ này")
            if roles - before:
                conn.execute(insert(staff_role), [{"staff_id": staff_id, "role": r} for r in sorted(roles - before)])
            if before - roles:
                conn.execute(delete(staff_role).where(and_(
                    staff_role.c.staff_id == staff_id, staff_role.c.role.in_(sorted(before - roles)))))
            if not active:  # roles are read on every request: a change applies without logging out
                conn.execute(delete(staff_session).where(staff_session.c.staff_id == staff_id))
            audit(conn, by.id, by.username, "staff.update",
                  detail=f"#{staff_id}: {_roles_phrase(roles)}, {department_code or '-'}, "
                         f"{'hoạt động' if active else 'khóa'}")

    def set_password(self, staff_id: int, password: str, by: Staff | None = None) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise StaffError(f"mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự")
        with self.engine.begin() as conn:
            conn.execute(update(staff).where(staff.c.id == staff_id).values(
                password_hash=_hasher.hash(password)))
            conn.execute(delete(login_throttle).where(login_throttle.c.username == _username(conn, staff_id)))
            conn.execute(delete(staff_session).where(staff_session.c.staff_id == staff_id))
            audit(conn, by.id if by else None, by.username if by else "cli", "staff.password", detail=f"#{staff_id}")

    def authenticate(self, username: str, password: str, address: str = "") -> Staff:
        """The staff member, or LoginRefused with the one message every failure gets.

        Each attempt first takes one of MAX_FAILED_LOGINS per LOCKOUT window for this account from
        this address, whether the account exists or not, so an attacker neither learns which
        accounts exist nor locks an officer out who signs in from elsewhere. Every refusal costs
        one argon2 verification, so the time tells nothing either.
        """
        username, address = username.strip().lower()[:64], (address or "-")[:64]
        if not self._take_attempt(username, address):
            _hasher_dummy_verify(password)
            with self.engine.begin() as conn:
                audit(conn, None, username, "login.throttled", detail=address)
            raise LoginRefused(LOGIN_REFUSED)
        with self.engine.connect() as conn:
            row = conn.execute(select(staff).where(staff.c.username == username)).first()
        if row is None or not row.active:
            _hasher_dummy_verify(password)
            verified = False
        else:
            try:
                with _VERIFYING:
                    verified = _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                verified = False
        with self.engine.begin() as conn:
            if not verified:
                audit(conn, row.id if row is not None else None, username, "login.failed", detail=address)
            else:
                conn.execute(delete(login_throttle).where(and_(
                    login_throttle.c.username == username, login_throttle.c.address == address)))
                if _hasher.check_needs_rehash(row.password_hash):
                    conn.execute(update(staff).where(staff.c.id == row.id).values(password_hash=_hasher.hash(password)))
                audit(conn, row.id, username, "login", detail=address)
            member = _with_roles(conn, row) if verified else None
        if member is None:
            raise LoginRefused(LOGIN_REFUSED)
        return member

    def _take_attempt(self, username: str, address: str) -> bool:
        """Count one attempt in one conditional UPDATE; False when this window's are used up."""
        now = utc_now()
        expired = login_throttle.c.window_start < now - LOCKOUT
        with self.engine.begin() as conn:
            conn.execute(_insert_ignoring_duplicates(conn).values(
                username=username, address=address, attempts=0, window_start=now))
            taken = conn.execute(
                update(login_throttle)
                .where(and_(login_throttle.c.username == username, login_throttle.c.address == address,
                            or_(expired, login_throttle.c.attempts < MAX_FAILED_LOGINS)))
                .values(attempts=case((expired, 1), else_=login_throttle.c.attempts + 1),
                        window_start=case((expired, literal(now, UtcDateTime())), else_=login_throttle.c.window_start))
            ).rowcount
        return taken == 1

    def start_session(self, member: Staff) -> tuple[str, str]:
        """(cookie token, CSRF token); only the token's hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(staff_session).where(staff_session.c.expires_at < utc_now()))
            conn.execute(insert(staff_session).values(
                token_hash=_token_hash(token), staff_id=member.id, csrf_token=csrf,
                created_at=utc_now(), expires_at=utc_now() + SESSION_LIFETIME,
            ))
        return token, csrf

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(staff, staff_session.c.csrf_token, staff_session.c.expires_at)
                .join(staff_session, staff_session.c.staff_id == staff.c.id)
                .where(staff_session.c.token_hash == _token_hash(token))
            ).first()
            if row is None or not row.active or row.expires_at <= utc_now():
                return None
            return Session(_with_roles(conn, row), row.csrf_token)

    def end_session(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(staff_session).where(staff_session.c.token_hash == _token_hash(token)))


def _check_new(username: str, password: str, roles: frozenset[str], department_code: str | None) -> None:
    if not username or not all(c.isalnum() or c in "._-" for c in username) or len(username) > 64:
        raise StaffError("tên đăng nhập chỉ gồm chữ, số và . _ - (tối đa 64 ký tự)")
    if OFFICER in roles and not department_code:
        raise StaffError("cán bộ phải thuộc một bộ phận")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự")


_dummy_hashes: dict[int, str] = {}


def _hasher_dummy_verify(password: str) -> None:
    """Spend the same time on an unknown user or a spent attempt as on a wrong password."""
    # One per hasher: tests swap in a cheap one, and the dummy must cost what real hashes cost.
    dummy = _dummy_hashes.setdefault(id(_hasher), _hasher.hash("not a password anyone has"))
    try:
        with _VERIFYING:
            _hasher.verify(dummy, password)
    except VerificationError:
        pass


def _username(conn: Connection, staff_id: int) -> str | None:
    return conn.execute(select(staff.c.username).where(staff.c.id == staff_id)).scalar_one_or_none()


def _insert_ignoring_duplicates(conn: Connection):
    """INSERT of a login_throttle row that does nothing when the row exists (SQLite, PostgreSQL)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(login_throttle).on_conflict_do_nothing()
