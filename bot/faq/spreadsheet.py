"""The whole knowledge base as one spreadsheet (XLSX or CSV): export, templates, and a checked import.

One row per FAQ, the same columns in both formats (`COLUMNS`, Vietnamese headers). List fields
(legal basis, keywords, excludes, the sub-cases the answer covers, each question style) hold one
item per line of the cell.

XLSX: sheet "FAQ" (the data; the only sheet an import reads, or the first sheet when none is
named so), a protected sheet "Hướng dẫn" explaining every column, a protected sheet "Bộ phận"
listing the department codes. CSV: UTF-8 with a BOM (so Excel reads the diacritics right),
comma-separated, quoted where needed, CRLF between rows and LF inside a cell, as Excel writes it.

Templates are the headers only (no example row: a forgotten example would be imported as a real
FAQ); the XLSX template carries the "Hướng dẫn" and "Bộ phận" sheets, which say what to write.

`parse_upload` checks everything before anything is applied and reports every problem with its
row (as Excel numbers it, header = 1) and column header, in Vietnamese. Decisions:

* every column is required (a missing "Từ khóa" column must not silently erase all keywords),
  except those of `OPTIONAL_COLUMNS`, added later: a file written before them still imports, and
  the value is left empty ("Căn cứ ngắn gọn": the answer then shows one derived from the full
  titles, `derive_citation`; "Trường hợp riêng đã trả lời": none, so questions naming a sub-case
  are handed off, the safe side);
  headers match ignoring case and diacritics ("Ma FAQ" is "Mã FAQ"); a column that is not one of
  ours (someone's notes) is ignored and reported as a warning, which does not block the import;
  the same column twice blocks it.
* a file without any FAQ row is refused (importing it would retire the whole knowledge base).
* formulas are refused. XLSX keeps cell types, so a formula is exactly a cell stored as a formula
  (text typed as '=…, stored as text, is text). CSV has no types and Excel decides by the first
  character, so a CSV cell is a formula when it starts with "=", "+" or "@", or with "-" followed
  by something other than a space (a "- " bullet stays text; only the start of the cell counts,
  not the start of its lines). The CSV export protects text that would read as a formula with a
  leading apostrophe (as Excel does), which the import removes again.
* cells are cleaned the same way for both formats: Unicode NFC (text typed as decomposed
  Vietnamese), CR LF -> LF, spaces trimmed around single-line values, the answer and each list
  line; empty lines of a list are dropped. "Đang dùng" is "có"/"không", "Độ tin cậy" is "cao",
  "trung bình", "thấp" or empty (diacritics optional; the English codes are accepted too).
* an exported file imports to exactly the database's FAQs, so export then import changes nothing.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol

from bot.faq import checks
from bot.faq.checks import MIN_VARIANTS, TITLE_LIMIT, FaqProblem, faq_problems
from bot.faq.knowledge_base import ANSWER_LIMIT, CITATION_LIMIT, FIRST_SCREEN_LIMIT, QUESTION_STYLES, Faq
from bot.faq.subcases import load_subcases
from bot.text.fold import fold_diacritics, fold_key

ID, DEPARTMENT, TOPIC, TITLE, QUESTION, ANSWER = "Mã FAQ", "Bộ phận", "Chủ đề", "Tiêu đề", "Câu hỏi chính", "Câu trả lời"
LEGAL_BASIS, KEYWORDS, EXCLUDES, ACTIVE, CONFIDENCE = "Căn cứ pháp lý", "Từ khóa", "Loại trừ", "Đang dùng", "Độ tin cậy"
CITATION, COVERS = "Căn cứ ngắn gọn", "Trường hợp riêng đã trả lời"
STYLE_COLUMNS = {
    "diacritics": "Cách hỏi có dấu",
    "no_diacritics": "Cách hỏi không dấu",
    "teencode": "Cách hỏi viết tắt",
    "long": "Cách hỏi dài",
    "english": "Cách hỏi tiếng Anh",
    "short": "Cách hỏi ngắn",
    "formal": "Cách hỏi kiểu văn bản",
    "not_covered": "Câu hỏi FAQ không trả lời",
}
assert tuple(STYLE_COLUMNS) == QUESTION_STYLES
COLUMNS = (ID, DEPARTMENT, TOPIC, TITLE, QUESTION, ANSWER, LEGAL_BASIS, CITATION, KEYWORDS, EXCLUDES, COVERS, ACTIVE,
           CONFIDENCE, *STYLE_COLUMNS.values())
OPTIONAL_COLUMNS = (CITATION, COVERS)
SINGLE_LINE = (ID, DEPARTMENT, TOPIC, TITLE, QUESTION, CITATION, ACTIVE, CONFIDENCE)

SHEET, GUIDE_SHEET, DEPARTMENT_SHEET = "FAQ", "Hướng dẫn", "Bộ phận"
CSV_BOM = "\ufeff"
CELL_LIMIT = 32767  # Excel keeps no more characters in a cell
UNPACKED_LIMIT = 40 * 10**6  # an XLSX of 2,000 FAQs unpacks to about 17 MB
TOPIC_LIMIT = 255  # the database column
YES, NO = "có", "không"
CONFIDENCE_LABELS = {"high": "cao", "medium": "trung bình", "low": "thấp", "": ""}
_CONFIDENCE_CODES = {**{fold_diacritics(v): k for k, v in CONFIDENCE_LABELS.items()}, "high": "high", "medium": "medium",
                     "low": "low"}
NOT_UTF8 = "Tệp CSV không phải UTF-8; trong Excel hãy chọn Lưu thành → CSV UTF-8 (phân cách bằng dấu phẩy) rồi tải lên lại."

# The column of each FAQ field a problem can be about (FaqProblem.field): the one table.
FIELD_COLUMNS = {
    checks.ID: ID, checks.TITLE: TITLE, checks.QUESTION: QUESTION, checks.DEPARTMENT: DEPARTMENT,
    checks.ANSWER: ANSWER, checks.LEGAL_BASIS: LEGAL_BASIS, checks.CITATION: CITATION,
    checks.QUESTIONS: STYLE_COLUMNS["diacritics"],  # the variants' first column
    "topic": TOPIC, "keywords": KEYWORDS, "excludes": EXCLUDES, checks.COVERS: COVERS, "confidence": CONFIDENCE,
}
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XLSX cannot hold


def _number(n: int) -> str:
    """Vietnamese digit grouping: 32.767."""
    return f"{n:,}".replace(",", ".")


REQUIRED_CELLS = (ID, DEPARTMENT, TOPIC, TITLE, QUESTION, ANSWER, LEGAL_BASIS, ACTIVE)
GUIDE_INTRO = (
    "Hướng dẫn dùng tệp kho kiến thức (FAQ)",
    "Mỗi dòng của trang “FAQ” là một FAQ; dòng 1 là tên cột: không đổi tên, không xóa cột (có thể thêm cột ghi chú riêng, hệ thống bỏ qua).",
    "Tệp nhập vào thay cho toàn bộ kho kiến thức: FAQ có trong tệp được thêm mới hoặc cập nhật; FAQ không có trong tệp chuyển sang “ngừng dùng” (không bị xóa).",
    "Muốn thêm hoặc sửa vài FAQ: tải tệp toàn bộ kho kiến thức, sửa trong đó rồi nhập lại; đừng nhập tệp mẫu trống chỉ có vài dòng mới.",
    "Trước khi thay đổi, hệ thống kiểm tra mọi dòng; chỉ cần một lỗi là không có gì thay đổi, và mọi lỗi được báo theo dòng và cột.",
    "Ô có nhiều mục (căn cứ pháp lý, từ khóa, loại trừ, trường hợp riêng, các cách hỏi): mỗi mục một dòng; trong Excel xuống dòng trong ô bằng Alt+Enter.",
    "Không dùng công thức trong ô: tệp có công thức bị từ chối.",
    "Nếu lưu thành CSV: trong Excel chọn Lưu thành → “CSV UTF-8 (phân cách bằng dấu phẩy)”; kiểu CSV khác làm hỏng chữ có dấu.",
    "Hệ thống chỉ đọc trang “FAQ”; trang này và trang “Bộ phận” chỉ để tham khảo.",
)
COLUMN_GUIDE = {
    ID: "Chữ thường không dấu, số và dấu gạch dưới, tối đa 64 ký tự, ví dụ: khai_sinh. Mã nhận ra FAQ: khi sửa FAQ giữ nguyên mã; đổi mã là tạo FAQ mới, FAQ mã cũ sẽ ngừng dùng. Mỗi mã chỉ một dòng.",
    DEPARTMENT: "Mã bộ phận trả lời và nhận chuyển tiếp, lấy trong trang “Bộ phận”, ví dụ: tu_phap_ho_tich.",
    TOPIC: f"Nhóm thủ tục, ví dụ: Hộ tịch (tối đa {TOPIC_LIMIT} ký tự).",
    TITLE: f"Tên ngắn của FAQ, hiện trong lựa chọn “Ý bạn là…?” (nên dưới 60 ký tự, tối đa {TITLE_LIMIT}).",
    QUESTION: "Câu hỏi tiêu biểu, viết đủ dấu, một dòng.",
    ANSWER: ("Văn bản thường (Zalo không hiện chữ đậm, nghiêng). Đoạn đầu (đến dòng trống đầu tiên) trả lời thẳng câu "
             f"hỏi trong 2–3 dòng, không quá {FIRST_SCREEN_LIMIT} ký tự khi đã điền thông tin đơn vị; chi tiết để sau, "
             "theo từng phần “Hồ sơ gồm:”, “Nộp ở đâu:”, “Thời gian giải quyết:”, “Lệ phí:”. Có thể dùng thông tin "
             "của đơn vị như {hotline}, {office_hours}. Khi gửi, hệ thống thêm dòng “Căn cứ: …” và lời mời gặp cán bộ; "
             f"tất cả không quá {_number(ANSWER_LIMIT)} ký tự (một tin Zalo). Không tự ghi dòng “Căn cứ:”."),
    LEGAL_BASIS: ("Mỗi văn bản một dòng, ghi đầy đủ: số hiệu, tên, điều khoản; ít nhất một dòng. Người dân xem "
                  "danh sách này khi nhắn “xem căn cứ”."),
    CITATION: ("Một dòng viết tắt đứng sau “Căn cứ:” dưới câu trả lời, không quá "
               f"{CITATION_LIMIT} ký tự kể cả chữ “Căn cứ: ”, ví dụ: Luật Hộ tịch 2014 (Đ.13–16); NĐ 123/2015, sửa "
               "bởi NĐ 07/2025; NĐ 120/2025. Để trống: hệ thống tự rút gọn từ cột “Căn cứ pháp lý”. Tệp cũ "
               "không có cột này vẫn nhập được."),
    KEYWORDS: "Mỗi cụm từ một dòng (có dấu): câu hỏi về FAQ này hầu như luôn chứa một cụm trong số đó.",
    EXCLUDES: "Mỗi cụm từ một dòng: cụm cho thấy người dân hỏi thủ tục khác (khi đó chuyển cán bộ).",
    COVERS: ("Các trường hợp riêng mà chính câu trả lời đã hướng dẫn, mỗi tên một dòng, chỉ dùng tên có sẵn dưới đây; "
             "câu hỏi nêu trường hợp riêng không ghi ở đây sẽ được chuyển cán bộ. Để trống nếu câu trả lời chỉ nói "
             "trường hợp chung. Tệp cũ không có cột này vẫn nhập được (khi đó để trống)."),
    ACTIVE: "“có” hoặc “không”. “không”: FAQ được giữ lại nhưng trợ lý ảo không dùng.",
    CONFIDENCE: "Mức chắc chắn của thông tin: “cao”, “trung bình”, “thấp” hoặc để trống.",
    **{STYLE_COLUMNS[style]: f"{hint} Mỗi câu hỏi một dòng. Mỗi FAQ cần ít nhất {MIN_VARIANTS} cách hỏi khác nhau (tính "
                             "cả câu hỏi chính); một câu hỏi chỉ được thuộc một FAQ." for style, hint in {
        "diacritics": "Câu hỏi viết đủ dấu.",
        "no_diacritics": "Câu hỏi gõ không dấu, như người dân hay nhắn.",
        "teencode": "Câu hỏi viết tắt, kiểu nhắn tin (ko, dc, cccd…).",
        "long": "Câu hỏi dài, kể hoàn cảnh (30–80 chữ).",
        "english": "Câu hỏi bằng tiếng Anh.",
        "short": "Vài chữ nêu chủ đề (2–6 chữ), ví dụ: giờ làm việc của xã.",
        "formal": "Câu hỏi kiểu tiêu đề cổng dịch vụ công, báo, trang hỏi đáp pháp luật.",
    }.items()},
    STYLE_COLUMNS["not_covered"]: ("Câu hỏi cùng chủ đề mà câu trả lời KHÔNG bao gồm (có người nước ngoài, công ty thay "
                                   "cho cá nhân, điều chỉnh, cấp lại, phạt, hoàn tiền, thuế…): trợ lý ảo học để chuyển "
                                   "cán bộ thay vì trả lời. Mỗi câu một dòng."),
}


def column_guide(name: str) -> str:
    """What the "Hướng dẫn" sheet says of a column; the sub-case names come from data/subcases.yml."""
    if name != COVERS:
        return COLUMN_GUIDE[name]
    names = "; ".join(f"{c.name}: {c.says}" for c in load_subcases().classes)
    return f"{COLUMN_GUIDE[COVERS]} Tên có sẵn: {names}."


class CellTooLong(ValueError):
    """A FAQ has a cell longer than Excel keeps: exporting it would lose text (Vietnamese message)."""


class HasCodeAndName(Protocol):
    code: str
    name: str


class HasFaqAndActive(Protocol):
    faq: Faq
    active: bool


@dataclass(frozen=True)
class Problem:
    row: int | None  # as Excel numbers rows (header = 1); None: the whole file
    column: str | None  # the column header; None: the whole row or file
    message: str  # a Vietnamese sentence


@dataclass
class ParsedImport:
    """`records` is what the file holds, in file order; apply it only when `problems` is empty.
    `warnings` never block (a column that is not ours, ignored)."""

    records: list[tuple[Faq, bool]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    kind: str = ""  # "xlsx" or "csv"

    @property
    def ok(self) -> bool:
        return not self.problems


# ---- writing
def faq_cells(faq: Faq, active: bool) -> list[str]:
    """One FAQ as the cells of a row, in COLUMNS order."""
    return [
        faq.id, faq.department, faq.topic, faq.title, faq.question, faq.answer,
        "\n".join(faq.legal_basis), faq.citation, "\n".join(faq.keywords), "\n".join(faq.excludes), "\n".join(faq.covers),
        YES if active else NO,
        CONFIDENCE_LABELS.get(faq.confidence, faq.confidence),
        *("\n".join(faq.questions.get(style, ())) for style in QUESTION_STYLES),
    ]


def export_csv(records: Iterable[HasFaqAndActive]) -> bytes:
    return _csv_bytes([faq_cells(r.faq, r.active) for r in records])


def template_csv() -> bytes:
    return _csv_bytes([])


def export_xlsx(records: Iterable[HasFaqAndActive], departments: Iterable[HasCodeAndName]) -> bytes:
    return _xlsx_bytes([faq_cells(r.faq, r.active) for r in records], list(departments))


def template_xlsx(departments: Iterable[HasCodeAndName]) -> bytes:
    return _xlsx_bytes([], list(departments))


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # Excel: CRLF between rows, LF inside a cell
    writer.writerow(COLUMNS)
    writer.writerows([[_protect(cell) for cell in row] for row in rows])
    return (CSV_BOM + out.getvalue()).encode("utf-8")


def _protect(cell: str) -> str:
    """Text that Excel would run as a formula gets a leading apostrophe (removed on import)."""
    return "'" + cell if _csv_formula(cell.lstrip("'")) else cell


def _xlsx_bytes(rows: list[list[str]], departments: list[HasCodeAndName]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if len(value) > CELL_LIMIT:  # openpyxl would cut it silently
                raise CellTooLong(f"FAQ “{values[0]}”: ô “{COLUMNS[c - 1]}” dài {_number(len(value))} ký tự, quá giới hạn "
                                  f"{_number(CELL_LIMIT)} ký tự của một ô Excel; hãy rút gọn FAQ này trước khi xuất tệp.")
            cell = sheet.cell(row=r, column=c, value=_ILLEGAL.sub("", value) or None)
            if cell.data_type == "f":  # text that starts with "=": keep it text, never a formula
                cell.data_type = "s"
            cell.number_format = "@"  # the Text format: re-typed in Excel, "=…" stays text too
            cell.alignment = wrap
    widths = {ID: 22, DEPARTMENT: 18, TOPIC: 16, TITLE: 30, QUESTION: 40, ANSWER: 70, ACTIVE: 10, CONFIDENCE: 12}
    for c, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = widths.get(name, 40)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(len(rows) + 1, 2)}"
    last = len(rows) + 2000
    for name, formula, prompt in (
        (DEPARTMENT, f"'{DEPARTMENT_SHEET}'!$A$2:$A${len(departments) + 1}", "Mã bộ phận trong trang “Bộ phận”."),
        (ACTIVE, f'"{YES},{NO}"', "“có” hoặc “không”."),
        (CONFIDENCE, '"cao,trung bình,thấp"', "“cao”, “trung bình”, “thấp” hoặc để trống."),
    ):
        letter = get_column_letter(COLUMNS.index(name) + 1)
        check = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                               errorTitle=name, error=prompt)
        check.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(check)

    guide = book.create_sheet(GUIDE_SHEET)
    for line in GUIDE_INTRO:
        guide.append([line])
    guide.append([])
    guide.append(["Cột", "Bắt buộc", "Cách ghi"])
    header_row = guide.max_row
    for name in COLUMNS:
        guide.append([name, "có" if name in REQUIRED_CELLS else "không", column_guide(name)])
    for row in guide.iter_rows(min_row=header_row):
        for cell in row:
            cell.alignment = wrap
    for cell in guide[header_row]:
        cell.font, cell.fill = bold, fill
    guide["A1"].font = Font(bold=True, size=13)
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 24, 10
    guide.column_dimensions["C"].width = 100
    guide.protection.sheet = True

    units = book.create_sheet(DEPARTMENT_SHEET)
    units.append(["Mã bộ phận", "Tên bộ phận"])
    for cell in units[1]:
        cell.font, cell.fill = bold, fill
    for unit in departments:
        units.append([unit.code, unit.name])
    units.column_dimensions["A"].width, units.column_dimensions["B"].width = 24, 60
    units.protection.sheet = True

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- reading
@dataclass
class _Cell:
    text: str
    formula: bool = False
    error: str = ""


class _Unreadable(Exception):
    """The file cannot be read as a table at all (one problem for the whole file)."""


def parse_upload(filename: str, content: bytes, department_codes: Mapping[str, str] | Iterable[str],
                 unit: Mapping[str, str]) -> ParsedImport:
    """Read and check an uploaded file; nothing is applied here."""
    name = (filename or "").strip().lower()
    result = ParsedImport()
    try:
        if name.endswith(".xlsx"):
            result.kind = "xlsx"
            rows = _xlsx_rows(content)
        elif name.endswith(".csv"):
            result.kind = "csv"
            rows = _csv_rows(content)
        elif name.endswith((".xls", ".xlsm", ".xlsb", ".ods", ".numbers")):
            raise _Unreadable("Hệ thống chỉ đọc tệp .xlsx hoặc .csv; trong Excel hãy chọn Lưu thành → Sổ làm việc Excel (.xlsx).")
        else:
            raise _Unreadable("Hệ thống chỉ nhận tệp .xlsx (Excel) hoặc .csv (CSV UTF-8).")
    except _Unreadable as exc:
        result.problems.append(Problem(None, None, str(exc)))
        return result
    # code -> name: the name is part of the answer as sent, so of its 2,000 characters
    departments = dict(department_codes) if isinstance(department_codes, Mapping) else {c: c for c in department_codes}
    _check_rows(rows, departments, unit, result)
    result.problems.sort(key=_order)
    return result


def _order(problem: Problem) -> tuple:
    column = COLUMNS.index(problem.column) if problem.column in COLUMNS else -1
    return (problem.row or 0, column)


def _xlsx_rows(content: bytes) -> list[tuple[int, list[_Cell]]]:
    from openpyxl import load_workbook

    if not content.startswith(b"PK"):
        raise _Unreadable("Tệp không phải tệp Excel .xlsx (có thể là tệp khác đổi tên). Hãy mở trong Excel và "
                          "chọn Lưu thành → Sổ làm việc Excel (.xlsx).")
    try:
        # Zip readers stop at each member's declared size, so this bounds what reading can unpack.
        unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(content)).infolist())
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False) if unpacked <= UNPACKED_LIMIT else None
    except Exception as exc:  # noqa: BLE001 - zipfile and openpyxl raise many kinds on a malformed file
        raise _Unreadable("Không đọc được tệp .xlsx (tệp hỏng hoặc không phải Excel). Hãy mở lại trong Excel và "
                          "lưu thành .xlsx.") from exc
    if book is None:
        raise _Unreadable(f"Tệp .xlsx giải nén ra hơn {UNPACKED_LIMIT // 10**6} MB, quá lớn cho một kho kiến thức.")
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()  # some producers write a wrong size; read the cells as they are
        rows = []
        for counted, row in enumerate(sheet.iter_rows(), start=1):
            cells: dict[int, _Cell] = {}
            number = counted
            for cell in row:
                column = getattr(cell, "column", None)  # EmptyCell has none
                if column is None or cell.value is None:
                    continue
                number = cell.row or counted
                cells[column - 1] = _xlsx_cell(cell)
            width = max(cells, default=-1) + 1
            rows.append((number, [cells.get(i, _Cell("")) for i in range(width)]))
        return rows
    except Exception as exc:  # noqa: BLE001
        raise _Unreadable("Không đọc được nội dung tệp .xlsx (tệp hỏng).") from exc
    finally:
        book.close()


def _xlsx_cell(cell: Any) -> _Cell:
    value = cell.value
    if cell.data_type == "f":
        return _Cell(str(value), formula=True)
    if isinstance(value, str) and value[:1].isspace() and _csv_formula(value):
        return _Cell(value, formula=True)  # a formula once trimmed: the check must see what is kept
    if cell.data_type == "e":
        return _Cell("", error=str(value))
    if isinstance(value, bool):
        return _Cell(YES if value else NO)
    if isinstance(value, float) and value.is_integer():
        return _Cell(str(int(value)))
    if isinstance(value, (datetime, date, time)):
        return _Cell(value.isoformat())
    return _Cell(str(value))


def _csv_rows(content: bytes) -> list[tuple[int, list[_Cell]]]:
    if content.startswith(b"PK\x03\x04"):
        raise _Unreadable("Tệp này là tệp Excel (.xlsx) nhưng có tên đuôi .csv; hãy đổi tên thành .xlsx hoặc lưu lại thành CSV UTF-8.")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content:
        raise _Unreadable(NOT_UTF8)  # UTF-16 ("Unicode Text"), with or without its BOM
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unreadable(NOT_UTF8) from exc
    text = text.lstrip(CSV_BOM)
    first_line = text.split("\n", 1)[0]
    # Excel with Vietnamese regional settings separates with ";": the headers hold neither sign.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _Unreadable(f"Dòng {number}: không đọc được (có thể thiếu dấu ngoặc kép đóng hoặc ô quá dài). "
                              "Hãy mở tệp trong Excel và lưu lại thành CSV UTF-8.") from exc
        rows.append((number, [_csv_cell(value) for value in record]))
    return rows


def _csv_formula(text: str) -> bool:
    """How Excel reads a CSV cell: "=…", "+…", "@…" and "-x…" are formulas; "- item" is text.

    Leading spaces do not count: the import trims them, so " =HYPERLINK(…)" would be stored as a
    formula-to-be (and some spreadsheet programs run it as typed).
    """
    text = text.lstrip()
    if not text:
        return False
    if text[0] in "=+@":
        return True
    return text[0] == "-" and len(text) > 1 and not text[1].isspace() and text[1] != "-"


def _csv_cell(value: str) -> _Cell:
    if _csv_formula(value):
        return _Cell(value, formula=True)
    if value.startswith("'") and _csv_formula(value[1:].lstrip("'")):
        return _Cell(value[1:])  # protected by the export (or typed so in a text editor)
    return _Cell(value)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _ILLEGAL.sub("", text)


def _header_key(text: str) -> str:
    return " ".join(fold_diacritics(_clean(text)).lower().split())


_HEADER_KEYS = {_header_key(name): name for name in COLUMNS}


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _check_rows(rows: list[tuple[int, list[_Cell]]], departments: Mapping[str, str], unit: Mapping[str, str],
                result: ParsedImport) -> None:
    problems = result.problems
    if not rows:
        problems.append(Problem(None, None, "Tệp trống: không có dòng tên cột nào."))
        return
    header_number, header = rows[0]
    positions: dict[str, int] = {}
    unknown: list[tuple[int, str]] = []
    for index, cell in enumerate(header):
        label = _clean(cell.text).lstrip(CSV_BOM).strip()
        name = _HEADER_KEYS.get(_header_key(label))
        if name is None:
            if label:
                unknown.append((index, label))
        elif name in positions:
            problems.append(Problem(header_number, name, f"Cột “{name}” có hai lần (cột {_letter(positions[name])} "
                                                         f"và cột {_letter(index)}); hãy xóa một cột."))
        else:
            positions[name] = index
    for name in COLUMNS:
        if name not in positions and name not in OPTIONAL_COLUMNS:
            problems.append(Problem(header_number, name, f"Thiếu cột “{name}” (dòng 1 phải có đủ tên cột như tệp mẫu)."))
    data = [(number, cells) for number, cells in rows[1:] if any(c.text.strip() or c.formula or c.error for c in cells)]
    for index, label in unknown:
        result.warnings.append(Problem(header_number, label, f"Cột “{_short(label, 40)}” (cột {_letter(index)}) "
                                                             "không thuộc mẫu nên được bỏ qua."))
    # Formulas and error values anywhere, even in an ignored column.
    names = {index: name for name, index in positions.items()} | {index: label for index, label in unknown}
    for number, cells in rows:
        for index, cell in enumerate(cells):
            where = names.get(index) or f"cột {_letter(index)}"
            if cell.formula:
                problems.append(Problem(number, where, f"Ô {_letter(index)}{number} chứa công thức ({_short(cell.text)}); "
                                                        "hãy ghi chữ thường, không dùng công thức."))
            elif cell.error:
                problems.append(Problem(number, where, f"Ô {_letter(index)}{number} có giá trị lỗi {cell.error}; hãy ghi chữ thường."))
    if any(name not in positions for name in COLUMNS if name not in OPTIONAL_COLUMNS):
        return  # without every required column the rows cannot be read
    if not data:
        problems.append(Problem(None, None, "Tệp không có dòng FAQ nào; nhập tệp này sẽ ngừng dùng toàn bộ kho kiến "
                                            "thức nên hệ thống không nhận."))
        return
    width = len(header)
    unnamed = sorted({i for _, cells in data for i, c in enumerate(cells[:width]) if i not in names and c.text.strip()})
    for index in unnamed:
        result.warnings.append(Problem(header_number, None, f"Cột {_letter(index)} có dữ liệu nhưng không có tên cột nên "
                                                            "được bỏ qua."))
    seen_ids: dict[str, int] = {}
    owners: dict[str, list[tuple[int, str, str, str]]] = {}  # folded question -> (row, column, faq id, text)
    for number, cells in data:
        extra = [i for i in range(width, len(cells)) if cells[i].text.strip()]
        if extra:
            problems.append(Problem(number, None, f"Dòng có dữ liệu ngoài các cột (ô {_letter(extra[0])}{number}); "
                                                   "có thể thiếu dấu ngoặc kép hoặc dư dấu phân cách."))
        faq, active = _read_row(number, cells, positions, departments, unit, problems)
        result.records.append((faq, active))
        if not faq.id:
            pass  # reported as an empty cell
        elif faq.id in seen_ids:
            problems.append(Problem(number, ID, f"Mã FAQ “{faq.id}” trùng với dòng {seen_ids[faq.id]}; mỗi FAQ chỉ một dòng."))
        else:
            seen_ids[faq.id] = number
        for column, texts in ((QUESTION, (faq.question,)), *((STYLE_COLUMNS[s], faq.questions[s]) for s in QUESTION_STYLES)):
            for text in texts:
                folded = fold_key(text)  # the key shared_questions compares
                if folded:
                    owners.setdefault(folded, []).append((number, column, faq.id, text))
    for places in owners.values():
        if len({faq_id for _, _, faq_id, _ in places}) < 2:
            continue
        for number, column, faq_id, text in places:
            others = sorted({(n, f) for n, _, f, _ in places if f != faq_id})
            if others:
                listed = ", ".join(f"dòng {n} (FAQ {f})" for n, f in others)
                problems.append(Problem(number, column, f"Câu hỏi “{_short(text)}” cũng có ở {listed}; "
                                                        "một câu hỏi chỉ được thuộc một FAQ."))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_row(number: int, cells: list[_Cell], positions: dict[str, int], departments: Mapping[str, str],
              unit: Mapping[str, str], problems: list[Problem]) -> tuple[Faq, bool]:
    def raw(name: str) -> _Cell:
        index = positions.get(name)  # None: an optional column the file does not have
        return cells[index] if index is not None and index < len(cells) else _Cell("")

    values: dict[str, str] = {}
    flagged: set[str] = set()
    for name in COLUMNS:
        cell = raw(name)
        if cell.formula or cell.error:
            flagged.add(name)  # reported already
            values[name] = ""
            continue
        text = _clean(cell.text)
        if len(text) > CELL_LIMIT:
            problems.append(Problem(number, name, f"Ô dài {_number(len(text))} ký tự, quá giới hạn "
                                                  f"{_number(CELL_LIMIT)} ký tự của một ô Excel."))
            flagged.add(name)
        if name in SINGLE_LINE:
            text = text.strip()
            if "\n" in text:
                problems.append(Problem(number, name, "Ô này chỉ được có một dòng."))
                flagged.add(name)
        elif name == ANSWER:
            text = text.strip()
        values[name] = text
    for name in REQUIRED_CELLS:
        if not values[name] and name not in flagged:
            problems.append(Problem(number, name, f"Ô “{name}” đang trống."))
            flagged.add(name)
    if len(values[TOPIC]) > TOPIC_LIMIT and TOPIC not in flagged:
        problems.append(Problem(number, TOPIC, f"Chủ đề dài quá {TOPIC_LIMIT} ký tự."))
    active = fold_diacritics(values[ACTIVE]).lower()
    if active not in ("co", "khong") and ACTIVE not in flagged:
        problems.append(Problem(number, ACTIVE, f"Giá trị “{_short(values[ACTIVE], 30)}” không hợp lệ; ghi “{YES}” hoặc “{NO}”."))
    confidence = _CONFIDENCE_CODES.get(" ".join(fold_diacritics(values[CONFIDENCE]).lower().split()))
    if confidence is None:
        confidence = values[CONFIDENCE]
        if CONFIDENCE not in flagged:
            problems.append(Problem(number, CONFIDENCE, f"Giá trị “{_short(values[CONFIDENCE], 30)}” không hợp lệ; ghi “cao”, "
                                                        "“trung bình”, “thấp” hoặc để trống."))

    def lines(name: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in values[name].split("\n") if line.strip())

    faq = Faq(
        id=values[ID], department=values[DEPARTMENT], topic=values[TOPIC], title=values[TITLE],
        question=values[QUESTION], confidence=confidence, answer=values[ANSWER], legal_basis=lines(LEGAL_BASIS),
        keywords=lines(KEYWORDS), excludes=lines(EXCLUDES),
        questions={style: lines(column) for style, column in STYLE_COLUMNS.items()},
        citation=values[CITATION], covers=tuple(dict.fromkeys(name.lower() for name in lines(COVERS))),
    )
    if faq.department and faq.department not in departments and DEPARTMENT not in flagged:
        problems.append(Problem(number, DEPARTMENT, f"Bộ phận “{faq.department}” không có trong danh sách bộ phận "
                                                    "(mã bộ phận có ở trang “Bộ phận” của tệp Excel)."))
        flagged.add(DEPARTMENT)
    for problem in faq_problems(faq, unit, departments):
        column = problem_column(problem)
        if column in flagged:
            continue  # already said more precisely (empty cell, formula, unknown department)
        problems.append(Problem(number, column, _sentence(problem)))
    return faq, active == "co"


def problem_column(problem: FaqProblem) -> str | None:
    """The column header of the field a `faq_problems` problem is about."""
    return FIELD_COLUMNS.get(problem.field)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."

