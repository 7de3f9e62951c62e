"""The code and data our NLU components read besides their own class, as one hash.

Rasa's training cache keys a component by its class's source, its config and its inputs, not by
the modules it calls: without this, a change to the normalizer's rules (bot/text), the slang table
or the English glossary would leave `rasa train` reusing the messages normalized the old way
(seen: a retrained model whose cross-validation was the old one's, line for line). The components
return it as Rasa's `fingerprint_addon`; bot.model adds the same files to the model's fingerprint.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from bot import paths

DATA_FILES = ("data/slang.yml", "data/english.yml")
SOURCE_GLOBS = ("bot/nlu/*.py", "bot/text/*.py")


def code_files() -> list[Path]:
    """The files, under the checkout, in a fixed order."""
    files = [paths.ROOT / name for name in DATA_FILES]
    for pattern in SOURCE_GLOBS:
        files.extend(sorted(paths.ROOT.glob(pattern)))
    return files


def digest_files(digest: "hashlib._Hash", files: list[Path], base: Path) -> None:
    """Feed each file's path (relative to `base`) and bytes into `digest`."""
    for path in files:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of `code_files()`, once per process (training reads it for every component)."""
    digest = hashlib.sha256()
    digest_files(digest, code_files(), paths.ROOT)
    return digest.hexdigest()[:20]
