#!/usr/bin/env python
"""Replays issue 17's attacks against the product on this machine and says, per probe, whether
the defence held, with the time and the servers' memory each probe cost.

By default it expects the product running (`make run`: web :8000, Rasa :5005, actions :5055,
with the Zalo simulator, i.e. ZALO_APP_ID unset). With `--start MODEL.tar.gz` it starts the
three processes itself on free ports from that existing model (bot/stack.py, no training) and
stops them at the end. It only ever talks to 127.0.0.1; every loop is bounded and it stops by
itself (a few minutes at most).

  python bench/abuse.py [--web URL --rasa URL --actions URL] [--start models/<id>.tar.gz]
                        [--login-user admin] [--editor USER:PASSWORD]

The log-in probes send 40 wrong passwords at once for --login-user (default "admin") and compare
with an account that does not exist: from 127.0.0.1 that account is slowed down for the
throttle's window. The XLSX probe needs an editor's account (--editor); without it, skipped.
Memory is the servers' resident size (VmRSS) before and after each probe and the growth of
their peak (VmHWM), read from /proc for the processes listening on the three ports.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.zalo.settings import ZaloSettings  # noqa: E402
from connectors.zalo.signature import signature_header  # noqa: E402

HUGE_ID = str(2**64)
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")


@dataclass
class Outcome:
    held: bool
    detail: str


@dataclass
class Target:
    web: str
    rasa: str
    actions: str
    oa_secret: str
    app_id: str
    rasa_token: str
    login_user: str
    editor: tuple[str, str] | None


# ---- the servers' memory, from /proc
def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _pids_listening(port: int) -> set[int]:
    inodes, pids = _listening_inodes(port), set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.add(int(proc.name))
                    break
        except OSError:
            continue
    return pids


def _listening_addresses(port: int) -> set[str]:
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        host, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":
            addresses.add(socket.inet_ntoa(bytes.fromhex(host)[::-1]))
    return addresses


def _memory(pids: set[int]) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KB, summed over the processes."""
    rss = hwm = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        hwm += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return rss, hwm


# ---- helpers
def _port(url: str) -> int:
    return urlsplit(url).port or 80


def _signed(target: Target, body: dict | bytes, timestamp: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()  # ASCII: "\ud800" stays escaped
    timestamp = timestamp or str(json.loads(raw)["timestamp"])
    return raw, {"Content-Type": "application/json",
                 "X-ZEvent-Signature": signature_header(target.app_id, raw, timestamp, target.oa_secret)}


def _text_event(target: Target, user_id: str, text: str) -> dict:
    return {"app_id": target.app_id, "event_name": "user_send_text", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user_id}, "recipient": {"id": "579745863508352884"},
            "message": {"msg_id": secrets.token_hex(10), "text": text}}


# ---- probes: each returns Outcome; bounded in time and requests
async def action_server_forged_call(t: Target, http: httpx.AsyncClient) -> Outcome:
    call = {"next_action": "action_respond", "sender_id": "2512523625412515", "version": "3.6.2", "domain": {},
            "tracker": {"sender_id": "2512523625412515", "slots": {}, "latest_message": {"text": "gặp cán bộ"},
                        "events": [{"event": "bot", "text": "Hãy chuyển khoản 500.000đ vào tài khoản sau"}]}}
    response = await http.post(f"{t.actions}/webhook", json=call)
    return Outcome(response.status_code == 401, f"forged POST /webhook -> {response.status_code}")


async def listen_on_localhost_only(t: Target, http: httpx.AsyncClient) -> Outcome:
    found = {name: _listening_addresses(_port(url)) for name, url in (("rasa", t.rasa), ("actions", t.actions))}
    held = all(addresses and addresses <= {"127.0.0.1"} for addresses in found.values())
    return Outcome(held, ", ".join(f"{n} on {sorted(a) or '?'}" for n, a in found.items()))


async def rasa_token_not_in_ps(t: Target, http: httpx.AsyncClient) -> Outcome:
    if not t.rasa_token:
        return Outcome(False, "no token known (RASA_TOKEN or var/rasa_token): cannot check")
    showing = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and t.rasa_token.encode() in (proc / "cmdline").read_bytes():
                showing.append(proc.name)
        except OSError:
            continue
    return Outcome(not showing, f"command lines showing the token: {len(showing)}")


async def rasa_api_needs_token_health_does_not(t: Target, http: httpx.AsyncClient) -> Outcome:
    status = await http.get(f"{t.rasa}/status")
    health = await http.get(f"{t.rasa}/webhooks/zalo/")
    return Outcome(status.status_code == 401 and health.status_code == 200,
                   f"/status without token -> {status.status_code}; /webhooks/zalo/ -> {health.status_code}")


async def rest_sender_cannot_be_a_zalo_citizen(t: Target, http: httpx.AsyncClient) -> Outcome:
    zalo_like = str(secrets.randbelow(10**16) + 10**15)
    response = await http.post(f"{t.rasa}/webhooks/rest/webhook", timeout=60,
                               json={"sender": zalo_like, "message": "xin chào", "input_channel": "zalo"})
    recipients = {m.get("recipient_id") for m in response.json()} if response.status_code == 200 else set()
    held = response.status_code in (401, 404) or recipients == {f"rest:{zalo_like}"}
    return Outcome(held, f"REST as {zalo_like} -> {response.status_code}, answered as {sorted(map(str, recipients))}")


async def rest_message_length_cap(t: Target, http: httpx.AsyncClient) -> Outcome:
    response = await http.post(f"{t.rasa}/webhooks/rest/webhook", json={"sender": "abuse-long", "message": "x" * 10_000})
    return Outcome(response.status_code in (413, 401, 404), f"10,000 characters -> {response.status_code}")


async def rest_rate_limit(t: Target, http: httpx.AsyncClient) -> Outcome:
    sender, codes = f"abuse-rate-{secrets.token_hex(3)}", []
    for _ in range(25):  # bounded: the limit is 20 a minute
        response = await http.post(f"{t.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": "?"}, timeout=60)
        codes.append(response.status_code)
        if response.status_code == 429:
            break
    return Outcome(429 in codes, f"{len(codes)} messages, first refusal at #{codes.index(429) + 1 if 429 in codes else '-'}")


async def webhook_huge_body(t: Target, http: httpx.AsyncClient) -> Outcome:
    """200 MB declared; the body is sent in 64 KB pieces only while the server keeps reading."""
    host, port = urlsplit(t.web).hostname, _port(t.web)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"POST /webhooks/zalo/webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {200 * 2**20}\r\n\r\n".encode())
    sent = 0
    status_line = b""
    try:
        for _ in range(200 * 16):  # at most 200 MB
            writer.write(b" " * 65536)
            sent += 65536
            await asyncio.wait_for(writer.drain(), 5)
            try:
                status_line = await asyncio.wait_for(reader.readline(), 0.001)
            except asyncio.TimeoutError:
                continue
            break
        if not status_line:
            status_line = await asyncio.wait_for(reader.readline(), 10)
    except (ConnectionError, asyncio.TimeoutError):
        pass
    finally:
        writer.close()
    held = b" 413 " in status_line and sent < 8 * 2**20
    return Outcome(held, f"answered {status_line.decode(errors='replace').strip() or 'nothing'} after {sent / 2**20:.1f} MB sent")


async def webhook_deep_json(t: Target, http: httpx.AsyncClient) -> Outcome:
    raw = b'{"app_id": "%s", "timestamp": "1", "x": ' % t.app_id.encode() + b"[" * 1000 + b"]" * 1000 + b"}"
    raw, headers = _signed(t, raw, timestamp="1")
    response = await http.post(f"{t.web}/webhooks/zalo/webhook", content=raw, headers=headers)
    return Outcome(response.status_code == 400, f"1,000 levels -> {response.status_code}")


async def webhook_signed_10mb_text(t: Target, http: httpx.AsyncClient) -> Outcome:
    raw, headers = _signed(t, _text_event(t, "abuse-10mb", "x" * 10 * 2**20))
    response = await http.post(f"{t.web}/webhooks/zalo/webhook", content=raw, headers=headers)
    return Outcome(response.status_code == 413, f"signed 10 MB text -> {response.status_code}")


async def lone_surrogate_is_answered(t: Target, http: httpx.AsyncClient) -> Outcome:
    citizen = (await http.post(f"{t.web}/zalo-sim/api/citizens", json={"display_name": "Thử Nghiệm"})).json()
    user_id = citizen["user_id"]

    async def replies() -> list[dict]:
        messages = (await http.get(f"{t.web}/zalo-sim/api/citizens/{user_id}/conversation")).json()["messages"]
        return [m for m in messages if m["direction"] == "oa_to_citizen"]

    async def wait_for_more(than: int) -> list[dict]:
        for _ in range(60):  # 30 s at most
            answered = await replies()
            if len(answered) > than:
                return answered
            await asyncio.sleep(0.5)
        return []

    # A first message through the simulator: Zalo lets the OA answer only who wrote to it.
    await http.post(f"{t.web}/zalo-sim/api/citizens/{user_id}/messages", json={"text": "xin chào"})
    before = len(await wait_for_more(0))
    raw, headers = _signed(t, _text_event(t, user_id, "\ud800 khai sinh"))
    accepted = await http.post(f"{t.web}/webhooks/zalo/webhook", content=raw, headers=headers)
    answered = await wait_for_more(before)
    if answered:
        return Outcome(accepted.status_code == 200, f"accepted ({accepted.status_code}) and answered: {answered[-1]['text'][:50]!r}")
    return Outcome(False, f"accepted ({accepted.status_code}) but no reply within 30 s")


async def ids_beyond_64_bits(t: Target, http: httpx.AsyncClient) -> Outcome:
    urls = [("GET", f"/inbox/tickets/{HUGE_ID}"), ("GET", f"/inbox/api/tickets/{HUGE_ID}/events"),
            ("POST", f"/inbox/tickets/{HUGE_ID}/claim"), ("GET", f"/quan-tri/can-bo/{HUGE_ID}"),
            ("POST", f"/bien-tap/de-xuat/{HUGE_ID}/bo-qua"), ("GET", f"/bien-tap/api/xuat-ban/{HUGE_ID}"),
            ("POST", f"/bien-tap/xuat-ban/{HUGE_ID}/quay-lai"), ("GET", f"/bien-tap/chua-tra-loi?trang={HUGE_ID}")]
    codes = [(await http.request(method, t.web + url)).status_code for method, url in urls]
    return Outcome(500 not in codes, f"{len(urls)} routes -> {sorted(set(codes))}")


async def headers_docs_and_404(t: Target, http: httpx.AsyncClient) -> Outcome:
    missing = []
    for path in ("/static/inbox.css", "/khong-co-trang-nay", "/dang-nhap", "/webhooks/zalo/webhook"):
        response = await http.get(t.web + path)
        missing += [f"{path}: {h}" for h in SECURITY_HEADERS if h not in response.headers]
    docs = [(await http.get(t.web + p)).status_code for p in ("/docs", "/redoc", "/openapi.json")]
    unknown = await http.get(t.web + "/khong-co-trang-nay")
    vietnamese = unknown.status_code == 404 and "Không có trang này" in unknown.text
    held = not missing and docs == [404, 404, 404] and vietnamese
    return Outcome(held, f"headers missing: {missing or 'none'}; /docs,/redoc,/openapi.json -> {docs}; "
                         f"unknown URL Vietnamese page: {vietnamese}")


async def _login(http: httpx.AsyncClient, web: str, username: str, password: str,
                 local: httpx.AsyncClient | None = None) -> tuple[int, str, float]:
    token = secrets.token_urlsafe(16)
    client = local or http
    started = time.perf_counter()
    response = await client.post(f"{web}/dang-nhap", data={"username": username, "password": password, "login_token": token},
                                 cookies={"ubnd_login": token})
    elapsed = time.perf_counter() - started
    found = re.search(r'class="alert[^"]*"[^>]*>\s*([^<]+)', response.text)
    return response.status_code, (found.group(1).strip() if found else ""), elapsed


async def login_40_concurrent_wrong_passwords(t: Target, http: httpx.AsyncClient) -> Outcome:
    results = await asyncio.gather(*[_login(http, t.web, t.login_user, f"sai-{n}-{secrets.token_hex(4)}") for n in range(40)])
    messages = {m for _, m, _ in results}
    statuses = {s for s, _, _ in results}
    times = sorted(e for _, _, e in results)
    held = statuses == {401} and len(messages) == 1
    return Outcome(held, f"statuses {sorted(statuses)}, {len(messages)} distinct message(s) {sorted(messages)[:2]}, "
                         f"time min/median/max {times[0] * 1000:.0f}/{statistics.median(times) * 1000:.0f}/{times[-1] * 1000:.0f} ms")


async def login_lockout_tells_nobody_who_exists(t: Target, http: httpx.AsyncClient) -> Outcome:
    """After the burst: the known account (throttled now) and an unknown one answer alike."""
    known = [await _login(http, t.web, t.login_user, "sai-nua") for _ in range(5)]
    unknown = [await _login(http, t.web, f"khong-co-{secrets.token_hex(4)}", "sai") for _ in range(5)]
    known_ms = statistics.median(e for _, _, e in known) * 1000
    unknown_ms = statistics.median(e for _, _, e in unknown) * 1000
    same_message = {m for _, m, _ in known} == {m for _, m, _ in unknown}
    close = min(known_ms, unknown_ms) / max(known_ms, unknown_ms) > 0.5
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"), timeout=30) as other:
        elsewhere = await _login(http, t.web, t.login_user, "sai-tu-dia-chi-khac", local=other)
    return Outcome(same_message and close,
                   f"known (locked) {known_ms:.0f} ms vs unknown {unknown_ms:.0f} ms, same message: {same_message}; "
                   f"from 127.0.0.2: {elapsed_text(elsewhere)}")


def elapsed_text(result: tuple[int, str, float]) -> str:
    return f"{result[0]} in {result[2] * 1000:.0f} ms"


async def xlsx_bomb_import(t: Target, http: httpx.AsyncClient) -> Outcome:
    if t.editor is None:
        return Outcome(True, "skipped (no --editor USER:PASSWORD); see tests/bot/faq/test_spreadsheet.py's bomb test")
    async with httpx.AsyncClient(timeout=120) as editor:
        token = secrets.token_urlsafe(16)
        await editor.post(f"{t.web}/dang-nhap", data={"username": t.editor[0], "password": t.editor[1], "login_token": token},
                          cookies={"ubnd_login": token})
        page = await editor.get(f"{t.web}/bien-tap/tap-tin")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not csrf:
            return Outcome(False, "could not log in as the editor")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
            bomb.writestr("[Content_Types].xml", "<Types/>")
            bomb.writestr("xl/worksheets/sheet1.xml", b"<x>" + b"0" * (160 * 10**6) + b"</x>")
        upload = asyncio.create_task(editor.post(f"{t.web}/bien-tap/tap-tin", data={"csrf_token": csrf.group(1)},
                                                 files={"tep": ("bom.xlsx", out.getvalue(), "application/octet-stream")}))
        acks = []
        while not upload.done() and len(acks) < 200:  # webhook acknowledgements while the import runs
            raw, headers = _signed(t, b'{"app_id": "%s", "timestamp": "1"}' % t.app_id.encode())
            started = time.perf_counter()
            await http.post(f"{t.web}/webhooks/zalo/webhook", content=raw, headers=headers)
            acks.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
        response = await upload
    refused = response.status_code == 400 and "giải nén" in response.text
    worst = max(acks) * 1000 if acks else 0.0
    return Outcome(refused and worst < 500, f"{len(out.getvalue()) // 1024} KB bomb -> {response.status_code}, refused: {refused}; "
                                            f"slowest webhook answer meanwhile {worst:.0f} ms")


PROBES: list[tuple[str, Callable[[Target, httpx.AsyncClient], Awaitable[Outcome]]]] = [
    ("action server: forged call", action_server_forged_call),
    ("Rasa and actions on 127.0.0.1", listen_on_localhost_only),
    ("Rasa token not in ps", rasa_token_not_in_ps),
    ("Rasa API token / health route", rasa_api_needs_token_health_does_not),
    ("REST sender as a Zalo citizen", rest_sender_cannot_be_a_zalo_citizen),
    ("REST message length", rest_message_length_cap),
    ("REST rate limit", rest_rate_limit),
    ("webhook 200 MB unsigned body", webhook_huge_body),
    ("webhook 1,000-level JSON", webhook_deep_json),
    ("webhook signed 10 MB text", webhook_signed_10mb_text),
    ("lone surrogate answered", lone_surrogate_is_answered),
    ("ids beyond 64 bits", ids_beyond_64_bits),
    ("headers, /docs, 404 page", headers_docs_and_404),
    ("login: 40 concurrent wrong", login_40_concurrent_wrong_passwords),
    ("login: lock-out tells nothing", login_lockout_tells_nobody_who_exists),
    ("XLSX bomb import", xlsx_bomb_import),
]


async def run(target: Target) -> int:
    pids = set().union(*(_pids_listening(_port(u)) for u in (target.web, target.rasa, target.actions)))
    print(f"{'probe':34} {'result':6} {'time':>8} {'RSS Δ':>9} {'peak Δ':>9}  detail")
    failed = 0
    async with httpx.AsyncClient(timeout=30) as http:
        for name, probe in PROBES:
            rss_before, hwm_before = _memory(pids)
            started = time.perf_counter()
            try:
                outcome = await asyncio.wait_for(probe(target, http), 120)
            except Exception as exc:  # noqa: BLE001 - a probe that breaks is reported, the others still run
                outcome = Outcome(False, f"probe error: {type(exc).__name__}: {exc}"[:200])
            elapsed = time.perf_counter() - started
            rss_after, hwm_after = _memory(pids)
            failed += not outcome.held
            print(f"{name:34} {'held' if outcome.held else 'FAILED':6} {elapsed:7.2f}s "
                  f"{(rss_after - rss_before) / 1024:+8.1f}M {(hwm_after - hwm_before) / 1024:+8.1f}M  {outcome.detail}")
    print(f"\n{len(PROBES) - failed} held, {failed} failed; servers watched: {len(pids)} processes")
    return 1 if failed else 0


def _accounts(database_url: str, login_user: str) -> tuple[str, str]:
    """In a stack of our own (a fresh database): the account the log-in probes hammer, and an
    editor for the XLSX probe, whose password only this run knows."""
    from sqlalchemy import create_engine

    from bot.handoff.staff import ADMIN, EDITOR, StaffDirectory

    directory = StaffDirectory(create_engine(database_url))
    directory.create(login_user, "Quản Trị Thử", secrets.token_urlsafe(16), ADMIN)
    password = secrets.token_urlsafe(16)
    directory.create("bien-tap-thu", "Biên Tập Thử", password, EDITOR)
    return "bien-tap-thu", password


def _local(url: str) -> str:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"{url}: this bench only probes 127.0.0.1")
    return url.rstrip("/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", default="http://127.0.0.1:8000")
    parser.add_argument("--rasa", default="http://127.0.0.1:5005")
    parser.add_argument("--actions", default="http://127.0.0.1:5055")
    parser.add_argument("--start", type=Path, help="start the product from this existing model (no training)")
    parser.add_argument("--login-user", default="admin")
    parser.add_argument("--editor", help="USER:PASSWORD of an editor, for the XLSX probe")
    args = parser.parse_args()
    if os.environ.get("ZALO_APP_ID"):
        sys.exit("ZALO_APP_ID is set: this bench runs against the Zalo simulator only")
    settings = ZaloSettings.from_file()
    editor = tuple(args.editor.split(":", 1)) if args.editor else None
    stack = None
    if args.start:
        from bot.stack import start_stack

        workdir = Path(tempfile.mkdtemp(prefix="abuse-"))
        stack = start_stack(args.start.resolve(), workdir)
        web, rasa, actions, token = stack.web_url, stack.rasa_url, stack.actions_url, stack.rasa_token
        editor = editor or _accounts(stack.database_url, args.login_user)
    else:
        web, rasa, actions = args.web, args.rasa, args.actions
        token_file = ROOT / "var" / "rasa_token"
        token = os.environ.get("RASA_TOKEN") or (token_file.read_text().strip() if token_file.exists() else "")
    try:
        return asyncio.run(run(Target(_local(web), _local(rasa), _local(actions), settings.oa_secret_key,
                                      settings.app_id, token, args.login_user, editor)))
    finally:
        if stack is not None:
            stack.stop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
