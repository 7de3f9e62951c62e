#!/usr/bin/env python
"""Report load benchmark (issue 18): one year of a busy ward, the report page and the workbook.

Seeds, on SQLite and on PostgreSQL (a schema of its own), a year ending today of:
  200,000 citizen messages in 60,000 conversations, as many replies, a bot decision per message
  outside a ticket, 8,000 tickets (with their events), 5,000 followers (follow/unfollow events and
  a daily getoa snapshot with some days missing);
then, through the web app as a leader's browser would (ASGI, a signed-in session), times the
report page for the year (target <= 1 s) and the workbook download (target <= 5 s), and prints
the figures, the row counts and the query plans that show which indexes the report reads.

  python bench/report_load.py [--sqlite PATH] [--postgres URL | --no-postgres] [--runs 3]
"""
from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

import httpx
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import (  # noqa: E402
    decision_log, follower_snapshot, kb_faq, ticket, ticket_event, zalo_event, zalo_outbound,
)
from bot.handoff.departments import Departments  # noqa: E402
from bot.handoff.office_hours import VIETNAM  # noqa: E402
from bot.handoff.staff import LEADER, StaffDirectory  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.web import services  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from bot.web.auth import COOKIE  # noqa: E402

MESSAGES, CONVERSATIONS, TICKETS, FOLLOWERS, CITIZENS = 200_000, 60_000, 8_000, 5_000, 25_000
CHUNK = 5_000
DECISIONS = [("answer", "answered")] * 62 + [("clarify", "close_candidates")] * 8 + [("smalltalk", "smalltalk")] * 10 + \
    [("handoff", "request_human")] * 5 + [("handoff", "low_confidence")] * 6 + [("handoff", "other_procedure:x")] * 3 + \
    [("handoff", "personal_case_pattern")] * 2 + [("out_of_scope", "out_of_scope")] * 4
PLANS = {
    "messages per day (zalo_event)": "SELECT date(received_at, '+7 hours') d, count(*), count(DISTINCT user_id) FROM zalo_event "
                                     "WHERE event_name IN ('user_send_text') AND received_at >= :a AND received_at < :b GROUP BY d",
    "decisions (decision_log)": "SELECT decision, reason, count(*) FROM decision_log WHERE created_at >= :a AND created_at < :b "
                                "GROUP BY decision, reason",
    "replies (zalo_outbound)": "SELECT count(*) FROM zalo_outbound WHERE created_at >= :a AND created_at < :b AND status = 'sent'",
    "tickets": "SELECT * FROM ticket WHERE created_at < :b AND (closed_at IS NULL OR closed_at >= :a)",
}


def seed(engine: Engine, today: date) -> None:
    rng = random.Random(18)
    start = datetime.combine(today - timedelta(days=364), clock_time(0), VIETNAM)
    with engine.begin() as conn:
        faqs = [r[0] for r in conn.execute(select(kb_faq.c.id))]
    departments = [d.code for d in Departments(engine).all()]

    def daytime(day_index: int) -> datetime:
        # office-ish hours with an evening tail, as citizens write
        hour = rng.choice([7, 8, 9, 9, 10, 10, 11, 14, 15, 16, 19, 20, 21])
        return start + timedelta(days=day_index, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))

    events, decisions, outbound = [], [], []
    sizes = [MESSAGES // CONVERSATIONS] * CONVERSATIONS
    for i in range(MESSAGES - sum(sizes)):
        sizes[i] += 1
    n = 0
    for conversation, size in enumerate(sizes):
        user = f"u{rng.randrange(CITIZENS)}"
        at = daytime(rng.randrange(365))
        for _ in range(size):
            at += timedelta(seconds=rng.randrange(20, 240))
            n += 1
            events.append({"event_key": f"user_send_text:m{n}", "event_name": "user_send_text", "user_id": user,
                           "body": "{}", "received_at": at, "handled_at": at, "attempts": 0})
            outbound.append({"user_id": user, "text": "", "status": "sent" if n % 50 else "undelivered",
                             "attempts": 1, "created_at": at + timedelta(seconds=2)})
            if n % 25:  # one message in 25 is written into an open ticket, not decided by the bot
                kind, reason = rng.choice(DECISIONS)
                decisions.append({"created_at": at, "sender_id": user, "channel": "zalo", "text": "", "decision": kind,
                                  "intent": None, "faq_id": rng.choice(faqs) if kind == "answer" else None,
                                  "confidence": 0.9, "department": None, "candidates": "[]", "reason": reason})
    followers = []
    for i in range(FOLLOWERS + 600):
        at = daytime(rng.randrange(365))
        followers.append({"event_key": f"follow:f{i}", "event_name": "follow", "user_id": f"u{i}", "body": "{}",
                          "received_at": at, "handled_at": at, "attempts": 0})
        if i < 600:
            later = at + timedelta(days=rng.randrange(1, 30))
            followers.append({"event_key": f"unfollow:f{i}", "event_name": "unfollow", "user_id": f"u{i}", "body": "{}",
                              "received_at": later, "handled_at": later, "attempts": 0})
    tickets, ticket_events = [], []
    for i in range(1, TICKETS + 1):
        created = daytime(rng.randrange(365))
        first = created + timedelta(minutes=rng.randrange(5, 60 * 30))
        closed = first + timedelta(minutes=rng.randrange(5, 60 * 50))
        still_open = created > start + timedelta(days=360) and i % 3 == 0
        tickets.append({
            "id": i, "citizen_id": f"u{rng.randrange(CITIZENS)}", "channel": "zalo", "citizen_name": None, "question": "",
            "department_code": rng.choice(departments), "routing_reason": "", "status": "new" if still_open else "done",
            "open_citizen": None, "due_at": created + timedelta(hours=rng.choice([4, 8, 20, 30])), "holder_id": None,
            "created_at": created, "updated_at": closed, "last_citizen_at": created, "assigned_at": created,
            "first_response_at": None if still_open else first, "closed_at": None if still_open else closed,
            "closed_reason": None if still_open else ("resolved" if i % 11 else "cancelled_by_citizen"),
            "rating": None if still_open or i % 4 else rng.randint(3, 5), "rating_comment": None,
            "rated_at": None if still_open or i % 4 else closed + timedelta(minutes=5),
        })
        for kind, at in (("opened", created), ("citizen", created), ("officer_reply", first), ("closed", closed)):
            if not still_open or kind in ("opened", "citizen"):
                ticket_events.append({"ticket_id": i, "kind": kind, "staff_id": None, "text": "", "data": "{}", "created_at": at})
    snapshots, count = [], 4_200
    for day in range(365):
        count += rng.randrange(-1, 5)
        if day % 17 != 5:  # some days Zalo did not answer: they stay missing
            snapshots.append({"day": (start + timedelta(days=day)).date(), "num_follower": count,
                              "taken_at": start + timedelta(days=day, hours=1)})
    for table, rows in ((zalo_event, events + followers), (zalo_outbound, outbound), (decision_log, decisions),
                        (ticket, tickets), (ticket_event, ticket_events), (follower_snapshot, snapshots)):
        for offset in range(0, len(rows), CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(table), rows[offset:offset + CHUNK])
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), (SELECT max(id) FROM ticket))"))
    # as autovacuum would have by then: statistics, and PostgreSQL's visibility map for index-only scans
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def _short(value):
    return round(value, 3) if isinstance(value, float) else value


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (zalo_event, zalo_outbound, decision_log, ticket, ticket_event, follower_snapshot)}


def plans(engine: Engine, first: datetime, last: datetime) -> dict[str, list[str]]:
    out = {}
    with engine.connect() as conn:
        for name, sql in PLANS.items():
            if engine.dialect.name == "postgresql":
                sql = sql.replace("date(received_at, '+7 hours')", "date(timezone('Asia/Ho_Chi_Minh', received_at))")
                rows = conn.execute(text("EXPLAIN " + sql), {"a": first, "b": last}).all()
                out[name] = [r[0] for r in rows if "Index" in r[0] or "Scan" in r[0]]
            else:
                a, b = (v.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000000") for v in (first, last))
                rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), {"a": a, "b": b}).all()
                out[name] = [r[-1] for r in rows]
    return out


async def timed(app, cookie: str, path: str, runs: int) -> tuple[list[float], httpx.Response]:
    times, response = [], None
    print(f"  {path}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web.test",
                                 cookies={COOKIE: cookie}) as client:
        # the first request of a process also loads the unit profile and compiles templates
        began = time.perf_counter()
        await client.get("/bao-cao?ky=tuan-nay")
        print(f"  first request of the process (a week, not timed below): {(time.perf_counter() - began) * 1000:.0f} ms")
        for _ in range(runs):
            began = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return times, response


def run(label: str, engine: Engine, runs: int) -> dict:
    print(f"\n== {label}: {engine.url.render_as_string(hide_password=True)}")
    with engine.begin() as conn:
        upgrade(connection=conn)
    today = datetime.now(VIETNAM).date()
    began = time.perf_counter()
    seed(engine, today)
    print(f"seeded in {time.perf_counter() - began:.1f} s; rows: {counts(engine)}")
    leader = StaffDirectory(engine).create(f"bench.leader{os.getpid()}", "Lãnh đạo thử tải", "mat-khau-bench-123", LEADER)
    token, _ = StaffDirectory(engine).start_session(leader)
    app = create_app()
    app.dependency_overrides[services.engine] = lambda: engine
    first = today - timedelta(days=364)
    query = f"ky=tuy-chon&tu={first:%d/%m/%Y}&den={today:%d/%m/%Y}"
    page_times, page = asyncio.run(timed(app, token, f"/bao-cao?{query}", runs))
    book_times, book = asyncio.run(timed(app, token, f"/bao-cao/bao-cao.xlsx?{query}", runs))
    sheet = load_workbook(io.BytesIO(book.content))["Báo cáo"]
    figures = [[_short(c.value) for c in row if c.value is not None] for row in sheet.iter_rows(min_row=9)]
    result = {"page": page_times, "workbook": book_times, "page_kb": len(page.content) // 1024,
              "workbook_kb": len(book.content) // 1024}
    print(f"report page, a year: median {statistics.median(page_times) * 1000:.0f} ms, max {max(page_times) * 1000:.0f} ms"
          f" ({result['page_kb']} KB HTML)  target <= 1000 ms")
    print(f"workbook, a year:    median {statistics.median(book_times) * 1000:.0f} ms, max {max(book_times) * 1000:.0f} ms"
          f" ({result['workbook_kb']} KB)  target <= 5000 ms")
    print("the workbook's tables (a year; the previous year is not seeded, so its column is 0):")
    for values in figures:
        if values and not str(values[0]).startswith("Số liệu lập"):
            print("  " + " | ".join(str(v) for v in values))
    start = datetime.combine(first, clock_time(0), VIETNAM)
    month_start = datetime.combine(today.replace(day=1), clock_time(0), VIETNAM)
    for span, (a, b) in (("a year", (start, start + timedelta(days=365))),
                         ("this month", (month_start, month_start + timedelta(days=31)))):
        for name, lines in plans(engine, a, b).items():
            print(f"plan for {span}, {name}:")
            for line in lines:
                print(f"    {line.strip()}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to create (default: a temporary one)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema bench_report afterwards")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    failed = False
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite or Path(tmp) / "report-bench.db"
        path.unlink(missing_ok=True)
        if not args.no_sqlite:
            results["sqlite"] = run("SQLite", create_engine(f"sqlite:///{path}", future=True), args.runs)
    if not args.no_postgres:
        schema = "bench_report"
        admin = create_engine(args.postgres, future=True)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(make_url(args.postgres).update_query_dict({"options": f"-csearch_path={schema}"}), future=True)
        try:
            results["postgresql"] = run("PostgreSQL", engine, args.runs)
        finally:
            engine.dispose()
            if not args.keep:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    print("\nsummary (median of runs):")
    for backend, result in results.items():
        page, book = statistics.median(result["page"]), statistics.median(result["workbook"])
        ok = page <= 1.0 and book <= 5.0
        failed |= not ok
        print(f"  {backend:10} page {page * 1000:6.0f} ms   workbook {book * 1000:6.0f} ms   {'ok' if ok else 'OVER TARGET'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
