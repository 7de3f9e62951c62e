"""Curating the knowledge base under /bien-tap/ (editors), and "dạy bot" from a ticket (officers).

Thin adapters over bot/faq: the FAQ list and search, the edit page with the answer as Zalo
shows it, history with diffs, conflicts, the messages the bot could not answer, officers'
proposals, and publishing (train in the background, gate, roll back). Every change is audited,
by the service that makes it, in the change's own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from starlette.datastructures import FormData

from bot.faq.conflicts import Conflicts
from bot.faq.editing import (
    CONFIDENCE_NAMES, REVISION_NAMES, STYLE_NAMES, FaqForm, blank_faq, diff, form_snapshot, preview, read_form,
    revision_action, subcase_choices, vn_number, with_questions,
)
from bot.faq.knowledge_base import ANSWER_LIMIT, QUESTION_STYLES, Faq
from bot.faq.publish import BUSY, FAILED, GATING, LIVE, QUEUED, REFUSED, RETIRED, TRAINING, UNCHANGED, Publisher, Release
from bot.faq.store import FaqInvalid, FaqRecord, KnowledgeStore, VersionConflict, snapshot
from bot.faq.suggestions import ACCEPTED, SuggestionError, Suggestions, likely_faq, teachable_replies
from bot.faq.unanswered import DECISION_NAMES, LARGEST, NEW_FAQ, NEWEST, Group, UnansweredMessages, parse_ids
from bot.faq.checks import QUESTIONS, FaqProblem
from bot.text.fold import fold_key
from bot.handoff.departments import Departments
from bot.handoff.staff import EDITOR, Session, Staff
from bot.handoff.errors import TicketNotFound
from bot.handoff.tickets import TicketDesk
from bot.web import services
from bot.web import error_messages
from bot.web.auth import check_csrf, require_role
from bot.web.names import author_name, people
from bot.web.pages import FLASH, PageError, PageRoute, redirect, render, sentence, templates, vn_time
from bot.web.routers import inbox as inbox_pages

router = APIRouter(route_class=PageRoute, tags=["curation"])
editor_only = require_role(EDITOR)
HOME = "/bien-tap/"
# What each `confidence` level means, in an officer's words; the rule that sets it is in data/faq/FORMAT.md.
CONFIDENCE_MEANINGS = {
    "high": "Cao: mọi số liệu trong câu trả lời đã đối chiếu với văn bản gốc, nói chắc được.",
    "medium": "Trung bình: phần chính đã kiểm chứng, còn chi tiết chưa chắc — câu trả lời nói thận trọng và chỉ chỗ hỏi lại.",
    "low": "Thấp: có số liệu chưa kiểm chứng — câu trả lời phải nói rõ chỗ cần hỏi lại cán bộ.",
}
GROUPS_PER_PAGE = 40
NO_PUBLISHER = ("Máy chủ web này đang chạy không có bộ xuất bản (ZALO_GATEWAY=off), nên chưa xuất bản hay quay lại "
                "được. Hãy chạy máy chủ web đầy đủ (có kênh Zalo) rồi thử lại.")
# `?tb=<code>` after a redirect: the URL names a message, the numbers come from so= and truoc=.
NOTICES = {
    "saved": "Đã lưu. Bot sẽ dùng nội dung mới sau lần xuất bản tới.",
    "unchanged": "Không có thay đổi nào để lưu.",
    "created": "Đã tạo FAQ mới. Bot sẽ dùng FAQ này sau lần xuất bản tới.",
    "added": "Đã thêm cách hỏi vào FAQ; {so} tin nhắn đã được đánh dấu là đã xem.",
    "dismissed": "Đã bỏ qua {so} tin nhắn.",
    "suggestion_added": "Đã thêm câu hỏi của đề xuất làm cách hỏi mới.",
    "suggestion_dismissed": "Đã bỏ qua đề xuất.",
    "started": "Đã bắt đầu xuất bản #{so}: bot được huấn luyện trong nền, trang web và bot vẫn hoạt động bình thường.",
    "queued": ("Đã nhận yêu cầu xuất bản #{so}. Đang có {truoc} lượt xuất bản chạy hoặc chờ trước, nên yêu cầu của "
               "bạn đã vào hàng đợi và sẽ tự chạy khi các lượt đó xong."),
    "rolled_back": "Đã quay lại bản #{so}: bot đang trả lời bằng mô hình của bản này.",
}
# Shown by pages this router does not render (the ticket page, the audit log).
FLASH["taught"] = "Đã gửi đề xuất dạy bot cho biên tập viên. Cảm ơn bạn!"
templates.env.globals["teach_replies"] = teachable_replies
templates.env.filters["vn_number"] = vn_number
templates.env.filters["author"] = author_name


@dataclass(frozen=True)
class Desk:
    """One editor's request: who, and the services to answer with."""
    member: Staff
    db: Engine
    store: KnowledgeStore
    units: Departments

    def department_names(self) -> dict[str, str]:
        return {d.code: d.name for d in self.units.all()}


def desk(member: Staff = Depends(editor_only), db: Engine = Depends(services.engine),
         store: KnowledgeStore = Depends(services.knowledge_store), units: Departments = Depends(services.departments)) -> Desk:
    return Desk(member, db, store, units)


async def form_data(request: Request) -> FormData:
    return await request.form()


def publisher_of(request: Request) -> Publisher | None:
    """The running publisher; None when the web process runs without it (ZALO_GATEWAY=off)."""
    return getattr(request.app.state, "publisher", None)


def _notice(request: Request) -> str:
    template = NOTICES.get(request.query_params.get("tb", ""), "")
    numbers = {k: request.query_params.get(k, "") for k in ("so", "truoc")}
    return template.format(**{k: v if v.isdigit() else "" for k, v in numbers.items()}) if template else ""


def _page(request: Request, box: Desk, name: str, context: dict[str, Any], section: str, status: int = 200) -> Response:
    base = {"section": section, "notice": _notice(request), "open_suggestions": Suggestions(box.db).count_open(),
            "people": people(box.db)}
    return render(request, name, {**base, **context}, status=status)


def _record(box: Desk, faq_id: str) -> FaqRecord:
    try:
        return box.store.get(faq_id)
    except KeyError:
        raise PageError(404, "Không có FAQ này.") from None


# ---- list and search
@router.get(HOME)
def faq_list(request: Request, q: str = "", trang_thai: str = "", box: Desk = Depends(desk)) -> Response:
    records = box.store.search(q, limit=1000) if q.strip() else box.store.all()
    everything = len(records)
    if trang_thai == "dang-dung":
        records = [r for r in records if r.active]
    elif trang_thai == "ngung":
        records = [r for r in records if not r.active]
    return _page(request, box, "curation_list.html", {
        "records": records, "q": q, "status_filter": trang_thai, "found": everything,
        "names": box.department_names(),
    }, "faqs")


# ---- one FAQ
@dataclass(frozen=True)
class PublishState:
    kind: str  # live | pending | new
    text: str


def publish_state(record: FaqRecord | None, live: Release | None) -> PublishState:
    """Whether citizens already get this FAQ as saved: it was saved before the live release was built."""
    if record is None:
        return PublishState("new", "FAQ mới: bot dùng sau khi lưu và xuất bản.")
    if record.updated_by == "seed":  # as the data files came: in every model, the starter's too
        return PublishState("live", "Bot đang trả lời bằng nội dung này (dữ liệu ban đầu).")
    if live is None:
        if record.version == 1:
            return PublishState("live", "Bot đang trả lời bằng nội dung này (dữ liệu ban đầu).")
        return PublishState("pending", "Đã lưu nhưng chưa xuất bản: công dân vẫn nhận nội dung cũ.")
    built = live.started_at or live.requested_at
    if record.updated_at and built and record.updated_at <= built:
        return PublishState("live", f"Bot đang trả lời bằng nội dung này (bản xuất bản #{live.id}).")
    return PublishState("pending", f"Đã lưu sau lần xuất bản #{live.id}: công dân vẫn nhận nội dung cũ cho tới lần xuất bản tới.")


def find_variant(faq: Faq, text: str) -> tuple[str, int] | None:
    """(style, index) of the question `text` (compared without diacritics), to open its group."""
    wanted = fold_key(text)
    for style in QUESTION_STYLES:
        for index, question in enumerate(faq.questions.get(style, ())):
            if wanted and fold_key(question) == wanted:
                return style, index
    return None


def _edit_page(request: Request, box: Desk, form: FaqForm, version: int | None, record: FaqRecord | None,
               problems: list[FaqProblem] | None = None, conflict: FaqRecord | None = None,
               extra: dict[str, Any] | None = None, status: int = 200) -> Response:
    names = box.department_names()
    shown = preview(form.faq, box.store.unit, names.get(form.faq.department, form.faq.department))
    context = {
        "record": record, "faq": form.faq, "active": form.active, "version": version, "is_new": record is None,
        "departments": box.units.all(), "names": names, "preview": shown, "limit": ANSWER_LIMIT,
        "unit": box.store.unit, "styles": STYLE_NAMES, "style_order": QUESTION_STYLES, "confidences": CONFIDENCE_NAMES,
        "confidence_meanings": CONFIDENCE_MEANINGS, "subcases": subcase_choices(),
        "problems": [sentence(p) for p in problems or ()], "conflict": conflict,
        "conflict_changes": diff(snapshot(conflict.faq, conflict.active), form_snapshot(form), names) if conflict else [],
        "decision_ids": "", "suggestion_id": "",
        "publish_state": publish_state(record, next((r for r in _reader(request, box.db).releases(20) if r.live), None)),
        "open_variants": any(p.field == QUESTIONS for p in problems or ()), "open_keywords": False,
        "found_style": None, "found_index": None,
    }
    found = find_variant(form.faq, request.query_params.get("tim", "")[:500])
    if found:
        context["found_style"], context["found_index"] = found
    context.update(extra or {})
    return _page(request, box, "curation_edit.html", context, "faqs", status)


@router.get(HOME + "faq/{faq_id}")
def edit_page(request: Request, faq_id: str, box: Desk = Depends(desk)) -> Response:
    record = _record(box, faq_id)
    return _edit_page(request, box, FaqForm(record.faq, record.active), record.version, record)


@router.post(HOME + "faq/{faq_id}")
def save_faq(request: Request, faq_id: str, _: Session = Depends(check_csrf), box: Desk = Depends(desk),
             form: FormData = Depends(form_data)) -> Response:
    record = _record(box, faq_id)
    edited = read_form(form, faq_id, record.faq.confidence, record.faq.citation, record.faq.covers)
    version = str(form.get("version") or "")
    if not version.isdigit():
        raise PageError(400, "Thiếu số phiên bản của FAQ; hãy tải lại trang rồi sửa lại.")
    before = FaqForm(record.faq, record.active)
    if int(version) == record.version and edited == before:
        return redirect(f"{HOME}faq/{faq_id}?tb=unchanged")
    action = revision_action(before, edited)
    try:
        box.store.save(edited.faq, int(version), box.member, active=edited.active, action=action)
    except VersionConflict as conflict:
        return _edit_page(request, box, edited, conflict.current.version, conflict.current,
                          conflict=conflict.current, status=409)
    except FaqInvalid as invalid:
        return _edit_page(request, box, edited, int(version), record, problems=invalid.problems, status=400)
    return redirect(f"{HOME}faq/{faq_id}?tb=saved")


@router.get(HOME + "faq/{faq_id}/lich-su")
def history_page(request: Request, faq_id: str, box: Desk = Depends(desk)) -> Response:
    record = _record(box, faq_id)
    names = box.department_names()
    revisions = box.store.history(faq_id)
    entries = []
    for i, revision in enumerate(revisions):
        previous = revisions[i + 1].snapshot if i + 1 < len(revisions) else None
        entries.append({"revision": revision, "action_name": REVISION_NAMES.get(revision.action, revision.action),
                        "first": previous is None, "changes": diff(previous, revision.snapshot, names)})
    return _page(request, box, "curation_history.html", {"record": record, "entries": entries}, "faqs")


# ---- a new FAQ (blank, from an officer's proposal, or from a group of unanswered messages)
@router.get(HOME + "moi")
def new_page(request: Request, de_xuat: int | None = None, box: Desk = Depends(desk),
             tickets: TicketDesk = Depends(services.ticket_desk)) -> Response:
    faq = blank_faq()
    extra: dict[str, Any] = {}
    if de_xuat is not None:
        suggestions = Suggestions(box.db)
        try:
            proposal = suggestions.get_open(de_xuat)
        except SuggestionError as exc:
            raise PageError(409, sentence(str(exc))) from None
        department = ""
        if proposal.ticket_id:
            try:
                department = tickets.get(proposal.ticket_id).department_code
            except TicketNotFound:
                pass
        faq = with_questions(blank_faq(question=proposal.question, answer=proposal.answer, department=department),
                             [proposal.question])
        extra = {"suggestion_id": str(proposal.id), "source": f"Từ đề xuất #{proposal.id} của {proposal.username}"}
    return _edit_page(request, box, FaqForm(faq, True), None, None, extra=extra)


@router.post(HOME + "moi")
def create_faq(request: Request, _: Session = Depends(check_csrf), box: Desk = Depends(desk),
               form: FormData = Depends(form_data)) -> Response:
    edited = read_form(form)
    decision_ids = parse_ids(str(form.get("decision_ids") or ""))
    suggestion_id = str(form.get("suggestion_id") or "")
    extra = {"decision_ids": ",".join(map(str, decision_ids)), "suggestion_id": suggestion_id if suggestion_id.isdigit() else ""}
    try:
        created = box.store.create(edited.faq, box.member)
    except FaqInvalid as invalid:
        return _edit_page(request, box, FaqForm(edited.faq, True), None, None,
                          problems=invalid.problems, extra=extra, status=400)
    if decision_ids:
        UnansweredMessages(box.db).mark(decision_ids, NEW_FAQ, box.member, created.faq.id, f"FAQ mới {created.faq.id}")
    if extra["suggestion_id"]:
        try:
            Suggestions(box.db).decide(int(extra["suggestion_id"]), ACCEPTED, box.member, created.faq.id)
        except SuggestionError:
            pass  # another editor decided it meanwhile; the FAQ stands
    return redirect(f"{HOME}faq/{created.faq.id}?tb=created")


# ---- conflicts
@router.get(HOME + "xung-dot")
def conflicts_page(request: Request, box: Desk = Depends(desk)) -> Response:
    report = Conflicts(box.db, box.store).report()
    return _page(request, box, "curation_conflicts.html", {"report": report}, "conflicts")


# ---- what the bot could not answer
def _unanswered_page(request: Request, box: Desk, order: str, page: int = 1, error: str = "", status: int = 200) -> Response:
    groups = UnansweredMessages(box.db).groups(order)
    pages = max(1, -(-len(groups) // GROUPS_PER_PAGE))
    page = min(max(1, page), pages)
    shown = groups[(page - 1) * GROUPS_PER_PAGE: page * GROUPS_PER_PAGE]
    records = box.store.all(active_only=True)
    return _page(request, box, "curation_unanswered.html", {
        "groups": shown, "group_count": len(groups), "message_count": sum(g.count for g in groups),
        "order": order, "page": page, "pages": pages, "records": records,
        "titles": {r.faq.id: r.faq.title for r in box.store.all()}, "decision_names": DECISION_NAMES, "error": error,
    }, "unanswered", status)


def _order(value: str) -> str:
    return NEWEST if value == NEWEST else LARGEST


@router.get(HOME + "chua-tra-loi")
def unanswered_page(request: Request, sap_xep: str = LARGEST, trang: int = 1, box: Desk = Depends(desk)) -> Response:
    return _unanswered_page(request, box, _order(sap_xep), trang)


@router.post(HOME + "chua-tra-loi/them")
def add_group_to_faq(request: Request, _: Session = Depends(check_csrf), box: Desk = Depends(desk),
                     form: FormData = Depends(form_data)) -> Response:
    order = _order(str(form.get("sap_xep") or ""))
    ids = parse_ids(str(form.get("decision_ids") or ""))
    texts = [" ".join(str(t).split()) for t in form.getlist("cach_hoi") if str(t).strip()]
    faq_id = str(form.get("faq_id") or "")
    messages = UnansweredMessages(box.db)
    if not ids:
        return _unanswered_page(request, box, order, error="Nhóm này không còn tin nhắn nào chờ xem.", status=409)
    if not texts:
        return _unanswered_page(request, box, order, error="Hãy chọn ít nhất một cách hỏi để thêm vào FAQ.", status=400)
    try:
        messages.add_to_faq(ids, faq_id, texts, box.store, box.member)
    except KeyError:
        return _unanswered_page(request, box, order, error="Hãy chọn FAQ để thêm cách hỏi vào.", status=400)
    except FaqInvalid as invalid:
        problems = " ".join(sentence(p) for p in invalid.problems)
        return _unanswered_page(request, box, order, error=f"Chưa thêm được vào FAQ “{faq_id}”: {problems}", status=400)
    return redirect(f"{HOME}chua-tra-loi?sap_xep={order}&tb=added&so={len(ids)}")


@router.post(HOME + "chua-tra-loi/faq-moi")
def new_faq_from_group(request: Request, _: Session = Depends(check_csrf), box: Desk = Depends(desk),
                       form: FormData = Depends(form_data)) -> Response:
    ids = parse_ids(str(form.get("decision_ids") or ""))
    found = UnansweredMessages(box.db).messages(ids)
    if not found:
        return _unanswered_page(request, box, LARGEST, error="Nhóm này không còn tin nhắn nào chờ xem.", status=409)
    group = Group(tuple(found))
    department = ""
    if group.suggested_faq:
        try:
            department = box.store.get(group.suggested_faq).faq.department
        except KeyError:
            pass
    faq = with_questions(blank_faq(question=group.texts[0] if group.texts else "", department=department), group.texts)
    extra = {"decision_ids": ",".join(str(i) for i in sorted(m.id for m in found)),
             "source": f"Từ nhóm {group.count} tin nhắn bot chưa trả lời được"}
    return _edit_page(request, box, FaqForm(faq, True), None, None, extra=extra)


@router.post(HOME + "chua-tra-loi/bo-qua")
def dismiss_group(request: Request, _: Session = Depends(check_csrf), box: Desk = Depends(desk),
                  form: FormData = Depends(form_data)) -> Response:
    order = _order(str(form.get("sap_xep") or ""))
    done = UnansweredMessages(box.db).dismiss(parse_ids(str(form.get("decision_ids") or "")), box.member)
    return redirect(f"{HOME}chua-tra-loi?sap_xep={order}&tb=dismissed&so={done}")


# ---- officers' proposals
@router.get(HOME + "de-xuat")
def suggestions_page(request: Request, box: Desk = Depends(desk)) -> Response:
    suggestions = Suggestions(box.db)
    records = box.store.all(active_only=True)
    proposals = suggestions.open()
    return _page(request, box, "curation_suggestions.html", {
        "proposals": proposals, "decided": suggestions.recent_decided(),
        "likely": {p.id: likely_faq(p.question, [r.faq for r in records]) for p in proposals},
        "records": records, "titles": {r.faq.id: r.faq.title for r in box.store.all()},
    }, "suggestions")


@router.post(HOME + "de-xuat/{suggestion_id}/them")
def accept_suggestion(request: Request, suggestion_id: int, faq_id: str = Form(""), _: Session = Depends(check_csrf),
                      box: Desk = Depends(desk)) -> Response:
    try:
        Suggestions(box.db).accept_as_variant(suggestion_id, faq_id, box.store, box.member)
    except SuggestionError as exc:
        raise PageError(409, sentence(str(exc))) from None
    except KeyError:
        raise PageError(400, "Hãy chọn FAQ để thêm cách hỏi vào.") from None
    except FaqInvalid as invalid:
        raise PageError(400, f"Chưa thêm được vào FAQ “{faq_id}”: " + " ".join(sentence(p) for p in invalid.problems)) from None
    return redirect(f"{HOME}de-xuat?tb=suggestion_added")


@router.post(HOME + "de-xuat/{suggestion_id}/bo-qua")
def dismiss_suggestion(request: Request, suggestion_id: int, _: Session = Depends(check_csrf),
                       box: Desk = Depends(desk)) -> Response:
    try:
        Suggestions(box.db).dismiss(suggestion_id, box.member)
    except SuggestionError as exc:
        raise PageError(409, sentence(str(exc))) from None
    return redirect(f"{HOME}de-xuat?tb=suggestion_dismissed")


# ---- "dạy bot" from a resolved ticket (officers and leaders who handled it)
@router.post("/inbox/tickets/{ticket_id}/day-bot")
def teach_bot(request: Request, ticket_id: int, reply_id: int = Form(0), answer: str = Form(""),
              _: Session = Depends(check_csrf), box: inbox_pages.Inbox = Depends(inbox_pages.inbox),
              db: Engine = Depends(services.engine)) -> Response:
    try:
        Suggestions(db).teach(box.desk, ticket_id, box.member, reply_id, answer)
    except TicketNotFound as exc:
        raise PageError(404, error_messages.message(exc)) from None
    except SuggestionError as exc:
        return inbox_pages._ticket_page(request, box, ticket_id, error=sentence(str(exc)), status=409)
    return redirect(f"/inbox/tickets/{ticket_id}?ok=taught")


# ---- publishing
# The publish list in an officer's words (the worker keeps its own names in publish.STATUS_NAMES).
RELEASE_STATES = {
    QUEUED: "Đang chờ", TRAINING: "Đang huấn luyện", GATING: "Đang kiểm tra", LIVE: "Đang phục vụ",
    REFUSED: "Bị từ chối", FAILED: "Lỗi, không xuất bản được", RETIRED: "Đã thay thế", UNCHANGED: "Không có gì thay đổi",
}
# What a gate question expected when it is not a FAQ (bot.faq.gate.NON_FAQ).
GATE_EXPECTATIONS = {"smalltalk": "chào hỏi, trò chuyện", "handoff": "chuyển cán bộ", "out_of_scope": "ngoài phạm vi của bot"}
STARTER = "khởi tạo"  # requested_by of the model built from the data files, recorded when the first publish went live
# The gate writes its reasons for developers too; the page says them as an officer would.
OFFICER_WORDS = (("Kiểm định chéo", "Bot tự kiểm tra"), ("mô hình đang chạy", "bot đang phục vụ"),
                 ("Mô hình mới", "Bot mới"), ("mô hình mới", "bot mới"), ("(đang chạy:", "(bot đang phục vụ:"),
                 ("Mô hình ban đầu, từ dữ liệu mẫu", "Bot ban đầu, dạy từ dữ liệu ban đầu"))


def release_state(release: Release) -> str:
    return RELEASE_STATES.get(release.status, release.status_name)


def in_order(releases: list[Release]) -> list[Release]:
    """Newest first; the starter model is the oldest even though its row is written after the first publish."""
    return sorted(releases, key=lambda r: (r.requested_by != STARTER, r.id), reverse=True)


def self_check_line(report: dict) -> str:
    """"Bot tự kiểm tra: 3.101/3.700 câu hỏi mẫu được trả lời đúng (bot đang phục vụ: 3.099)"."""
    cv = report.get("cross_validation") or {}
    if not cv.get("total"):
        return ""
    return (f"Bot tự kiểm tra: {vn_number(cv['candidate_correct'])}/{vn_number(cv['total'])} câu hỏi mẫu được trả lời "
            f"đúng (bot đang phục vụ lúc đó: {vn_number(cv['live_correct'])}).")


def officer_words(text: str) -> str:
    for developer, officer in OFFICER_WORDS:
        text = text.replace(developer, officer)
    return text


def _reader(request: Request, db: Engine) -> Publisher:
    """The running publisher, or one only to read the releases with (no worker runs it)."""
    return publisher_of(request) or Publisher(db, "http://127.0.0.1")


def _publish_page(request: Request, box: Desk, error: str = "", status: int = 200) -> Response:
    running = publisher_of(request)
    releases = in_order(_reader(request, box.db).releases(20))
    return _page(request, box, "curation_publish.html", {
        "releases": releases, "available": running is not None, "no_publisher": NO_PUBLISHER,
        "busy": [r for r in releases if r.status in BUSY], "live": next((r for r in releases if r.live), None),
        "error": error, "titles": {**GATE_EXPECTATIONS, **{r.faq.id: r.faq.title for r in box.store.all()}},
    }, "publish", status)


@router.get(HOME + "xuat-ban")
def publish_page(request: Request, box: Desk = Depends(desk)) -> Response:
    return _publish_page(request, box)


@router.post(HOME + "xuat-ban")
def publish(request: Request, _: Session = Depends(check_csrf), box: Desk = Depends(desk)) -> Response:
    running = publisher_of(request)
    if running is None:
        return _publish_page(request, box, NO_PUBLISHER, status=503)
    asked = running.request(box.member)
    if asked.ahead:
        return redirect(f"{HOME}xuat-ban?tb=queued&so={asked.release_id}&truoc={asked.ahead}")
    return redirect(f"{HOME}xuat-ban?tb=started&so={asked.release_id}")


def release_json(release: Release) -> dict[str, Any]:
    return {"id": release.id, "status": release.status, "status_name": release_state(release),
            "progress": officer_words(release.progress), "busy": release.status in BUSY, "live": release.live,
            "finished": vn_time(release.finished_at) if release.finished_at else ""}


@router.get(HOME + "api/xuat-ban/{release_id}")
def release_status(request: Request, release_id: int, box: Desk = Depends(desk)) -> dict[str, Any]:
    try:
        return release_json(_reader(request, box.db).get(release_id))
    except KeyError:
        raise PageError(404, "Không có bản xuất bản này.") from None


@router.post(HOME + "xuat-ban/{release_id}/quay-lai")
async def roll_back(request: Request, release_id: int, _: Session = Depends(check_csrf), box: Desk = Depends(desk)) -> Response:
    running = publisher_of(request)
    if running is None:
        return await run_in_threadpool(_publish_page, request, box, NO_PUBLISHER, 503)
    try:
        await running.roll_back(release_id, by=box.member)
    except KeyError:
        raise PageError(404, "Không có bản xuất bản này.") from None
    except ValueError as exc:
        return await run_in_threadpool(_publish_page, request, box, f"Không quay lại được bản #{release_id}: {sentence(str(exc))}", 409)
    except Exception as exc:  # noqa: BLE001 - Rasa refused or unreachable: tell the editor, keep the page
        message = f"Không quay lại được bản #{release_id}: máy chủ Rasa không nạp được mô hình ({exc})."
        return await run_in_threadpool(_publish_page, request, box, message[:600], 502)
    return redirect(f"{HOME}xuat-ban?tb=rolled_back&so={release_id}")


def report_rows(report: dict) -> list[tuple[str, Any, Any]]:
    live, candidate = report.get("live") or {}, report.get("candidate") or {}
    def n(value: Any) -> str:
        return vn_number(value) if isinstance(value, int) else str(value)

    rows = [(label, n(live.get(key, "—")), n(candidate.get(key, "—")))
            for key, label in (("correct", "Câu kiểm tra trả lời đúng"), ("wrong", "Câu kiểm tra trả lời sai"),
                               ("total", "Số câu kiểm tra"))]
    cv = report.get("cross_validation")
    if cv:
        rows += [("Bot tự kiểm tra: câu hỏi mẫu trả lời đúng", n(cv["live_correct"]), n(cv["candidate_correct"])),
                 ("Bot tự kiểm tra: câu hỏi mẫu trả lời sai", n(cv["live_wrong"]), n(cv["candidate_wrong"])),
                 ("Số câu hỏi mẫu tự kiểm tra", n(cv["total"]), n(cv["total"]))]
    return rows


templates.env.globals["gate_rows"] = report_rows
templates.env.globals["release_state"] = release_state
templates.env.globals["self_check_line"] = self_check_line
templates.env.filters["officer_words"] = officer_words
