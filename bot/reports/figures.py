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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection, Engine

from bot.db import (
    answer_feedback, decision_log, follower_snapshot, kb_faq, ticket, utc_now, zalo_event, zalo_outbound,
)
from bot.handoff.departments import Department, Departments
from bot.handoff.office_hours import VIETNAM, ClosedForever, OfficeHours
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
    """The figures of `period`; `departments` limits them to those (an officer's), None: the unit."""
    now = now or utc_now()
    units = Departments(engine)
    known = units.all()
    shown = [d for d in known if departments is None or d.code in departments]
    figures = Figures(period, whole_unit=departments is None)
    with engine.connect() as conn:
        day = _vn_day(conn)
        if figures.whole_unit:
            _traffic(conn, figures, day, with_days)
            _decisions(conn, figures, day, with_days)
            _faqs(conn, figures)
            _followers(conn, figures, day, with_days)
        _tickets(conn, figures, shown, now)
    return figures


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def working_hours(hours: OfficeHours, start: datetime, end: datetime) -> float:
    try:
        return hours.working_time_between(start, end).total_seconds() / 3600
    except ClosedForever:
        return (end - start).total_seconds() / 3600


def response_bucket(hours: OfficeHours, start: datetime, end: datetime, working: float) -> str:
    """Which column of the first-response distribution a reply falls in."""
    if working < 1:
        return BUCKETS[0]
    if working <= 4:
        return BUCKETS[1]
    first, answered = start.astimezone(VIETNAM).date(), end.astimezone(VIETNAM).date()
    if answered == first:
        return BUCKETS[2]
    following = first + timedelta(days=1)
    for _ in range(30):
        if hours.is_working_day(following):
            break
        following += timedelta(days=1)
    return BUCKETS[3] if answered <= following else BUCKETS[4]


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


def _traffic(conn: Connection, figures: Figures, day, with_days: bool) -> None:
    period = figures.period
    messages = and_(zalo_event.c.event_name.in_(USER_MESSAGES), _within(zalo_event.c.received_at, period))
    figures.citizens = conn.execute(select(func.count(func.distinct(zalo_event.c.user_id))).where(messages)).scalar_one()
    per_day = select(day(zalo_event.c.received_at).label("day"), func.count().label("n"),
                     func.count(func.distinct(zalo_event.c.user_id)).label("people")).where(messages).group_by("day")
    rows = _day_rows(figures) if with_days else {}
    for row in conn.execute(per_day):
        figures.messages_in += row.n
        figures.conversations += row.people
        if (target := rows.get(_as_date(row.day))) is not None:
            target.messages_in, target.conversations = row.n, row.people
    figures.messages_out = conn.execute(select(func.count()).where(and_(
        _within(zalo_outbound.c.created_at, period), zalo_outbound.c.status == "sent"))).scalar_one()


def _decisions(conn: Connection, figures: Figures, day, with_days: bool) -> None:
    within = _within(decision_log.c.created_at, figures.period)
    query = (select(decision_log.c.decision, decision_log.c.reason, func.count().label("n"))
             .where(within).group_by(decision_log.c.decision, decision_log.c.reason))
    for row in conn.execute(query):
        figures.decisions[row.decision] += row.n
        group = handoff_group(row.decision, row.reason)
        if group is not None:
            figures.handoffs[group] += row.n
    if not with_days:
        return
    rows = _day_rows(figures)
    per_day = (select(day(decision_log.c.created_at).label("day"), decision_log.c.decision, func.count().label("n"))
               .where(and_(within, decision_log.c.decision != "smalltalk")).group_by("day", decision_log.c.decision))
    for row in conn.execute(per_day):
        if (target := rows.get(_as_date(row.day))) is not None:
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


def _followers(conn: Connection, figures: Figures, day, with_days: bool) -> None:
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
    by_code = {d.code: DepartmentFigures(d.code, d.name) for d in shown}
    figures.departments = list(by_code.values())
    if not by_code:
        return
    hours = {d.code: d.hours for d in shown}
    reaches_now = period.start <= now < period.end + timedelta(days=1)
    if reaches_now:
        for item in figures.departments:
            item.overdue_now = 0
    columns = (ticket.c.department_code, ticket.c.status, ticket.c.created_at, ticket.c.assigned_at,
               ticket.c.first_response_at, ticket.c.closed_at, ticket.c.closed_reason, ticket.c.due_at,
               ticket.c.rating, ticket.c.rated_at)
    alive = and_(ticket.c.department_code.in_(list(by_code)), ticket.c.created_at < period.end,
                 or_(ticket.c.closed_at.is_(None), ticket.c.closed_at >= period.start,
                     ticket.c.rated_at >= period.start))
    first: dict[str, list[tuple[float, float]]] = defaultdict(list)
    resolution: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in conn.execute(select(*columns).where(alive)):
        item, office = by_code[row.department_code], hours[row.department_code]
        assigned = row.assigned_at or row.created_at
        if period.start <= row.created_at < period.end:
            item.received += 1
        if row.closed_at is None or row.closed_at >= period.end:
            item.open_at_end += 1
        if reaches_now and row.status != "done" and row.due_at <= now:
            item.overdue_now += 1
        if row.first_response_at is not None and period.start <= row.first_response_at < period.end:
            working = working_hours(office, assigned, row.first_response_at)
            first[row.department_code].append((working, _clock_hours(assigned, row.first_response_at)))
            item.distribution[response_bucket(office, assigned, row.first_response_at, working)] += 1
        if row.closed_at is not None and period.start <= row.closed_at < period.end:
            if row.closed_reason == "resolved":
                item.resolved += 1
                item.resolved_on_time += row.closed_at <= row.due_at
                resolution[row.department_code].append(
                    (working_hours(office, assigned, row.closed_at), _clock_hours(assigned, row.closed_at)))
            else:
                item.cancelled += 1
        if row.rating is not None and row.rated_at is not None and period.start <= row.rated_at < period.end:
            item.ratings += 1
            item.rating_total += row.rating
    for code, item in by_code.items():
        item.first_response = _durations(first.get(code, []))
        item.resolution = _durations(resolution.get(code, []))


def _clock_hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def _durations(pairs: list[tuple[float, float]]) -> Durations:
    working, clock = [p[0] for p in pairs], [p[1] for p in pairs]
    return Durations(len(pairs), percentile(working, 0.5), percentile(working, 0.9),
                     percentile(clock, 0.5), percentile(clock, 0.9))
