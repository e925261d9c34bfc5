"""Server folders a dashboard user may read: only below roots the operator configured.

The operator lists allowed roots in ``EMOTION_ATLAS_FOLDERS`` (separated by ``os.pathsep``);
with none set, no server folder can be read at all. A request names a root and a relative
sub-folder; ``..``, absolute paths, Windows-style paths and symlinks that lead outside the
root are refused with a reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from core.messages import Message, define

define(
    {
        "folder.not_allowed": "{name} is not one of the allowed folders.",
        "folder.windows_path": "Windows-style paths are not accepted; use / between folder names.",
        "folder.outside": "Give a folder inside the allowed folder, without '..' or a leading '/'.",
        "folder.link_outside": "That folder is a link to somewhere outside the allowed folder.",
        "folder.missing": "There is no folder {relative!r} in {root}.",
        "folder.file_link_outside": "a link to outside the folder",
        "folder.too_many_files": "over {limit} files",
    }
)

ROOTS_ENV = "EMOTION_ATLAS_FOLDERS"
MAX_FOLDER_FILES = 2000
_WINDOWS = re.compile(r"^[a-zA-Z]:|\\")


class FolderRefused(ValueError):
    """A folder request that is not allowed; ``str(error)`` says why."""


def allowed_roots() -> list[Path]:
    """The configured roots that exist, resolved (symlinks followed once, here)."""
    configured = os.environ.get(ROOTS_ENV, "")
    roots = [Path(entry).expanduser().resolve() for entry in configured.split(os.pathsep) if entry]
    return [root for root in roots if root.is_dir()]


def resolve_folder(root: Path, relative: str) -> Path:
    """``root / relative``, guaranteed to be a folder inside ``root``.

    Raises
    ------
    FolderRefused
        For a root that is not configured, Windows-style or absolute paths, ``..``, a
        missing folder, or a symlink leading outside the root.
    """
    roots = allowed_roots()
    root = Path(root).resolve()
    if root not in roots:
        raise FolderRefused(Message("folder.not_allowed", name=root.name or "/"))
    relative = relative.strip()
    if _WINDOWS.search(relative):
        raise FolderRefused(Message("folder.windows_path"))
    parts = PurePosixPath(relative).parts
    if relative.startswith("/") or ".." in parts:
        raise FolderRefused(Message("folder.outside"))
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root):
        raise FolderRefused(Message("folder.link_outside"))
    if not candidate.is_dir():
        raise FolderRefused(Message("folder.missing", relative=relative or ".", root=root.name))
    return candidate


def list_files(folder: Path, root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files below ``folder`` (sorted, hidden ones skipped) whose real path stays in ``root``."""
    root = Path(root).resolve()
    files, refused = [], []
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(current) / name
            if not path.resolve().is_relative_to(root):
                refused.append((str(path.relative_to(folder)), Message("folder.file_link_outside")))
            elif len(files) >= MAX_FOLDER_FILES:
                reason = Message("folder.too_many_files", limit=MAX_FOLDER_FILES)
                refused.append((str(path.relative_to(folder)), reason))
            else:
                files.append(path)
    return files, refused
