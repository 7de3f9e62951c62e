"""Where the project's files live, relative to the checkout."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FAQ_DIR = DATA / "faq"
NLU_DIR = DATA / "nlu"
GENERATED_NLU = NLU_DIR / "faq.yml"
RULES_FILE = DATA / "rules.yml"
DOMAIN_FILE = ROOT / "domain.yml"
CONFIG_FILE = ROOT / "config.yml"
CATALOGUE = DATA / "faq-catalogue.csv"
UNIT_FILE = DATA / "unit.yml"
DEPARTMENTS_FILE = DATA / "departments.yml"
REPLIES_FILE = DATA / "replies.yml"
DECISION_FILE = DATA / "decision.yml"
MODELS = ROOT / "models"
VAR = ROOT / "var"
