"""Command line: `python -m bot <command>`.

  classify    JSON lines {"text": ...} on stdin -> one decision per line on stdout
  generate    write the Rasa files generated from the knowledge base (data/nlu/faq.yml, ...)
  check       fail when the knowledge base is unsound or the generated files are stale
  model       print the path of the model for the current data, training it if needed
  migrate     bring the database (DATABASE_URL or var/bot.db) to the newest schema
"""
from __future__ import annotations

import argparse
import logging
import sys


def _generate(check_only: bool) -> int:
    from bot.faq.knowledge_base import load_knowledge_base
    from bot.faq.training_data import generated_files, hand_written_examples
    from bot.faq.validate import validate

    kb = load_knowledge_base()
    problems = validate(kb, other_examples=hand_written_examples())
    for problem in problems:
        print(f"knowledge base: {problem}", file=sys.stderr)
    stale = []
    for path, content in generated_files(kb).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != content:
            stale.append(path)
            if not check_only:
                path.write_text(content, encoding="utf-8")
    if check_only and stale:
        print("stale generated files (run `python -m bot generate`): " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["classify", "generate", "check", "model", "migrate"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if args.command == "classify":
        from bot.classify import main as classify_main

        return classify_main()
    if args.command in ("generate", "check"):
        return _generate(check_only=args.command == "check")
    if args.command == "model":
        from bot.model import ensure_model

        print(ensure_model())
        return 0
    from bot.migrate import upgrade

    upgrade()
    return 0


if __name__ == "__main__":
    sys.exit(main())
