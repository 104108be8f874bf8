"""A small Dockerfile reader: enough of the format to check what this project's image does.

Handles comments, parser directives, backslash line continuations, `ARG` defaults used in
`FROM`, stages (`FROM ... AS name`) and exec-form (JSON) instructions. It is not a full
BuildKit parser; it only has to read the one Dockerfile this project keeps at its root.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction: upper-case keyword and its raw argument text (continuations joined)."""

    keyword: str
    argument: str

    def exec_form(self) -> list[str] | None:
        """The argument as a JSON list (exec form), or None when written in shell form."""
        text = self.argument.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{self.keyword} exec form must be a list of strings: {text}")
        return value

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        """Leading `--flag=value` options and the remaining shell words (COPY, ADD, FROM)."""
        flags: dict[str, str] = {}
        words = shlex.split(self.argument)
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        return flags, words


@dataclass
class Stage:
    """One build stage: its resolved base image, optional name and instructions."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """Every instruction of this stage with the given keyword, in order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        """The last instruction with the given keyword (the one Docker obeys), or None."""
        found = self.all(keyword)
        return found[-1] if found else None


def logical_lines(text: str) -> list[str]:
    """Instruction lines with comments dropped and backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        # Comment lines may sit inside a continued instruction; Docker drops them.
        if stripped.startswith("#"):
            continue
        if not stripped and not pending:
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append((pending + stripped).strip())
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return lines


_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace `$NAME` and `${NAME}` with values; unknown names raise KeyError."""
    return _VARIABLE.sub(lambda m: values[m.group(1) or m.group(2)], text)


def parse(text: str) -> list[Stage]:
    """Stages of a Dockerfile, with global `ARG` defaults substituted into `FROM`."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(text):
        keyword, _, argument = line.partition(" ")
        instruction = Instruction(keyword.upper(), argument.strip())
        if instruction.keyword == "FROM":
            _, words = instruction.flags_and_words()
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            stages.append(Stage(substitute(words[0], global_args), name))
        elif not stages:
            if instruction.keyword == "ARG":
                key, _, default = instruction.argument.partition("=")
                global_args[key.strip()] = default.strip().strip('"')
        else:
            stages[-1].instructions.append(instruction)
    if not stages:
        raise ValueError("no FROM instruction")
    return stages


def read(path: Path) -> list[Stage]:
    """Stages of the Dockerfile at `path`."""
    return parse(path.read_text(encoding="utf-8"))


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether `.dockerignore` patterns keep `path` (relative, `/`-separated) out of the context.

    Docker's rule: patterns apply in order, the last match wins, a leading `!` re-includes,
    and a pattern that matches a folder also matches everything under it.
    """
    excluded = False
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if _matches_any(pattern, prefixes):
            excluded = not negate
    return excluded


def _matches_any(pattern: str, prefixes: list[str]) -> bool:
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(fnmatch.fnmatchcase(p.split("/")[-1], tail) for p in prefixes) or any(
            fnmatch.fnmatchcase(p, tail) for p in prefixes
        )
    # Docker's `*` does not cross `/`; compare segment counts so `*` only matches top level.
    depth = pattern.count("/")
    return any(p.count("/") == depth and fnmatch.fnmatchcase(p, pattern) for p in prefixes)
