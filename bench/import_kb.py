#!/usr/bin/env python
"""Benchmark of the spreadsheet import: a 2,000-FAQ knowledge base, checked and applied all or nothing.

Builds an XLSX (and the same as CSV) of the 41 starter FAQs plus copies of them under new ids
with distinct questions, up to --faqs rows, then on a fresh database (SQLite in a temporary
folder, or --database-url, which must be an empty database: the migrations build and seed it):
  * times parse_upload (read + every check) and KnowledgeStore.replace_all (one transaction);
  * imports the same file again: nothing changes;
  * imports a broken variant (one bad row at the end: empty answer, and a question of another
    FAQ): time to the report, and the knowledge base left exactly as it was.

  python bench/import_kb.py [--faqs 2000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq.knowledge_base import QUESTION_STYLES, Faq, load_knowledge_base  # noqa: E402
from bot.faq.spreadsheet import ParsedImport, export_csv, export_xlsx, parse_upload  # noqa: E402
from bot.faq.store import FaqRecord, KnowledgeStore  # noqa: E402
from bot.handoff.departments import Departments  # noqa: E402
from bot.migrate import upgrade  # noqa: E402

TARGET_SECONDS = 10.0


def synthetic_faqs(count: int) -> list[Faq]:
    """The starter FAQs, then copies under new ids whose every question starts with "mẫu<n>"
    (a word no real question has), so no question is shared between two FAQs."""
    starters = list(load_knowledge_base().faqs.values())
    faqs = list(starters[:count])
    for n in range(len(faqs), count):
        base = starters[n % len(starters)]
        mark = f"mẫu{n} "
        faqs.append(replace(
            base, id=f"{base.id[:50]}_{n:05d}", title=f"{base.title} ({n})"[:255], question=mark + base.question,
            questions={s: tuple(mark + q for q in base.questions.get(s, ())) for s in QUESTION_STYLES},
        ))
    return faqs


def as_records(faqs: list[Faq]) -> list[FaqRecord]:
    return [FaqRecord(faq, True, 1, None, "bench") for faq in faqs]  # type: ignore[arg-type]


def broken(faqs: list[Faq]) -> list[Faq]:
    """The last row: an empty answer and the first FAQ's main question."""
    last = faqs[-1]
    return [*faqs[:-1], replace(last, answer="", questions={**last.questions, "short": (*last.questions["short"], faqs[0].question)})]


def timed(work):
    """The value, elapsed seconds and this process's CPU seconds (a busy machine shows the gap)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = work()
    return value, time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faqs", type=int, default=2000)
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = create_engine(url, future=True)
        store = KnowledgeStore(engine)
        departments = Departments(engine).all()
        codes = {d.code for d in departments}
        faqs = synthetic_faqs(args.faqs)
        questions = sum(len(f.training_questions()) for f in faqs)
        xlsx, *build_xlsx = timed(lambda: export_xlsx(as_records(faqs), departments))
        csv_bytes, *build_csv = timed(lambda: export_csv(as_records(faqs)))
        bad_xlsx = export_xlsx(as_records(broken(faqs)), departments)
        print(f"{len(faqs)} FAQs, {questions} questions; XLSX {len(xlsx) / 1e6:.1f} MB, CSV {len(csv_bytes) / 1e6:.1f} MB; "
              f"database {engine.url.get_backend_name()}")

        rows: list[tuple[str, list[float], str]] = [
            ("export_xlsx (build the file)", build_xlsx, ""), ("export_csv (build the file)", build_csv, ""),
        ]

        def parse(label: str, name: str, content: bytes) -> ParsedImport:
            result, *seconds = timed(lambda: parse_upload(name, content, codes, store.unit))
            rows.append((label, seconds, f"{len(result.records)} rows, {len(result.problems)} problems"))
            return result

        def apply(label: str, parsed: ParsedImport) -> list[float]:
            changed, *seconds = timed(lambda: store.replace_all(parsed.records, "bench", checked=True))
            rows.append((label, seconds, f"{changed} FAQs changed"))
            return seconds

        parse("parse_upload CSV", "kho.csv", csv_bytes)
        good = parse("parse_upload XLSX", "kho.xlsx", xlsx)
        assert good.ok, good.problems[:5]
        first = [a + b for a, b in zip(rows[-1][1], apply("replace_all, first import", good))]
        before = [(r.faq, r.active, r.version) for r in store.all()]
        again = parse("parse_upload XLSX, same file", "kho.xlsx", xlsx)
        second = [a + b for a, b in zip(rows[-1][1], apply("replace_all, same file again", again))]
        bad = parse("parse_upload XLSX, broken last row", "hong.xlsx", bad_xlsx)
        unchanged = [(r.faq, r.active, r.version) for r in store.all()] == before
        engine.dispose()

    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'elapsed s':>9}  {'CPU s':>6}  result")
    for name, (elapsed, cpu), note in rows:
        print(f"{name:<{width}}  {elapsed:>9.2f}  {cpu:>6.2f}  {note}")
    print("broken file, the report:")
    for p in bad.problems:
        print(f"  dòng {p.row}, cột “{p.column}”: {p.message[:110]}")
    print(f"broken file, the knowledge base: {'unchanged' if unchanged else 'CHANGED'}")
    verdict = "ok" if first[0] <= TARGET_SECONDS else "OVER"
    print(f"import of {len(faqs)} FAQs (parse + apply): {first[0]:.2f} s ({first[1]:.2f} s CPU) first time, "
          f"{second[0]:.2f} s ({second[1]:.2f} s CPU) unchanged; target ≤ {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if unchanged and bad.problems else 1


if __name__ == "__main__":
    sys.exit(main())
