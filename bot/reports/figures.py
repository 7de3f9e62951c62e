"""The report's figures for one period, computed from what the bot records (no text is read).

Definitions a leader can rely on (also printed under the tables):
* a message in is a citizen's Zalo message event (`zalo_event` user_send_*); a message out is a
  reply Zalo accepted (`zalo_outbound` sent); a conversation is one citizen's messages on one
  Vietnam day;
* a question is a decision of the bot that is not smalltalk; the bot closed it without a person
  when the decision was not a handoff;
* a ticket belongs to the department that holds it now; a transfer starts that department's clock
  (`ticket.assigned_at`, as its due time does), so first response and resolution are measured
  from the transfer, with the receiving department's office hours and the unit's holidays;
* percentiles are nearest-rank: the median of 1, 2, 3, 4 is 2.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.engine import Connection, Engine

from bot.db import (
    answer_feedback, decision_log, follower_snapshot, kb_faq, ticket, utc_now, zalo_event, zalo_outbound,
)
from bot.handoff.departments import Department, Departments
from bot.handoff.office_hours import OfficeHours
from bot.reports.periods import Period

USER_MESSAGES = (
    "user_send_text", "user_send_image", "user_send_sticker", "user_send_file", "user_send_location",
    "user_send_link", "user_send_audio", "user_send_video", "user_send_gif", "user_send_business_card",
)
ASKED_FOR_PERSON, LOW_CONFIDENCE, ALWAYS_HUMAN, PERSONAL_CASE, OUT_OF_SCOPE = (
    "request_human", "low_confidence", "always_human", "personal_case", "out_of_scope")
HANDOFF_REASONS = {
    ASKED_FOR_PERSON: "Công dân muốn gặp cán bộ",
    LOW_CONFIDENCE: "Trợ lý ảo chưa đủ chắc chắn",
    ALWAYS_HUMAN: "Chủ đề luôn do cán bộ trả lời",
    PERSONAL_CASE: "Trường hợp riêng của công dân",
    OUT_OF_SCOPE: "Ngoài phạm vi (không phải việc hành chính)",
}
BUCKETS = ("Dưới 1 giờ", "1–4 giờ", "Trong ngày", "Ngày làm việc kế tiếp", "Lâu hơn")
POPULATION = {
    "aged_14_plus": "Người từ 14 tuổi trở lên",
    "smartphone_users": "Người dùng điện thoại thông minh",
    "vneid_level2": "Tài khoản định danh điện tử mức 2 (VNeID)",
}


def handoff_group(decision: str, reason: str) -> str | None:
    """Which of the report's groups a decision falls in (None: the bot handled it)."""
    if decision == "out_of_scope":
        return OUT_OF_SCOPE
    if decision != "handoff":
        return None
    if reason == "request_human":
        return ASKED_FOR_PERSON
    if reason.startswith("personal_case"):
        return PERSONAL_CASE
    if reason in ("low_confidence", "unknown_intent", "no_prediction", "repeated_failure"):
        return LOW_CONFIDENCE
    # other_procedure:*, not_covered:* and topics that always go to people (phản ánh, khiếu nại)
    return ALWAYS_HUMAN


@dataclass(frozen=True)
class Durations:
    count: int = 0
    working_median: float | None = None  # hours
    working_p90: float | None = None
    clock_median: float | None = None
    clock_p90: float | None = None


@dataclass
class DepartmentFigures:
    code: str
    name: str
    received: int = 0
    resolved: int = 0
    cancelled: int = 0
    open_at_end: int = 0
    overdue_now: int | None = None  # only for a period that reaches today
    resolved_on_time: int = 0
    first_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    distribution: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    ratings: int = 0
    rating_total: int = 0

    @property
    def on_time_share(self) -> float | None:
        return self.resolved_on_time / self.resolved if self.resolved else None

    @property
    def rating_average(self) -> float | None:
        return self.rating_total / self.ratings if self.ratings else None


@dataclass
class DayFigures:
    day: date
    messages_in: int = 0
    conversations: int = 0
    questions: int = 0
    closed_by_bot: int = 0
    follows: int = 0
    unfollows: int = 0
    followers: int | None = None  # the day's snapshot; None: not taken

    @property
    def bot_share(self) -> float | None:
        return self.closed_by_bot / self.questions if self.questions else None


@dataclass(frozen=True)
class FaqLine:
    faq_id: str
    title: str
    answered: int = 0
    helpful: int = 0
    not_helpful: int = 0


@dataclass
class Figures:
    period: Period
    whole_unit: bool
    citizens: int = 0
    conversations: int = 0
    messages_in: int = 0
    messages_out: int = 0
    decisions: Counter = field(default_factory=Counter)  # answer, clarify, handoff, smalltalk, out_of_scope
    handoffs: Counter = field(default_factory=Counter)  # by HANDOFF_REASONS key
    departments: list[DepartmentFigures] = field(default_factory=list)
    days: list[DayFigures] = field(default_factory=list)
    top_faqs: list[FaqLine] = field(default_factory=list)
    unhelpful_faqs: list[FaqLine] = field(default_factory=list)
    helpful: int = 0
    not_helpful: int = 0
    follows: int = 0
    unfollows: int = 0
    followers_at_end: int | None = None
    followers_day: date | None = None
    snapshot_days: int = 0

    @property
    def questions(self) -> int:
        return sum(n for kind, n in self.decisions.items() if kind != "smalltalk")

    @property
    def closed_by_bot(self) -> int:
        return self.questions - self.decisions.get("handoff", 0)

    @property
    def bot_share(self) -> float | None:
        return self.closed_by_bot / self.questions if self.questions else None

    @property
    def unanswered(self) -> int:
        """Questions the bot did not answer (curation's "chưa trả lời được")."""
        return sum(self.decisions.get(kind, 0) for kind in ("handoff", "clarify", "out_of_scope"))

    @property
    def net_followers(self) -> int:
        return self.follows - self.unfollows

    def total(self, name: str) -> int:
        return sum(getattr(d, name) for d in self.departments)

    @property
    def on_time_share(self) -> float | None:
        resolved = self.total("resolved")
        return self.total("resolved_on_time") / resolved if resolved else None

    @property
    def rating_average(self) -> float | None:
        count = self.total("ratings")
        return self.total("rating_total") / count if count else None


def compute(engine: Engine, period: Period, departments: list[str] | None = None,
            now: datetime | None = None, with_days: bool = True) -> Figures:
    """The figures of `period`; `departments` limits them to those (an officer's), None: the unit.

    A period that ended before today hardly changes (rows are kept, erasure keeps the counts; only
    a later transfer moves a ticket's department): its figures are kept in memory for an hour, so
    the previous period beside each figure is not read again on every page.
    """
    now = now or utc_now()
    shown = tuple(d for d in Departments(engine).all() if departments is None or d.code in departments)
    closed = period.end <= now - timedelta(days=1)
    key = (str(engine.url), period, tuple(departments) if departments is not None else None, with_days,
           tuple((d.code, d.hours, d.name) for d in shown))
    kept = _CLOSED.get(key) if closed else None
    if kept is not None and kept[0] > now - _KEEP_CLOSED:
        return kept[1]
    figures = Figures(period, whole_unit=departments is None)
    if figures.whole_unit and with_days:
        _day_rows(figures)
    parts = [(_tickets, (figures, list(shown), now))]
    if figures.whole_unit:
        parts += [(_traffic, (figures, with_days)), (_citizens, (figures,)), (_decisions, (figures, with_days)), (_faqs, (figures,)),
                  (_followers, (figures, with_days))]
    # The parts read different tables and write different fields; SQLite and the database driver
    # release the GIL while a query runs, so a year's scans overlap instead of adding up.
    if engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        for part, args in parts:  # each connection to a memory database is another database
            _on_connection(engine, part, args)
    else:
        for future in [_POOL.submit(_on_connection, engine, part, args) for part, args in parts]:
            future.result()
    if closed:
        if len(_CLOSED) >= _CLOSED_LIMIT:
            _CLOSED.pop(next(iter(_CLOSED)))
        _CLOSED[key] = (now, figures)
    return figures


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="report")
_CLOSED: dict = {}
_CLOSED_LIMIT = 64
_KEEP_CLOSED = timedelta(hours=1)


def _on_connection(engine: Engine, part, args) -> None:
    with engine.connect() as conn:
        part(conn, *args)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# ---- the queries
def _vn_day(conn: Connection):
    """A Vietnam date of a stored UTC time, as SQL for this backend."""
    if conn.dialect.name == "postgresql":
        return lambda column: func.date(func.timezone("Asia/Ho_Chi_Minh", column))
    return lambda column: func.date(column, "+7 hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _day_rows(figures: Figures) -> dict[date, DayFigures]:
    if not figures.days:
        figures.days = [DayFigures(d) for d in figures.period.days]
    return {d.day: d for d in figures.days}


def _within(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _traffic(conn: Connection, figures: Figures, with_days: bool) -> None:
    day = _vn_day(conn)
    messages = and_(zalo_event.c.event_name.in_(USER_MESSAGES), _within(zalo_event.c.received_at, figures.period))
    if conn.dialect.name == "postgresql":
        # PostgreSQL sorts for count(DISTINCT); grouping twice hashes instead (0.28 -> 0.21 s a year)
        pairs = (select(day(zalo_event.c.received_at).label("day"), func.count().label("n"))
                 .where(messages).group_by("day", zalo_event.c.user_id).subquery())
        per_day = select(pairs.c.day, func.sum(pairs.c.n).label("n"), func.count().label("people")).group_by(pairs.c.day)
    else:
        per_day = select(day(zalo_event.c.received_at).label("day"), func.count().label("n"),
                         func.count(func.distinct(zalo_event.c.user_id)).label("people")).where(messages).group_by("day")
    rows = _day_rows(figures) if with_days else {}
    for row in conn.execute(per_day):
        figures.messages_in += int(row.n)
        figures.conversations += row.people
        if (target := rows.get(_as_date(row.day))) is not None:
            target.messages_in, target.conversations = int(row.n), row.people


def _citizens(conn: Connection, figures: Figures) -> None:
    messages = and_(zalo_event.c.event_name.in_(USER_MESSAGES), _within(zalo_event.c.received_at, figures.period))
    people = select(zalo_event.c.user_id).where(messages).distinct().subquery()
    figures.citizens = conn.execute(select(func.count()).select_from(people)).scalar_one()
    figures.messages_out = conn.execute(select(func.count()).where(and_(
        _within(zalo_outbound.c.created_at, figures.period), zalo_outbound.c.status == "sent"))).scalar_one()


def _decisions(conn: Connection, figures: Figures, with_days: bool) -> None:
    day = _vn_day(conn)
    # one pass over the period: per day, decision and reason (a few thousand rows for a year)
    query = (select(day(decision_log.c.created_at).label("day"), decision_log.c.decision, decision_log.c.reason,
                    func.count().label("n"))
             .where(_within(decision_log.c.created_at, figures.period))
             .group_by("day", decision_log.c.decision, decision_log.c.reason))
    rows = _day_rows(figures) if with_days else {}
    for row in conn.execute(query):
        figures.decisions[row.decision] += row.n
        group = handoff_group(row.decision, row.reason)
        if group is not None:
            figures.handoffs[group] += row.n
        if row.decision != "smalltalk" and (target := rows.get(_as_date(row.day))) is not None:
            target.questions += row.n
            if row.decision != "handoff":
                target.closed_by_bot += row.n


def _faqs(conn: Connection, figures: Figures, limit: int = 10) -> None:
    titles = dict(conn.execute(select(kb_faq.c.id, kb_faq.c.title)).all())
    answered = dict(conn.execute(
        select(decision_log.c.faq_id, func.count()).where(and_(
            _within(decision_log.c.created_at, figures.period), decision_log.c.decision == "answer"))
        .group_by(decision_log.c.faq_id)).all())
    feedback: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for faq_id, helpful, n in conn.execute(
            select(answer_feedback.c.faq_id, answer_feedback.c.helpful, func.count())
            .where(_within(answer_feedback.c.created_at, figures.period))
            .group_by(answer_feedback.c.faq_id, answer_feedback.c.helpful)):
        feedback[faq_id or ""][0 if helpful else 1] += n
    figures.helpful = sum(v[0] for v in feedback.values())
    figures.not_helpful = sum(v[1] for v in feedback.values())

    def line(faq_id: str) -> FaqLine:
        yes, no = feedback.get(faq_id, (0, 0))
        return FaqLine(faq_id, titles.get(faq_id, faq_id), answered.get(faq_id, 0), yes, no)

    ranked = sorted((f for f in answered if f), key=lambda f: (-answered[f], f))[:limit]
    figures.top_faqs = [line(f) for f in ranked]
    unhelpful = sorted((f for f, v in feedback.items() if f and v[1]), key=lambda f: (-feedback[f][1], f))[:limit]
    figures.unhelpful_faqs = [line(f) for f in unhelpful]


def _followers(conn: Connection, figures: Figures, with_days: bool) -> None:
    day = _vn_day(conn)
    period = figures.period
    rows = _day_rows(figures) if with_days else {}
    query = (select(day(zalo_event.c.received_at).label("day"), zalo_event.c.event_name, func.count().label("n"))
             .where(and_(zalo_event.c.event_name.in_(("follow", "unfollow")), _within(zalo_event.c.received_at, period)))
             .group_by("day", zalo_event.c.event_name))
    for row in conn.execute(query):
        target = rows.get(_as_date(row.day))
        if row.event_name == "follow":
            figures.follows += row.n
            if target:
                target.follows = row.n
        else:
            figures.unfollows += row.n
            if target:
                target.unfollows = row.n
    snapshots = conn.execute(select(follower_snapshot.c.day, follower_snapshot.c.num_follower).where(and_(
        follower_snapshot.c.day >= period.first, follower_snapshot.c.day <= period.last))).all()
    figures.snapshot_days = len(snapshots)
    for snap_day, count in snapshots:
        if (target := rows.get(snap_day)) is not None:
            target.followers = count
    latest = conn.execute(select(follower_snapshot.c.day, follower_snapshot.c.num_follower)
                          .where(follower_snapshot.c.day <= period.last)
                          .order_by(follower_snapshot.c.day.desc()).limit(1)).first()
    if latest is not None:
        figures.followers_day, figures.followers_at_end = latest


def _tickets(conn: Connection, figures: Figures, shown: list[Department], now: datetime) -> None:
    period = figures.period
    start, end, at_now = period.start.timestamp(), period.end.timestamp(), now.timestamp()
    by_code = {d.code: DepartmentFigures(d.code, d.name) for d in shown}
    figures.departments = list(by_code.values())
    if not by_code:
        return
    reaches_now = start <= at_now < end + 86400
    if reaches_now:
        for item in figures.departments:
            item.overdue_now = 0
    # Times as epoch seconds from the database: a year's 8,000 tickets as datetimes cost more
    # than the whole query.
    epoch = _epoch(conn)
    columns = (ticket.c.department_code, ticket.c.status, ticket.c.closed_reason, ticket.c.rating,
               epoch(ticket.c.created_at), epoch(func.coalesce(ticket.c.assigned_at, ticket.c.created_at)),
               epoch(ticket.c.first_response_at), epoch(ticket.c.closed_at), epoch(ticket.c.due_at),
               epoch(ticket.c.rated_at))
    alive = and_(ticket.c.department_code.in_(list(by_code)), ticket.c.created_at < period.end,
                 or_(ticket.c.closed_at.is_(None), ticket.c.closed_at >= period.start,
                     ticket.c.rated_at >= period.start))
    rows = conn.execute(select(*columns).where(alive)).all()
    earliest = min((r[5] for r in rows), default=start)
    first_day = date.fromordinal(int((earliest + _VIETNAM_SECONDS) // 86400) + _EPOCH_ORDINAL)
    clocks = {d.code: WorkingClock(d.hours, first_day) for d in shown}
    first: dict[str, list[tuple[float, float]]] = defaultdict(list)
    resolution: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for code, status, closed_reason, rating, created, assigned, responded, closed, due, rated in rows:
        item, office = by_code[code], clocks[code]
        if start <= created < end:
            item.received += 1
        if closed is None or closed >= end:
            item.open_at_end += 1
        if reaches_now and status != "done" and due <= at_now:
            item.overdue_now += 1
        if responded is not None and start <= responded < end:
            working = office.hours_between(assigned, responded)
            first[code].append((working, max(0.0, (responded - assigned) / 3600)))
            item.distribution[office.bucket(assigned, responded, working)] += 1
        if closed is not None and start <= closed < end:
            if closed_reason == "resolved":
                item.resolved += 1
                item.resolved_on_time += closed <= due + 0.5  # stored times may lose sub-second digits
                resolution[code].append((office.hours_between(assigned, closed), max(0.0, (closed - assigned) / 3600)))
            else:
                item.cancelled += 1
        if rating is not None and rated is not None and start <= rated < end:
            item.ratings += 1
            item.rating_total += rating
    for code, item in by_code.items():
        item.first_response = _durations(first.get(code, []))
        item.resolution = _durations(resolution.get(code, []))


def _epoch(conn: Connection):
    """Seconds since 1970 (UTC) of a stored time, as SQL for this backend."""
    if conn.dialect.name == "postgresql":
        return lambda column: cast(func.extract("epoch", column), Float)  # numeric since PostgreSQL 14
    # SQLite keeps UTC text (bot.db.UtcDateTime); julianday reads it
    return lambda column: (func.julianday(column) - 2440587.5) * 86400.0


class WorkingClock:
    """Working hours between two moments in O(1): the open time before each day is summed once.

    Gives what OfficeHours.working_time_between gives (a test holds them equal); walking the
    periods one by one took 0.4 s for a year's 8,000 tickets.
    """

    def __init__(self, hours: OfficeHours, first_day: date) -> None:
        self.hours = hours
        self._first = first_day.toordinal()
        self._before: list[float] = [0.0]  # open seconds before day first + n
        self._open: list[bool] = []
        self._spans = [(s.hour * 3600 + s.minute * 60 + s.second, e.hour * 3600 + e.minute * 60 + e.second)
                       for s, e in hours.periods]
        self._day_total = float(sum(e - s for s, e in self._spans))

    def hours_between(self, start: float, end: float) -> float:
        """Working hours from `start` to `end`, both in epoch seconds."""
        if end <= start:
            return 0.0
        return (self._offset(end) - self._offset(start)) / 3600

    def bucket(self, start: float, end: float, working: float) -> str:
        """Which column of the first-response distribution a reply falls in."""
        if working < 1:
            return BUCKETS[0]
        if working <= 4:
            return BUCKETS[1]
        first, answered = (int((t + _VIETNAM_SECONDS) // 86400) + _EPOCH_ORDINAL for t in (start, end))
        if answered == first:
            return BUCKETS[2]
        following = date.fromordinal(first + 1)
        for _ in range(30):
            if self.hours.is_working_day(following):
                break
            following += timedelta(days=1)
        return BUCKETS[3] if answered <= following.toordinal() else BUCKETS[4]

    def _offset(self, at: float) -> float:
        # Vietnam has one offset all year: local seconds are the epoch seconds plus 7 hours
        local = at + _VIETNAM_SECONDS
        day, second = divmod(local, 86400)
        index = int(day) + _EPOCH_ORDINAL - self._first
        if index < 0:  # earlier than the tickets read: start the table there
            self.__init__(self.hours, date.fromordinal(int(day) + _EPOCH_ORDINAL))
            index = 0
        while len(self._open) <= index:
            is_open = self.hours.is_working_day(date.fromordinal(self._first + len(self._open)))
            self._open.append(is_open)
            self._before.append(self._before[-1] + (self._day_total if is_open else 0.0))
        if not self._open[index]:
            return self._before[index]
        return self._before[index] + sum(min(max(second - s, 0), e - s) for s, e in self._spans)


_VIETNAM_SECONDS = 7 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _durations(pairs: list[tuple[float, float]]) -> Durations:
    working, clock = [p[0] for p in pairs], [p[1] for p in pairs]
    return Durations(len(pairs), percentile(working, 0.5), percentile(working, 0.9),
                     percentile(clock, 0.5), percentile(clock, 0.9))
