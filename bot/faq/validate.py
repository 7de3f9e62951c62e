"""Check the knowledge base before it is trained on or published."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from bot import intents, paths
from bot.faq.checks import answer_reading_problems, covers_problems
from bot.faq.knowledge_base import (
    CITATION_LIMIT, KnowledgeBase, citation_line, placeholders, read_catalogue,
)
from bot.text.normalize import normalize

MIN_QUESTIONS = 15
_DOCUMENT_NUMBER = re.compile(r"\b(\d+)/(\d{4})\b")


def validate(kb: KnowledgeBase, catalogue: Path = paths.CATALOGUE, other_examples: dict[str, list[str]] | None = None) -> list[str]:
    """Every problem found, as one Vietnamese-free sentence each; empty when the base is sound.

    `other_examples` maps non-FAQ intents to their examples, so that no FAQ question is also
    taught as, say, out_of_scope.
    """
    problems: list[str] = []
    rows = {row["id"]: row for row in read_catalogue(catalogue)}
    for missing in sorted(rows.keys() - kb.faqs.keys()):
        problems.append(f"catalogue id {missing} has no FAQ file")
    for extra in sorted(kb.faqs.keys() - rows.keys()):
        problems.append(f"FAQ {extra} is not in the catalogue")

    owners: dict[str, set[str]] = defaultdict(set)
    for faq in kb.faqs.values():
        row = rows.get(faq.id)
        if faq.department not in kb.departments:
            problems.append(f"{faq.id}: unknown department {faq.department}")
        if row and row["department"] != faq.department:
            problems.append(f"{faq.id}: department {faq.department} differs from the catalogue's {row['department']}")
        questions = faq.training_questions()[1:]
        if len(questions) < MIN_QUESTIONS:
            problems.append(f"{faq.id}: {len(questions)} training questions, at least {MIN_QUESTIONS} needed")
        if not faq.legal_basis:
            problems.append(f"{faq.id}: no legal basis")
        if not faq.citation:
            problems.append(f"{faq.id}: no citation (the short line of citations under the answer)")
        elif len(citation_line(faq)) > CITATION_LIMIT:
            problems.append(f"{faq.id}: citation line is {len(citation_line(faq))} characters, over {CITATION_LIMIT}")
        else:
            # The short line only abbreviates: every document number it names is in the full titles.
            cited = set(_DOCUMENT_NUMBER.findall(faq.citation)) - set(_DOCUMENT_NUMBER.findall(" ".join(faq.legal_basis)))
            if cited:
                problems.append(f"{faq.id}: citation names {sorted('/'.join(c) for c in cited)}, not in legal_basis")
        if not faq.keywords:
            problems.append(f"{faq.id}: no keywords")
        unknown = placeholders(faq.answer) - kb.unit.keys()
        if unknown:
            problems.append(f"{faq.id}: answer uses unknown placeholders {sorted(unknown)}")
        else:
            # The editors' own wording of each problem (length, first screen, doubled phrases).
            names = {code: d.name for code, d in kb.departments.items()}
            problems += [f"{faq.id}: {p}" for p in answer_reading_problems(faq, kb.unit, names)]
        problems += [f"{faq.id}: {p}" for p in covers_problems(faq)]
        for question in set(faq.training_questions()):
            owners[normalize(question).folded].add(faq.id)
        for question in set(faq.near_misses):
            owners[normalize(question).folded].add(intents.NOT_COVERED)
    for intent, examples in (other_examples or {}).items():
        for example in examples:
            owners[normalize(example).folded].add(intent)
    for question, owner_ids in sorted(owners.items()):
        if len(owner_ids) > 1:
            problems.append(f"question {question!r} is taught for several intents: {sorted(owner_ids)}")
    return problems
