"""A FAQ's `covers`: the sub-case classes of data/subcases.yml its answer speaks to, declared by
editors beside the answer. Read from and written to the data files, checked, stored with its
history (SQLite and PostgreSQL), edited in the form, and exported and imported as a column."""
from __future__ import annotations

import io
import shutil
from dataclasses import replace
from types import SimpleNamespace

import openpyxl
import pytest
import yaml

from bot import paths
from bot.faq.checks import COVERS as COVERS_FIELD, faq_problems
from bot.faq.editing import COVERS_SHOWN, FIELD_LABELS, diff, read_form, subcase_choices
from bot.faq.knowledge_base import load_faq, load_knowledge_base
from bot.faq.release import export_release
from bot.faq.spreadsheet import (
    COLUMNS, COVERS, EXCLUDES, GUIDE_SHEET, ID, OPTIONAL_COLUMNS, export_csv, export_xlsx, faq_cells, parse_upload,
)
from bot.faq.store import FaqInvalid, KnowledgeStore, faq_from_snapshot, snapshot
from bot.faq.subcases import load_subcases
from bot.faq.validate import validate
from tests.bot.faq.test_spreadsheet import csv_of

# What the lead decided from reading each answer; every other FAQ covers none.


class Form(dict):
    def getlist(self, key):
        value = self.get(key)
        return value if isinstance(value, list) else ([] if value is None else [value])


def form_of(faq, **changes):
    data = {"title": faq.title, "department": faq.department, "topic": faq.topic, "question": faq.question,
            "answer": faq.answer, "legal_basis": "\n".join(faq.legal_basis), "citation": faq.citation,
            "keywords": "\n".join(faq.keywords), "excludes": "\n".join(faq.excludes),
            COVERS_SHOWN: "1", "covers": list(faq.covers)}
    for style, questions in faq.questions.items():
        data[f"q_{style}"] = list(questions)
    data.update(changes)
    return Form({k: v for k, v in data.items() if v is not None})


# ---- the data files
def test_the_shipped_faqs_declare_only_classes_their_answers_speak_to(kb):
    names = {c.name for c in load_subcases().classes}
    declared = {fid: faq.covers for fid, faq in kb.faqs.items() if faq.covers}
    assert all(set(covers) <= names for covers in declared.values())
    # read from the answers: late birth registration speaks to fines, a lost card to re-issue
    assert "penalty" in declared["khai_sinh_qua_han"] and "reissue" in declared["can_cuoc_cap_lai"]
    assert "khai_sinh" not in declared


def test_covers_follows_excludes_in_the_file_and_is_left_out_when_empty():
    text = (paths.FAQ_DIR / "can_cuoc_cap_lai.yml").read_text(encoding="utf-8")
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "-"))]
    assert keys[keys.index("excludes") + 1] == "covers" and keys[keys.index("covers") + 1] == "questions"
    assert "\ncovers:" not in (paths.FAQ_DIR / "khai_sinh.yml").read_text(encoding="utf-8")


def test_a_file_round_trips_through_the_release_format(kb, tmp_path):
    target = export_release(kb, tmp_path / "release")
    written = yaml.safe_load((target / "data" / "faq" / "can_cuoc_cap_lai.yml").read_text(encoding="utf-8"))
    keys = list(written)
    assert written["covers"] == ["reissue", "lost", "change"] and keys.index("covers") == keys.index("excludes") + 1
    assert load_knowledge_base(target / "data").faqs == kb.faqs
    # A file without the key (as most are) reads as covering nothing; an empty list too.
    plain = tmp_path / "plain.yml"
    shutil.copy2(paths.FAQ_DIR / "khai_sinh.yml", plain)
    assert load_faq(plain).covers == ()
    plain.write_text(plain.read_text(encoding="utf-8").replace("\nquestions:", "\ncovers: []\nquestions:"), encoding="utf-8")
    assert load_faq(plain).covers == ()
    assert faq_from_snapshot(snapshot(kb.faqs["tam_tru"], True)).covers == ("change",)
    old_snapshot = snapshot(kb.faqs["tam_tru"], True)
    del old_snapshot["covers"]  # a revision stored before the field existed
    assert faq_from_snapshot(old_snapshot).covers == ()


# ---- checks
def test_an_unknown_class_is_refused_in_vietnamese_naming_the_ones_there_are(kb):
    faq = replace(kb.faqs["khai_sinh"], covers=("foreign", "nuoc_ngoai", "fine"))
    problems = [p for p in faq_problems(faq, kb.unit, set(kb.departments)) if p.field == COVERS_FIELD]
    assert len(problems) == 1 and problems[0].code == "unknown_subcase"
    message = str(problems[0])
    assert "trường hợp riêng “nuoc_ngoai”, “fine” không có trong danh sách" in message
    assert "foreign" in message.split("tên có sẵn:")[1] and "complaint" in message
    assert not [p for p in faq_problems(kb.faqs["can_cuoc_cap_lai"], kb.unit, set(kb.departments)) if p.field == COVERS_FIELD]


def test_the_data_file_validator_reports_an_unknown_class(kb):
    broken = replace(kb, faqs={**kb.faqs, "tam_tru": replace(kb.faqs["tam_tru"], covers=("changes",))})
    assert validate(kb) == []
    [problem] = [p for p in validate(broken) if "trường hợp riêng" in p]
    assert problem.startswith("tam_tru: trường hợp riêng “changes” không có trong danh sách")


# ---- the database (SQLite and PostgreSQL)
def test_the_store_keeps_covers_with_its_history(db_engine, kb):
    store = KnowledgeStore(db_engine)
    record = store.get("khai_sinh_qua_han")
    assert record.faq.covers == ("penalty",)  # seeded from the file
    assert store.knowledge_base().faqs["can_cuoc_cap_lai"].covers == ("reissue", "lost", "change")
    try:
        saved = store.save(replace(record.faq, covers=("penalty", "foreign")), record.version, "bien-tap-1")
        assert saved.faq.covers == ("penalty", "foreign") and store.get("khai_sinh_qua_han").faq.covers == ("penalty", "foreign")
        assert store.history("khai_sinh_qua_han")[0].snapshot["covers"] == ["penalty", "foreign"]
        with pytest.raises(FaqInvalid) as invalid:
            store.save(replace(saved.faq, covers=("penalty", "thue")), saved.version, "bien-tap-1")
        assert [p.code for p in invalid.value.problems] == ["unknown_subcase"]
        assert store.get("khai_sinh_qua_han").version == saved.version
        cleared = store.save(replace(saved.faq, covers=()), saved.version, "bien-tap-1")
        assert store.get("khai_sinh_qua_han").faq.covers == () and cleared.version == saved.version + 1
    finally:
        current = store.get("khai_sinh_qua_han")
        store.save(record.faq, current.version, "test-cleanup")
    assert store.get("khai_sinh_qua_han").faq == kb.faqs["khai_sinh_qua_han"]


# ---- the edit form
def test_the_form_reads_the_ticked_boxes_in_the_faqs_order(kb):
    faq = kb.faqs["can_cuoc_cap_lai"]
    assert read_form(form_of(faq), faq.id, faq.confidence, faq.citation, faq.covers).faq == faq
    # The page lists the classes in file order (change before reissue and lost): saving unchanged is no change.
    same = form_of(faq, covers=["change", "reissue", "lost"])
    assert read_form(same, faq.id, faq.confidence, faq.citation, faq.covers).faq.covers == ("reissue", "lost", "change")
    ticked = form_of(faq, covers=["foreign", "reissue"])
    assert read_form(ticked, faq.id, faq.confidence, faq.citation, faq.covers).faq.covers == ("reissue", "foreign")
    assert read_form(form_of(faq, covers=None), faq.id, faq.confidence, faq.citation, faq.covers).faq.covers == ()
    # A form without the boxes keeps what the FAQ had.
    without = form_of(faq, covers=None, **{COVERS_SHOWN: None})
    assert read_form(without, faq.id, faq.confidence, faq.citation, faq.covers).faq.covers == faq.covers


def test_the_boxes_are_the_classes_labelled_as_the_bot_says_them():
    choices = subcase_choices()
    assert [name for name, _ in choices] == [c.name for c in load_subcases().classes]
    assert dict(choices)["foreign"] == "Có yếu tố nước ngoài"


def test_the_history_shows_the_change_with_the_boxes_words(kb):
    old = snapshot(kb.faqs["tam_tru"], True)
    new = snapshot(replace(kb.faqs["tam_tru"], covers=("change", "foreign")), True)
    [change] = diff(old, new)
    assert change.label == FIELD_LABELS["covers"] == "Trường hợp riêng đã trả lời"
    assert [(line.kind, line.text) for line in change.lines] == [
        ("same", "điều chỉnh, gia hạn hay hủy việc đã làm (change)"), ("add", "có yếu tố nước ngoài (foreign)")]


# ---- the spreadsheet
def test_the_column_round_trips_in_csv_and_xlsx(kb):
    records = [SimpleNamespace(faq=faq, active=True) for faq in kb.faqs.values()]
    assert COLUMNS.index(COVERS) == COLUMNS.index(EXCLUDES) + 1
    assert faq_cells(kb.faqs["can_cuoc_cap_lai"], True)[COLUMNS.index(COVERS)] == "reissue\nlost\nchange"
    for name, content in (("kho.csv", export_csv(records)), ("kho.xlsx", export_xlsx(records, kb.departments.values()))):
        result = parse_upload(name, content, set(kb.departments), kb.unit)
        assert result.problems == [] and [faq for faq, _ in result.records] == [r.faq for r in records], name
    guide = openpyxl.load_workbook(io.BytesIO(export_xlsx(records, kb.departments.values())))[GUIDE_SHEET]
    [row] = [r for r in guide.iter_rows(values_only=True) if r[0] == COVERS]
    assert row[1] == "không" and "foreign: có yếu tố nước ngoài" in row[2] and "complaint" in row[2]


def test_an_unknown_name_is_reported_by_row_and_column(kb):
    records = [SimpleNamespace(faq=faq, active=True) for faq in kb.faqs.values()]
    rows = [list(COLUMNS)] + [faq_cells(r.faq, r.active) for r in records]
    where, row = COLUMNS.index(COVERS), [r[0] for r in rows].index("tam_tru")
    rows[row][where] = "change\nnước ngoài\n\nTax"
    result = parse_upload("kho.csv", csv_of(rows), set(kb.departments), kb.unit)
    assert [(p.row, p.column) for p in result.problems] == [(row + 1, COVERS)]
    assert result.problems[0].message.startswith("Trường hợp riêng “nước ngoài” không có trong danh sách")
    imported = dict((faq.id, faq) for faq, _ in result.records)["tam_tru"]
    assert imported.covers == ("change", "nước ngoài", "tax")  # blank lines dropped, names lower-cased


def test_a_spreadsheet_without_the_column_still_imports_covering_nothing(kb):
    records = [SimpleNamespace(faq=faq, active=True) for faq in kb.faqs.values()]
    rows = [list(COLUMNS)] + [faq_cells(r.faq, r.active) for r in records]
    where = COLUMNS.index(COVERS)
    result = parse_upload("kho.csv", csv_of([r[:where] + r[where + 1:] for r in rows]), set(kb.departments), kb.unit)
    assert COVERS in OPTIONAL_COLUMNS and result.problems == [] and result.warnings == []
    assert all(faq.covers == () for faq, _ in result.records)
    assert [faq.id for faq, _ in result.records] == [r[COLUMNS.index(ID)] for r in rows[1:]]
