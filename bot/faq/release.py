"""A release: the knowledge base as published, in a folder of its own, with its trained model.

`export_release` writes everything `rasa train` and the action server need from the database's
knowledge base into `var/releases/<id>/`: the generated NLU data, rules and domain (the same
generator as `make generate`, so the same knowledge base gives byte-identical files), the
hand-written NLU data and config, and the knowledge base itself as data/faq/*.yml with the
departments and the unit profile, which the action server loads when the release goes live.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot import paths
from bot.faq.knowledge_base import KnowledgeBase
from bot.faq.store import snapshot
from bot.faq.training_data import generated_files

HAND_WRITTEN_NLU = ("smalltalk.yml", "handoff.yml", "out_of_scope.yml")


def export_release(kb: KnowledgeBase, target: Path) -> Path:
    """Write the release folder for `kb` (replacing what was there); returns it."""
    if target.exists():
        shutil.rmtree(target)
    (target / "data" / "nlu").mkdir(parents=True)
    (target / "data" / "faq").mkdir(parents=True)
    where = {
        paths.GENERATED_NLU: target / "data" / "nlu" / "faq.yml",
        paths.RULES_FILE: target / "data" / "rules.yml",
        paths.DOMAIN_FILE: target / "domain.yml",
    }
    for path, content in generated_files(kb).items():
        where[path].write_text(content, encoding="utf-8")
    for name in HAND_WRITTEN_NLU:
        shutil.copy2(paths.NLU_DIR / name, target / "data" / "nlu" / name)
    shutil.copy2(paths.CONFIG_FILE, target / "config.yml")
    for faq in kb.faqs.values():
        data = snapshot(faq, True)
        del data["active"]
        (target / "data" / "faq" / f"{faq.id}.yml").write_text(_yaml(data), encoding="utf-8")
    departments = {"departments": {d.code: {"name": d.name} for d in kb.departments.values()}}
    (target / "data" / "departments.yml").write_text(_yaml(departments), encoding="utf-8")
    (target / "data" / "unit.yml").write_text(_yaml({"profile": kb.unit}), encoding="utf-8")
    shutil.copy2(paths.CATALOGUE, target / "data" / "faq-catalogue.csv")
    return target


def _yaml(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
