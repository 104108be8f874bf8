"""Checks that ``--output`` points at something the JSONL sink may replace.

The sink completes a part by renaming ``NAME.tmp`` over ``NAME``. Over a device, a FIFO or
a socket that rename would destroy it (``--output /dev/null`` as root turned the device
into a 588 KB regular file), opening a FIFO as the ``.tmp`` would block forever, and a
symlink pointing out of the output's folder means the user's path leads somewhere else.
So before anything is generated, every name the sink may write is looked at (``lstat``,
links not followed): a regular file (a previous run's output), a symlink that resolves to
one inside the same folder, or nothing, is fine; anything else is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from eventgen.errors import ConfigError


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def check_replaceable(path: Path, folder: Path) -> None:
    """Raise ConfigError unless ``path`` (in ``folder``) is absent, a regular file, or a
    symlink to a regular file or to nothing inside ``folder``."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise ConfigError(f"--output {path}: {error.strerror}") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder))):
            raise ConfigError(
                f"--output {path} is a symlink to {target}, outside {folder}: refusing to "
                "replace it (point --output at the real path)"
            )
        try:
            target_mode = os.stat(target).st_mode
        except FileNotFoundError:
            return
        except OSError as error:
            raise ConfigError(f"--output {path}: {error.strerror}") from None
        if stat.S_ISREG(target_mode):
            return
        raise ConfigError(f"--output {path} links to {_kind(target_mode)}: refusing to replace it")
    raise ConfigError(
        f"--output {path} is {_kind(mode)}: refusing to replace it "
        "(JSONL output needs a regular file or a folder)"
    )


def check_file_target(path: Path) -> None:
    """``--output FILE``: the file and its ``.tmp`` may be replaced (ConfigError if not)."""
    folder = path.parent
    check_replaceable(path, folder)
    check_replaceable(path.with_name(path.name + ".tmp"), folder)


def check_folder_target(folder: Path, generator_id: str) -> None:
    """``--output FOLDER/``: the folder is one (or can be created), and none of this
    generator's part names in it is anything but a regular file."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--output {folder}/: exists and is not a folder")
    if not folder.is_dir():
        return
    prefix = f"{generator_id}-part-"
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(prefix)]
    except OSError as error:
        raise ConfigError(f"--output {folder}/: {error.strerror}") from None
    for name in sorted(names):
        check_replaceable(folder / name, folder)
