"""The EventGenerator spec as typed, validated Python values.

The CRD's OpenAPI schema already rejects most bad input at the API server, but older
servers (1.20 here) drop the CEL cross-field rules, and a spec written before a schema
change may still be stored. So the operator parses every spec again with the same
defaults and bounds as crds/eventgenerators.yaml, plus the cross-field rules, and turns
every violation into one readable line naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from eventgen import contract
from eventgen.cloud_names import bucket_problem, project_id_problem, pubsub_id_problem
from eventgen.shape.curve import factor_bound
from eventgen.shape.document import Shape
from eventgen.shape.document import problems as shape_problems
from eventgen.shop.locales import supported_locale
from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.hardening import output_path_problem
from eventgen_operator.kube_rules import (
    dns1123_subdomain_problem,
    image_problem,
    resources_problems,
)

# Replicas above this are almost surely a typo in rate or maxRatePerReplica (same as the CRD).
MAX_REPLICAS = 1000
# Extra environment variables a spec may add (same bound as the CRD's maxItems).
MAX_ENV = 32
# Env the operator sets itself; a user value would silently override it (the last wins).
OPERATOR_ENV_PREFIX = contract.ENV_PREFIX
OPERATOR_ENV_NAMES = frozenset({contract.POD_NAMESPACE})
# Children are named after the EventGenerator; Job pod names and the job-name label must
# stay within 63 characters after Kubernetes appends its suffixes.
MAX_NAME_LENGTH = 52


def _checked(value: str | None, problem: Callable[[str], str | None]) -> str | None:
    """`value` when the rule `problem` has nothing to say about it (None passes)."""
    if value is not None:
        found = problem(value)
        if found:
            raise ValueError(found)
    return value


class _Model(BaseModel):
    """camelCase in the API, snake_case in Python; unknown keys are ignored (the API
    server prunes them anyway)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class BatchSpec(_Model):
    """Shape of a batch run: `events` in total, split over `shards` Job completions."""

    events: int = Field(ge=1, le=1_000_000_000_000)
    shards: int = Field(default=1, ge=1, le=10_000)
    parallelism: int | None = Field(default=None, ge=1, le=10_000)
    daily_profile: bool = True


class PubSubSink(_Model):
    """Pub/Sub topic to publish to."""

    project: str | None = Field(default=None, max_length=30)
    topic: str | None = Field(default=None, min_length=3, max_length=255)
    ordering_by_order_id: bool = False

    @field_validator("project")
    @classmethod
    def _project_id(cls, project: str | None) -> str | None:
        return _checked(project, project_id_problem)

    @field_validator("topic")
    @classmethod
    def _topic_id(cls, topic: str | None) -> str | None:
        return _checked(topic, pubsub_id_problem)


class GcsSink(_Model):
    """Cloud Storage bucket and object prefix to write JSONL files to."""

    bucket: str | None = Field(default=None, min_length=3, max_length=222)
    prefix: str = Field(default="raw/", max_length=512)

    @field_validator("bucket")
    @classmethod
    def _bucket_name(cls, bucket: str | None) -> str | None:
        return _checked(bucket, bucket_problem)


class JsonlLocalSink(_Model):
    """A path inside the generator container."""

    path: str = "/data/events"

    @model_validator(mode="after")
    def _mountable(self) -> JsonlLocalSink:
        problem = output_path_problem(self.path)
        if problem:
            raise ValueError(f"spec.sink.jsonlLocal.path: {problem}")
        return self


class SinkSpec(_Model):
    """Where the events go; the sub-object matching `type` carries the target."""

    type: Literal["pubsub", "gcs", "stdout", "jsonl-local"]
    pubsub: PubSubSink | None = None
    gcs: GcsSink | None = None
    jsonl_local: JsonlLocalSink | None = None

    @model_validator(mode="after")
    def _target_named(self) -> SinkSpec:
        if self.type == "pubsub" and (self.pubsub is None or not self.pubsub.topic):
            raise ValueError("spec.sink.pubsub.topic is required when spec.sink.type is pubsub")
        if self.type == "gcs" and (self.gcs is None or not self.gcs.bucket):
            raise ValueError("spec.sink.gcs.bucket is required when spec.sink.type is gcs")
        return self


class EventMix(_Model):
    """Proportions of the order lifecycle (shares between 0 and 1)."""

    locale: str = Field(default="en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    cancel_rate: float | None = Field(default=None, ge=0, le=1)
    refund_rate: float | None = Field(default=None, ge=0, le=1)

    @field_validator("locale")
    @classmethod
    def _supported(cls, locale: str) -> str:
        # The CRD's pattern admits any locale-shaped text; the generator refuses all but
        # its own (exit 2), which would leave the pods crash-looping instead of saying why.
        return supported_locale(locale)


class Faults(_Model):
    """Opt-in faults (shares between 0 and 1; lateness in seconds)."""

    duplicate_rate: float | None = Field(default=None, ge=0, le=1)
    late_rate: float | None = Field(default=None, ge=0, le=1)
    max_lateness_seconds: int | None = Field(default=None, ge=0, le=604_800)
    malformed_rate: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _one_fault_per_event(self) -> Faults:
        # One draw per event picks at most one fault, so the shares cannot exceed 1; the
        # generator refuses more (exit 2), which would leave the pods crash-looping.
        rates = (self.duplicate_rate, self.late_rate, self.malformed_rate)
        if sum(rate or 0.0 for rate in rates) > 1:
            raise ValueError(
                "spec.faults: duplicateRate + lateRate + malformedRate must be at most 1"
            )
        return self


class EnvVar(_Model):
    """One extra environment variable of the generator container."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=253)
    value: str = ""


class Resources(_Model):
    """Container requests and limits, as Kubernetes quantities."""

    requests: dict[str, int | str] | None = None
    limits: dict[str, int | str] | None = None

    @model_validator(mode="after")
    def _kubernetes_accepts(self) -> Resources:
        # Field names are resource names (cpu, memory, ...): keep them as written.
        problems = resources_problems(self.requests, self.limits)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class GeneratorSpec(_Model):
    """The whole spec. Rates are events per second."""

    mode: Literal["streaming", "batch"] = "streaming"
    rate: float = Field(default=100, ge=0, le=10_000_000)
    max_rate_per_replica: float = Field(default=20_000, ge=1, le=1_000_000)
    batch: BatchSpec | None = None
    seed: int | None = Field(default=None, ge=0, le=2**53 - 1)
    sink: SinkSpec
    events: EventMix = EventMix()
    faults: Faults = Faults()
    image: str | None = Field(default=None, min_length=1)
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    resources: Resources | None = None
    service_account_name: str | None = Field(default=None, min_length=1, max_length=253)
    suspend: bool = False
    env: tuple[EnvVar, ...] = Field(default=(), max_length=MAX_ENV)
    # Checked with the generator's own model (eventgen.shape.document), kept as the mapping written.
    shape: dict[str, Any] | None = None

    @field_validator("shape")
    @classmethod
    def _shape(cls, shape: dict[str, Any] | None) -> dict[str, Any] | None:
        if shape is not None:
            try:
                Shape.model_validate(shape)
            except pydantic.ValidationError as error:
                raise ValueError("; ".join(shape_problems(error, "spec.shape"))) from None
        return shape

    @field_validator("image")
    @classmethod
    def _image_reference(cls, image: str | None) -> str | None:
        return _checked(image, image_problem)

    @field_validator("service_account_name")
    @classmethod
    def _account_name(cls, account: str | None) -> str | None:
        return _checked(account, dns1123_subdomain_problem)

    @model_validator(mode="after")
    def _cross_field_rules(self) -> GeneratorSpec:
        self._check_env()
        if self.mode == "batch" and self.batch is None:
            raise ValueError("spec.batch (with events) is required when spec.mode is batch")
        if self.mode == "streaming" and self.rate > self.max_rate_per_replica * MAX_REPLICAS:
            raise ValueError(
                f"spec.rate needs more than {MAX_REPLICAS} replicas at "
                "spec.maxRatePerReplica; raise maxRatePerReplica"
            )
        if self.shape is not None:
            self._check_shape()
        if (
            self.batch is not None
            and self.batch.parallelism is not None
            and self.batch.parallelism > self.batch.shards
        ):
            raise ValueError("spec.batch.parallelism must not exceed spec.batch.shards")
        return self

    def _check_shape(self) -> None:
        if self.mode == "batch":
            raise ValueError("spec.shape is for streaming; a batch follows spec.batch.dailyProfile")
        bound = self.rate * factor_bound(Shape.model_validate(self.shape))
        if bound > self.max_rate_per_replica * MAX_REPLICAS:
            raise ValueError(
                f"spec.shape: at its highest (up to {bound:,.0f} events/s: busiest hour x "
                f"highest stage x every burst) spec.rate needs more than {MAX_REPLICAS} "
                "replicas at spec.maxRatePerReplica; raise maxRatePerReplica"
            )

    def _check_env(self) -> None:
        seen: set[str] = set()
        for index, item in enumerate(self.env):
            if item.name.startswith(OPERATOR_ENV_PREFIX) or item.name in OPERATOR_ENV_NAMES:
                raise ValueError(
                    f"spec.env[{index}].name: {item.name} is set by the operator; "
                    "use the spec's own fields instead"
                )
            if item.name in seen:
                raise ValueError(f"spec.env[{index}].name: {item.name} is listed twice")
            seen.add(item.name)


def _field_path(location: tuple[int | str, ...]) -> str:
    """`("sink", "pubsub", "topic")` -> `spec.sink.pubsub.topic` (camelCase, as written)."""
    parts = ["spec"]
    for part in location:
        parts.append(f"[{part}]" if isinstance(part, int) else to_camel(part))
    return ".".join(parts).replace(".[", "[")


def _readable(error: Any) -> str:
    """One line per pydantic error: the field, then what is wrong."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("spec."):
        return message  # cross-field rules already name their fields
    location = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
    return f"{_field_path(location)}: {message}"


def parse_spec(raw: Any, name: str) -> GeneratorSpec:
    """Parse and check an EventGenerator's spec (a mapping as stored by the API server).

    Raises InvalidSpecError listing every problem, each on its own readable line.
    """
    problems: list[str] = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            f"metadata.name: at most {MAX_NAME_LENGTH} characters (children are named after it)"
        )
    try:
        spec = GeneratorSpec.model_validate(dict(raw) if raw is not None else {})
    except pydantic.ValidationError as error:
        problems.extend(_readable(item) for item in error.errors())
        raise InvalidSpecError(problems) from None
    if problems:
        raise InvalidSpecError(problems)
    return spec
