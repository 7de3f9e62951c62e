"""The layering issue 19 asks for, read from the source's imports (`ast`, nothing is imported):

* nothing under `connectors/` imports `bot.handoff` (a channel translates; the core decides);
* nothing under `bot/` imports `connectors` (the core reaches channels through its ports, and the
  processes in `processes/` wire them together).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def offenders(package: str, forbidden: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = sorted(m for m in imported_modules(path) if m == forbidden or m.startswith(forbidden + "."))
        if bad:
            found.append(f"{path.relative_to(ROOT)}: {', '.join(bad)}")
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("connectors", "bot.handoff"), ("bot", "connectors")])
def test_the_layers_import_only_downwards(package, forbidden):
    assert offenders(package, forbidden) == []


def test_the_check_sees_an_offending_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from bot.handoff.tickets import TicketDesk\nimport connectors.zalo.api\nfrom bot import handoff\n")
    assert {"bot.handoff.tickets", "connectors.zalo.api", "bot.handoff"} <= imported_modules(module)
