"""Command line: `python -m bot <command>`.

  classify    JSON lines {"text": ...} on stdin -> one decision per line on stdout
  generate    write the Rasa files generated from the knowledge base (data/nlu/faq.yml, ...)
  check       fail when the knowledge base is unsound or the generated files are stale
  model       print the path of the live model (the last published, else the one for the
              checkout's data, trained if needed)
  gate        (internal) score a model on the held-back questions: gate MODEL KB_DIR --faqs ...
  migrate     bring the database (DATABASE_URL or var/bot.db) to the newest schema
  purge       blank citizens' message texts and names older than the retention period
              (BOT_RETENTION_MONTHS, default 12); the web process also does it every 6 hours
  create-admin USERNAME [--name "Họ tên"] [--password-stdin]
              create an administrator account for the inbox (password asked twice,
              or read from stdin when it is not a terminal)
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


def _read_password(from_stdin: bool) -> str | None:
    """Typed twice at a terminal; one line from stdin for scripts. None when the two differ."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mật khẩu (ít nhất 10 ký tự): ")
    again = getpass.getpass("Nhập lại mật khẩu: ")
    return first if first == again else None


def _create_admin(username: str, name: str | None, password_stdin: bool) -> int:
    from bot.config import database_url
    from bot.db import get_engine
    from bot.handoff.staff import ADMIN, StaffDirectory, StaffError
    from bot.migrate import upgrade

    password = _read_password(password_stdin)
    if password is None:
        print("Hai lần nhập mật khẩu không khớp; chưa tạo tài khoản.", file=sys.stderr)
        return 2
    url = database_url()
    upgrade(url)  # a fresh installation has no tables yet
    try:
        member = StaffDirectory(get_engine(url)).create(username, name or username, password, ADMIN)
    except StaffError as exc:
        print(f"Không tạo được tài khoản: {exc}.", file=sys.stderr)
        return 2
    print(f"Đã tạo tài khoản quản trị “{member.username}” ({member.display_name}). "
          "Đăng nhập tại http://localhost:8000/dang-nhap để thêm cán bộ và lãnh đạo.")
    return 0


def _gate(argv: list[str]) -> int:
    """Internal, for the publisher: score one model on the held-back questions, as JSON."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from bot.faq.gate import counted, load_questions, score

    parser = argparse.ArgumentParser(prog="python -m bot gate")
    parser.add_argument("model", type=Path)
    parser.add_argument("kb_dir", type=Path, help="the knowledge base's data folder (data/ of a release)")
    parser.add_argument("--faqs", default="", help="comma-separated FAQ ids both compared models know")
    parser.add_argument("--out", type=Path, help="write the JSON to this file (the publisher's way) instead of stdout")
    args = parser.parse_args(argv)
    faq_ids = set(filter(None, args.faqs.split(",")))
    scored = json.dumps(asdict(score(args.model, args.kb_dir, counted(load_questions(), faq_ids), faq_ids)), ensure_ascii=False)
    if args.out is None:
        print(scored, flush=True)
    else:
        args.out.write_text(scored, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["gate"]:
        return _gate(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["classify", "generate", "check", "model", "migrate", "create-admin", "purge"])
    parser.add_argument("username", nargs="?", help="create-admin: the new account's user name")
    parser.add_argument("--name", help="create-admin: the person's full name, e.g. \"Nguyễn Văn An\"")
    parser.add_argument("--password-stdin", action="store_true", help="create-admin: read the password from stdin")
    args = parser.parse_args(argv)
    if args.command == "create-admin" and not args.username:
        parser.error("create-admin cần tên đăng nhập, ví dụ: python -m bot create-admin quantri --name \"Nguyễn Văn An\"")
    if args.command != "create-admin" and args.username:
        parser.error(f"unexpected argument: {args.username}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if args.command == "classify":
        from bot.classify import main as classify_main

        return classify_main()
    if args.command in ("generate", "check"):
        return _generate(check_only=args.command == "check")
    if args.command == "create-admin":
        return _create_admin(args.username, args.name, args.password_stdin)
    if args.command == "model":
        from bot.db import get_engine
        from bot.faq.publish import live_model
        from bot.migrate import upgrade

        upgrade()
        print(live_model(get_engine()).model)
        return 0
    if args.command == "purge":
        import json

        from bot.config import database_url
        from bot.db import get_engine
        from bot.migrate import upgrade
        from bot.privacy import purge_expired

        upgrade()
        print(json.dumps(purge_expired(get_engine(database_url())), ensure_ascii=False))
        return 0
    from bot.migrate import upgrade

    upgrade()
    return 0


if __name__ == "__main__":
    sys.exit(main())
