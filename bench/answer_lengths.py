#!/usr/bin/env python
"""Each FAQ answer's length as sent and its first screen (the opening paragraph), before and after.

  python bench/answer_lengths.py [--before REV] [--profile sample|long]

"Before" renders the answers, legal bases and unit profile of git revision REV (default: the
commit before the answers were reshaped for a phone) as that revision did: the body, one "Căn cứ:"
line joining every full title, the closing line. "After" is the working tree's `render_answer`.
--profile long fills both with tests/bot/faq/long_unit_profile.yml instead of each revision's own
data/unit.yml. Columns: total characters, first-screen characters, "Căn cứ" line characters.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq.knowledge_base import BASIS_LABEL, first_screen, load_knowledge_base  # noqa: E402

BEFORE = "7a78dfb"  # main before the answers were reshaped for a phone
LONG_PROFILE = ROOT / "tests" / "bot" / "faq" / "long_unit_profile.yml"


def _git_yaml(rev: str, path: str) -> dict:
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True)
    return yaml.safe_load(shown.stdout)


def _basis_line(text: str) -> str:
    return next((line for line in text.split("\n") if line.startswith(BASIS_LABEL)), "")


def before(rev: str, faq_ids: list[str], departments: dict[str, str], unit: dict[str, str] | None) -> dict[str, str]:
    """The answers as revision `rev` rendered them (its own renderer's shape)."""
    unit = unit or {str(k): str(v) for k, v in _git_yaml(rev, "data/unit.yml")["profile"].items()}
    out = {}
    for faq_id in faq_ids:
        data = _git_yaml(rev, f"data/faq/{faq_id}.yml")
        body = str(data["answer"]).format_map(unit).strip()
        basis = "Căn cứ: " + "; ".join(data["legal_basis"]) + "."
        closing = (f"Trường hợp của anh/chị có điểm khác, xin nhắn \"gặp cán bộ\" để {departments[data['department']]} "
                   f"hỗ trợ trong giờ làm việc, hoặc gọi {unit['hotline']}.")
        out[faq_id] = f"{body}\n\n{basis}\n\n{closing}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--profile", choices=("sample", "long"), default="sample")
    args = parser.parse_args()
    kb = load_knowledge_base()
    long_unit = None
    if args.profile == "long":
        long_unit = {str(k): str(v) for k, v in yaml.safe_load(LONG_PROFILE.read_text(encoding="utf-8"))["profile"].items()}
        kb = replace(kb, unit=long_unit)
    departments = {code: d.name for code, d in kb.departments.items()}
    old = before(args.before, list(kb.faqs), departments, long_unit)
    print(f"profile: {args.profile}; before = {args.before}, after = working tree")
    print(f"{'FAQ':26} {'total':>11} {'first screen':>13} {'Căn cứ line':>12}")
    sums = [0] * 6
    for faq_id in kb.faqs:
        new = kb.render_answer(faq_id)
        row = (len(old[faq_id]), len(new), len(first_screen(old[faq_id])), len(first_screen(new)),
               len(_basis_line(old[faq_id])), len(_basis_line(new)))
        sums = [a + b for a, b in zip(sums, row)]
        print(f"{faq_id:26} {row[0]:5}→{row[1]:<5} {row[2]:6}→{row[3]:<5} {row[4]:5}→{row[5]:<5}")
    n = len(kb.faqs)
    mean = [round(s / n) for s in sums]
    print(f"{'mean':26} {mean[0]:5}→{mean[1]:<5} {mean[2]:6}→{mean[3]:<5} {mean[4]:5}→{mean[5]:<5}")
    news = [kb.render_answer(f) for f in kb.faqs]
    olds = list(old.values())
    for label, texts in (("before", olds), ("after", news)):
        print(f"{label}: longest {max(map(len, texts))}, first screens over 300: "
              f"{sum(len(first_screen(t)) > 300 for t in texts)}, \"Căn cứ\" lines over 200: "
              f"{sum(len(_basis_line(t)) > 200 for t in texts)}")


if __name__ == "__main__":
    main()
