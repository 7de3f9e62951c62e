#!/usr/bin/env python
"""Load benchmark of the hand-off: many open tickets, officers' browsers polling, replies, citizens.

Starts the real processes (bot.stack, simulator apart as Zalo would be), then:
  * opens --tickets tickets over the 7 departments for citizens of the simulator;
  * logs in --officers officers (spread over the departments), each "browser" loading its queue
    page every 5 s and polling the queue API every 4 s as inbox.js does, for --seconds;
  * meanwhile citizens with an open ticket write (simulator -> webhook -> gateway -> ticket) and
    one officer per department watches those tickets as the ticket page does (events API every
    1.5 s): citizen message -> stored on the ticket, and -> visible in that officer's browser;
  * officers claim tickets and reply: reply posted -> message at the simulator.

  python bench/handoff_load.py [--tickets 500] [--officers 20] [--seconds 60] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook_load import pct, print_table  # noqa: E402
from bot.handoff.departments import Departments  # noqa: E402
from bot.handoff.staff import OFFICER, StaffDirectory  # noqa: E402
from bot.handoff.tickets import CITIZEN, TicketDesk  # noqa: E402
from bot.model import ensure_model  # noqa: E402
from bot.stack import start_stack  # noqa: E402

PASSWORD = "mat-khau-bench-123"
EVENTS_EVERY = 1.5  # bot/web/static/inbox.js EVENTS_EVERY_MS
QUEUE_EVERY, PAGE_EVERY = 4.0, 5.0
_HIDDEN = re.compile(r'name="(login_token|csrf_token)" value="([^"]+)"')


async def fetch(browser: httpx.AsyncClient, method: str, url: str, **kwargs) -> httpx.Response:
    """One request as a browser makes it: a keep-alive connection the server just closed is
    opened again (uvicorn closes idle ones after 5 s, the pages poll every 4)."""
    try:
        return await browser.request(method, url, **kwargs)
    except httpx.RemoteProtocolError:
        return await browser.request(method, url, **kwargs)


async def log_in(web: str, username: str) -> tuple[httpx.AsyncClient, str]:
    """A browser session of one officer, and its CSRF token."""
    browser = httpx.AsyncClient(base_url=web, timeout=30, follow_redirects=False)
    page = await browser.get("/dang-nhap")
    token = dict(_HIDDEN.findall(page.text))["login_token"]
    response = await browser.post("/dang-nhap", data={"username": username, "password": PASSWORD, "login_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"log-in of {username} failed: HTTP {response.status_code}")
    queue = await browser.get("/inbox/")
    ticket_link = re.search(r'href="/inbox/tickets/(\d+)"', queue.text)
    csrf = ""
    if ticket_link:
        csrf = dict(_HIDDEN.findall((await browser.get(f"/inbox/tickets/{ticket_link.group(1)}")).text)).get("csrf_token", "")
    return browser, csrf


async def prepare(stack, tickets: int, officers: int) -> tuple[TicketDesk, dict[str, list[str]], dict[str, list[tuple[int, str]]]]:
    engine = create_engine(stack.database_url, future=True)
    desk = TicketDesk(engine, Departments(engine))
    codes = [d.code for d in desk.departments.all()]
    directory = StaffDirectory(engine)
    staff_by_department: dict[str, list[str]] = {c: [] for c in codes}
    for n, code in zip(range(officers), itertools.cycle(codes)):
        directory.create(f"cb{n:02d}", f"Cán bộ {n:02d}", PASSWORD, OFFICER, code)
        staff_by_department[code].append(f"cb{n:02d}")
    tickets_by_department: dict[str, list[tuple[int, str]]] = {c: [] for c in codes}
    async with httpx.AsyncClient(base_url=f"{stack.sim_url}/zalo-sim/api", timeout=30) as sim:
        semaphore = asyncio.Semaphore(20)

        async def citizen(n: int) -> None:
            async with semaphore:
                user = (await sim.post("/citizens", json={"display_name": f"Công dân {n}"})).json()["user_id"]
                await sim.post(f"/citizens/{user}/follow")  # opens Zalo's reply window
                code = codes[n % len(codes)]
                opened = await asyncio.to_thread(desk.open_ticket, user, "zalo", f"Câu hỏi số {n} cần cán bộ trả lời",
                                                 code, "Benchmark", f"Công dân {n}")
                tickets_by_department[code].append((opened.ticket.id, user))

        await asyncio.gather(*(citizen(n) for n in range(tickets)))
    await asyncio.sleep(3)  # let the welcome messages of the follows go out
    return desk, staff_by_department, tickets_by_department


async def run(stack, tickets: int, officers: int, seconds: float) -> dict[str, str]:
    desk, staff_by_department, tickets_by_department = await prepare(stack, tickets, officers)
    sessions = {u: await log_in(stack.web_url, u) for users in staff_by_department.values() for u in users}
    page_ms, api_ms, stored_ms, visible_ms, reply_ms = [], [], [], [], []
    missing_replies = duplicated_replies = lost_messages = 0
    deadline = time.monotonic() + seconds
    rng = random.Random(5)

    async def browser_polling(browser: httpx.AsyncClient) -> None:
        version, next_page = "", time.monotonic() + rng.random() * PAGE_EVERY
        await asyncio.sleep(rng.random() * QUEUE_EVERY)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await fetch(browser, "GET", "/inbox/api/queue", params={"version": version})
            api_ms.append((time.perf_counter() - started) * 1000)
            version = response.json()["version"]
            if time.monotonic() >= next_page:
                started = time.perf_counter()
                page = await fetch(browser, "GET", "/inbox/")
                page_ms.append((time.perf_counter() - started) * 1000)
                assert page.status_code == 200
                next_page += PAGE_EVERY
            await asyncio.sleep(QUEUE_EVERY)

    async def citizens_write(sim: httpx.AsyncClient, code: str, watcher: httpx.AsyncClient) -> None:
        nonlocal lost_messages
        n = 0
        while time.monotonic() < deadline - 5:
            ticket_id, user = rng.choice(tickets_by_department[code])
            text = f"Bổ sung {code} #{n}: giấy tờ đã có"
            n += 1
            after = desk.events(ticket_id)[-1].id
            sent = time.monotonic()
            sent_ms = (await sim.post(f"/citizens/{user}/messages", json={"text": text})).json()["timestamp_ms"]
            visible = None
            next_poll = sent + rng.random() * EVENTS_EVERY  # the page polls on its own clock
            while time.monotonic() - sent < 15 and visible is None:
                await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
                events = (await fetch(watcher, "GET", f"/inbox/api/tickets/{ticket_id}/events", params={"after": after})).json()
                if text in str(events):
                    visible = time.monotonic()
                next_poll += EVENTS_EVERY
            if visible is None:
                lost_messages += 1
                continue
            # Stored: the event's own timestamp against the simulator's send time (one clock, no
            # polling of the database by the benchmark, which would cost the measured processes CPU).
            stored = next(e.created_at for e in await asyncio.to_thread(desk.events, ticket_id, after)
                          if e.text == text and e.kind == CITIZEN)
            stored_ms.append(stored.timestamp() * 1000 - sent_ms)
            visible_ms.append((visible - sent) * 1000)
            await asyncio.sleep(rng.uniform(1, 3))

    async def officer_replies(sim: httpx.AsyncClient, username: str, code: str) -> None:
        nonlocal missing_replies, duplicated_replies
        browser, csrf = sessions[username]
        mine = [t for i, t in enumerate(tickets_by_department[code]) if i % len(staff_by_department[code]) == staff_by_department[code].index(username)]
        for ticket_id, user in mine:
            if time.monotonic() > deadline - 3:
                break
            await fetch(browser, "POST", f"/inbox/tickets/{ticket_id}/claim", data={"csrf_token": csrf})
            text = f"Cán bộ {username} trả lời yêu cầu #{ticket_id}"
            started = time.perf_counter()
            response = await fetch(browser, "POST", f"/inbox/tickets/{ticket_id}/reply", data={"csrf_token": csrf, "text": text})
            elapsed = (time.perf_counter() - started) * 1000
            messages = (await sim.get(f"/citizens/{user}/conversation")).json()["messages"]
            count = sum(m["text"] == text for m in messages)
            if response.status_code != 303 or count == 0:
                missing_replies += 1
                continue
            duplicated_replies += count - 1
            reply_ms.append(elapsed)
            await asyncio.sleep(rng.uniform(2, 4))  # reading the next ticket

    async with httpx.AsyncClient(base_url=f"{stack.sim_url}/zalo-sim/api", timeout=30) as sim:
        tasks = [browser_polling(b) for b, _ in sessions.values()]
        tasks += [citizens_write(sim, code, sessions[users[0]][0]) for code, users in staff_by_department.items() if users]
        tasks += [officer_replies(sim, u, code) for code, users in staff_by_department.items() for u in users]
        await asyncio.gather(*tasks)
    for browser, _ in sessions.values():
        await browser.aclose()
    return {
        "open tickets / officers' browsers": f"{tickets} / {len(sessions)}",
        "queue page p50 / p95 (ms)": f"{pct(page_ms, .5):.0f} / {pct(page_ms, .95):.0f}  (n={len(page_ms)})",
        "queue polling API p50 / p95 (ms)": f"{pct(api_ms, .5):.0f} / {pct(api_ms, .95):.0f}  (n={len(api_ms)})",
        "officer reply -> at the simulator p50 / p95 (ms)": f"{pct(reply_ms, .5):.0f} / {pct(reply_ms, .95):.0f}  (n={len(reply_ms)})",
        "citizen message -> on the ticket p50 / p95 (ms)": f"{pct(stored_ms, .5):.0f} / {pct(stored_ms, .95):.0f}  (n={len(stored_ms)})",
        f"citizen message -> in the officer's browser (poll {EVENTS_EVERY:g} s) p50 / p95 (ms)": f"{pct(visible_ms, .5):.0f} / {pct(visible_ms, .95):.0f}",
        "replies lost / duplicated": f"{missing_replies} / {duplicated_replies}",
        "citizen messages lost": str(lost_messages),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    model = ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(model, Path(tmp), args.database_url, separate_simulator=True)
        try:
            figures = asyncio.run(run(stack, args.tickets, args.officers, args.seconds))
        finally:
            stack.stop()
    print(f"database {(args.database_url or 'sqlite').split(':')[0]}, {args.seconds:.0f} s\n")
    print_table({"value": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
