"""Builds the deployment package the way ``azd deploy`` and Core Tools do: the service folder
(the repository root, ``project: .`` in azure.yaml) minus what ``.funcignore`` excludes.

Both tools read ``.funcignore`` with gitignore syntax, and when the file exists azd applies only
its rules, not its own defaults (``__pycache__``, virtual environments):
https://learn.microsoft.com/azure/developer/azure-developer-cli/service-packaging-ignore-files
pathspec's ``GitIgnoreSpec`` implements git's matching, including "a file under an excluded
folder stays excluded", which the walk below also honours by not entering such folders.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pathspec import GitIgnoreSpec

IGNORE_FILE = ".funcignore"


def ignore_spec(root: Path) -> GitIgnoreSpec:
    lines = (root / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    return GitIgnoreSpec.from_lines(lines)


def package_files(root: Path, spec: GitIgnoreSpec | None = None) -> list[str]:
    """Repository-relative POSIX paths of every file the package would hold, sorted."""
    spec = ignore_spec(root) if spec is None else spec
    return sorted(_walk(root, spec))


def _walk(root: Path, spec: GitIgnoreSpec) -> Iterator[str]:
    for current, dirs, files in os.walk(root, followlinks=False):
        rel_dir = Path(current).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        # Prune excluded folders: git never re-includes anything under an excluded folder.
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{prefix}{d}/"))
        for name in files:
            rel = f"{prefix}{name}"
            if not spec.match_file(rel) and not os.path.islink(os.path.join(current, name)):
                yield rel


def build_zip(root: Path, files: list[str], target: Path) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            archive.write(root / rel, rel)
    return target


def top_level(files: list[str]) -> set[str]:
    return {f.split("/", 1)[0] for f in files}
