"""Server folders a dashboard user may read: only below roots the operator configured.

The operator lists allowed roots in ``EMOTION_ATLAS_FOLDERS`` (separated by ``os.pathsep``);
with none set, no server folder can be read at all. A request names a root and a relative
sub-folder; ``..``, absolute paths, Windows-style paths, symlinks that lead outside the
root, symlink loops and names the file system cannot take are refused with a reason.

Only regular files are listed: a named pipe, socket or device is refused per item (reading
a pipe would block a session forever), and so is anything that cannot be looked at. No
reason names a server path; items are named relative to the chosen folder.
"""

from __future__ import annotations

import errno
import os
import re
import stat
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
        "folder.bad_name": (
            "That folder name cannot be used: it is too long or holds a character that "
            "file names cannot (such as NUL)."
        ),
        "folder.link_loop": "That folder is a link that leads round in a loop.",
        "folder.unreadable": "The folder {relative!r} cannot be read ({error}).",
        "folder.file_link_loop": "a link that leads round in a loop",
        "folder.special_file": "not a regular file (a named pipe, socket or device)",
        "folder.file_unreadable": "cannot be read ({error})",
    }
)

ROOTS_ENV = "EMOTION_ATLAS_FOLDERS"
MAX_FOLDER_FILES = 2000
NAME_MAX = 255  # bytes in one file name (Linux, macOS)
PATH_MAX = 4096  # bytes in a whole path (Linux)
_WINDOWS = re.compile(r"^[a-zA-Z]:|\\")


class FolderRefused(ValueError):
    """A folder request that is not allowed; ``str(error)`` says why."""


def allowed_roots() -> list[Path]:
    """The configured roots that exist, resolved (symlinks followed once, here).

    An entry that cannot be resolved (a symlink loop, a NUL, a name too long) is left out.
    """
    roots = []
    for entry in os.environ.get(ROOTS_ENV, "").split(os.pathsep):
        if not entry:
            continue
        try:
            root = Path(entry).expanduser().resolve()
            if root.is_dir():
                roots.append(root)
        except (OSError, ValueError, RuntimeError):
            continue
    return roots


def _bad_name(relative: str) -> bool:
    """Whether no file system could take ``relative``: NUL, over-long parts, not encodable."""
    try:
        encoded = os.fsencode(relative)
    except UnicodeError:
        return True
    return (
        b"\0" in encoded
        or len(encoded) > PATH_MAX
        or any(len(part) > NAME_MAX for part in encoded.split(b"/"))
    )


def _error_text(error: OSError) -> str:
    """What went wrong, without the path (``strerror`` names none)."""
    return error.strerror or type(error).__name__


def resolve_folder(root: Path, relative: str) -> Path:
    """``root / relative``, guaranteed to be a folder inside ``root``.

    Raises
    ------
    FolderRefused
        For a root that is not configured, Windows-style or absolute paths, ``..``, a
        missing or unreadable folder, a symlink leading outside the root or round in a
        loop, or a name no file system takes (NUL, too long). Never anything else.
    """
    roots = allowed_roots()
    try:
        resolved = Path(root).resolve()
    except (OSError, ValueError, RuntimeError):
        resolved = None
    if resolved is None or resolved not in roots:
        raise FolderRefused(Message("folder.not_allowed", name=Path(root).name or "/"))
    root = resolved
    relative = relative.strip()
    if _bad_name(relative):
        raise FolderRefused(Message("folder.bad_name"))
    if _WINDOWS.search(relative):
        raise FolderRefused(Message("folder.windows_path"))
    parts = PurePosixPath(relative).parts
    if relative.startswith("/") or ".." in parts:
        raise FolderRefused(Message("folder.outside"))
    try:
        candidate = (root / relative).resolve()
        inside = candidate.is_relative_to(root)
        is_folder = inside and candidate.is_dir()
    except RuntimeError:  # pathlib's word for a symlink loop
        raise FolderRefused(Message("folder.link_loop")) from None
    except ValueError:
        raise FolderRefused(Message("folder.bad_name")) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FolderRefused(Message("folder.link_loop")) from None
        if error.errno == errno.ENAMETOOLONG:
            raise FolderRefused(Message("folder.bad_name")) from None
        reason = Message("folder.unreadable", relative=relative or ".", error=_error_text(error))
        raise FolderRefused(reason) from None
    if not inside:
        raise FolderRefused(Message("folder.link_outside"))
    if not is_folder:
        raise FolderRefused(Message("folder.missing", relative=relative or ".", root=root.name))
    return candidate


def _refusal(path: Path, root: Path) -> Message | None:
    """Why the item at ``path`` cannot be offered, or None for a regular file inside root.

    Looks only (``realpath``, ``stat``): nothing is opened, so a pipe cannot block.
    """
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError) as error:
        text = _error_text(error) if isinstance(error, OSError) else type(error).__name__
        return Message("folder.file_unreadable", error=text)
    if not real.is_relative_to(root):
        return Message("folder.file_link_outside")  # said before anything about its target
    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Message("folder.file_link_loop")
        return Message("folder.file_unreadable", error=_error_text(error))
    except ValueError as error:
        return Message("folder.file_unreadable", error=type(error).__name__)
    if not stat.S_ISREG(status.st_mode):
        return Message("folder.special_file")
    return None


def list_files(folder: Path, root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files below ``folder`` (sorted, hidden ones skipped) whose real path stays
    in ``root``, and ``(name relative to folder, reason)`` for every other item.

    Symlinked folders are not entered. Pipes, sockets, devices, symlink loops, broken
    links and unreadable sub-folders are refused one by one; nothing here raises for them.
    """
    folder = Path(folder)
    root = Path(root).resolve()
    files: list[Path] = []
    refused: list[tuple[str, str]] = []

    def shown(path) -> str:
        try:
            return str(Path(path).relative_to(folder))
        except ValueError:
            return Path(path).name

    def unreadable_folder(error: OSError) -> None:
        reason = Message("folder.file_unreadable", error=_error_text(error))
        refused.append((shown(error.filename or folder), reason))

    for current, dirs, names in os.walk(folder, onerror=unreadable_folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(current) / name
            reason = _refusal(path, root)
            if reason is None and len(files) >= MAX_FOLDER_FILES:
                reason = Message("folder.too_many_files", limit=MAX_FOLDER_FILES)
            if reason is None:
                files.append(path)
            else:
                refused.append((shown(path), reason))
    return files, refused


def read_file(path: Path, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of the regular file at ``path`` (more than
    ``max_bytes`` back means it is too large).

    Checks with ``os.stat`` right before opening, opens without blocking and checks the
    open file again, so a pipe or device swapped in after the listing never blocks.

    Raises
    ------
    FolderRefused
        When ``path`` is not a regular file.
    OSError
        When it cannot be read.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise FolderRefused(Message("folder.special_file"))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    with open(os.open(path, flags), "rb", closefd=True) as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise FolderRefused(Message("folder.special_file"))
        return stream.read(max_bytes + 1)
