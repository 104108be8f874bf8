"""What a sink is asked for, and the rules of which requests make sense: the sinks' own settings.

The command line fills a :class:`SinkRequest` from its flags (and their ``EVENTGEN_*``
variables; its field names are the flags' names), :func:`sink_settings` checks it before
anything is written, and :func:`eventgen.sinks.factory.build_sink` builds the sink the
resulting :class:`SinkSettings` describe. A bad combination is a
:class:`~eventgen.errors.ConfigError` naming the flags to change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from eventgen.errors import ConfigError

SINKS = ("stdout", "jsonl", "pubsub", "gcs")
PART_SINKS = ("jsonl", "gcs")
"""Sinks writing rotated parts (files or objects), which alone take rotation and gzip."""


@dataclass(frozen=True, kw_only=True)
class SinkOptions:
    """The options a request passes on to its sink as given (each kind reads its own)."""

    gzip: bool = False
    rotate_bytes: int | None = None
    rotate_seconds: float | None = None
    gcs_bucket: str | None = None
    gcs_prefix: str = "raw/"
    pubsub_project: str | None = None
    pubsub_topic: str | None = None
    ordering_key: str | None = None
    flush_timeout: float = 30.0


@dataclass(frozen=True, kw_only=True)
class SinkRequest(SinkOptions):
    """The sink options as given, unchecked (``sink`` None: chosen from ``output``)."""

    sink: str | None = None
    output: str | None = None


@dataclass(frozen=True, kw_only=True)
class SinkSettings(SinkOptions):
    """Where events go. ``kind`` is one of :data:`SINKS`; the rest depends on it."""

    kind: str
    output: Path | None = None
    output_is_folder: bool = False


def sink_settings(request: SinkRequest) -> SinkSettings:
    """The checked settings of ``request`` (ConfigError on a combination that cannot work)."""
    kind = request.sink or ("jsonl" if request.output else "stdout")
    folder = _output_is_folder(kind, request.output)
    _check_destination(kind, request)
    _check_parts(kind, folder, request)
    passed_on = {option.name: getattr(request, option.name) for option in fields(SinkOptions)}
    return SinkSettings(
        kind=kind,
        output=Path(request.output) if request.output else None,
        output_is_folder=folder,
        **passed_on,
    )


def _output_is_folder(kind: str, output: str | None) -> bool:
    """Whether jsonl's ``--output`` is a folder (an existing one, or a path ending in /)."""
    if kind != "jsonl":
        if output:
            raise ConfigError(f"--output is only used by --sink jsonl (the sink is {kind})")
        return False
    if not output:
        raise ConfigError("--sink jsonl needs --output PATH (a file, or a folder ending in /)")
    return Path(output).is_dir() or output.endswith("/")


def _check_destination(kind: str, request: SinkRequest) -> None:
    """A cloud sink names where it writes."""
    if kind == "gcs" and not request.gcs_bucket:
        raise ConfigError("--sink gcs needs --gcs-bucket")
    if kind == "pubsub" and not (request.pubsub_project and request.pubsub_topic):
        raise ConfigError("--sink pubsub needs --pubsub-project and --pubsub-topic")


def _check_parts(kind: str, folder: bool, request: SinkRequest) -> None:
    """Rotation and gzip apply to sinks writing parts; jsonl rotates only into a folder."""
    rotating = request.rotate_bytes is not None or request.rotate_seconds is not None
    if rotating and kind not in PART_SINKS:
        raise ConfigError(f"--rotate-bytes/--rotate-seconds apply to jsonl and gcs, not {kind}")
    if rotating and kind == "jsonl" and not folder:
        raise ConfigError("--rotate-bytes/--rotate-seconds need --output to be a folder (end in /)")
    if request.gzip and kind not in PART_SINKS:
        raise ConfigError(f"--gzip applies to jsonl and gcs, not {kind}")
