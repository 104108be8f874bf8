"""Kubernetes' own rules for the pod settings a spec passes through, checked before creating.

The API server refuses a Deployment or Job whose resources or ServiceAccount name break
these rules (400/422), and the kubelet refuses an image reference it cannot parse
(InvalidImageName) after the pod was created. Checking them here lets the operator answer
with `InvalidSpec` and the rule's words before anything exists. The `*_PATTERN` constants are
also the CRD's `pattern`s (a test compares them); the functions add the rest (values,
limits >= requests, lengths).

Sources: apimachinery's `resource.Quantity` parser (the grammar) and the core validation of
container resources; `IsDNS1123Subdomain`; the distribution reference grammar
(distribution/reference `regexp.go`), which containerd and the kubelet parse images with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation, localcontext

# The quantity grammar: sign, digits with an optional fraction, then a binary suffix, a
# decimal suffix or a decimal exponent (an integer). Stricter than nothing, exactly what
# resource.ParseQuantity accepts apart from the bare ".".
QUANTITY_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$"

DNS1123_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS1123_SUBDOMAIN_MAX = 253

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_NAME = rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
# `\w` spelled out: Python's is Unicode, the API server's (Go RE2) is ASCII.
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_PATTERN = rf"^{_NAME}(?::{_TAG})?(?:@{_DIGEST})?$"
# distribution: "repository name must not be more than 255 characters".
IMAGE_NAME_MAX = 255

STANDARD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
HUGEPAGES_PREFIX = "hugepages-"
_QUALIFIED_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{f"{letter}i": Decimal(1024) ** (power + 1) for power, letter in enumerate("KMGTPE")},
}
# Exponents beyond this are not quantities Kubernetes can hold (it stores int64 or
# inf.Dec with a bounded scale; the API server refuses them as out of range).
_MAX_EXPONENT = 30


def quantity_value(text: str) -> Decimal | None:
    """The value of a Kubernetes quantity (`500m` -> 0.5, `1Gi` -> 1073741824), or None
    when `text` does not follow the quantity grammar."""
    match = re.fullmatch(QUANTITY_PATTERN, text)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(3) or ""
    sign = -1 if text.startswith("-") else 1
    with localcontext() as context:
        context.prec = 60
        try:
            value = Decimal(number if not number.endswith(".") else number + "0")
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
        if suffix not in _SUFFIXES:  # a decimal exponent, e.g. e3
            exponent = int(suffix[1:])
            if abs(exponent) > _MAX_EXPONENT:
                return None
            return sign * value.scaleb(exponent)
        return sign * value * _SUFFIXES[suffix]


def dns1123_subdomain_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 subdomain (what Kubernetes wants for object names)."""
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        return f"{name!r} is longer than {DNS1123_SUBDOMAIN_MAX} characters"
    if not re.fullmatch(DNS1123_SUBDOMAIN_PATTERN, name):
        return (
            f"{name!r} is not a lowercase RFC 1123 subdomain: lowercase letters, digits, "
            "'-' and '.', starting and ending with a letter or digit"
        )
    return None


def image_problem(image: str) -> str | None:
    """Why `image` is not an image reference (`[registry[:port]/]path[:tag][@digest]`)."""
    if image != image.strip():
        return f"{image!r} has leading or trailing whitespace"
    if not re.fullmatch(IMAGE_PATTERN, image):
        return (
            f"{image!r} is not an image reference: [registry[:port]/]name[:tag][@digest], "
            "the name in lowercase letters, digits and separators . _ __ -"
        )
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    if len(name) > IMAGE_NAME_MAX:
        return f"{image!r}: the repository name is longer than {IMAGE_NAME_MAX} characters"
    return None


def _extended(name: str) -> bool:
    return name not in STANDARD_RESOURCES and not name.startswith(HUGEPAGES_PREFIX)


def _resource_name_problem(name: str) -> str | None:
    if name in STANDARD_RESOURCES:
        return None
    if name.startswith(HUGEPAGES_PREFIX):
        size = quantity_value(name.removeprefix(HUGEPAGES_PREFIX))
        return None if size is not None and size > 0 else f"{name}: not a hugepages size"
    if _QUALIFIED_NAME.fullmatch(name) and not name.split("/")[0].endswith("kubernetes.io"):
        return None  # an extended resource, e.g. nvidia.com/gpu
    return (
        f"{name}: not a container resource (cpu, memory, ephemeral-storage, "
        "hugepages-<size>, or a domain-qualified extended resource such as example.com/gpu)"
    )


def _value_problem(field: str, name: str, raw: int | str, value: Decimal | None) -> str | None:
    """Why `raw` (parsed: `value`) is no valid amount of resource `name`, or None."""
    if value is None:
        return f"{field}: {str(raw)!r} is not a Kubernetes quantity (e.g. 500m, 2, 1.5, 256Mi, 1G)"
    if value < 0:
        return f"{field}: must be greater than or equal to 0"
    if _extended(name) and value != value.to_integral_value():
        return f"{field}: an extended resource must be a whole number"
    return None


def _request_limit_problems(
    values: Mapping[str, Mapping[str, Decimal]],
    requests: Mapping[str, int | str] | None,
    limits: Mapping[str, int | str] | None,
) -> list[str]:
    """How valid requests and limits break the rules between them."""
    problems = []
    for name, request in values["requests"].items():
        limit = values["limits"].get(name)
        if limit is not None and request > limit:
            problems.append(
                f"spec.resources.requests.{name}: {(requests or {})[name]!s} is more than the "
                f"limit {(limits or {})[name]!s} (requests must not exceed limits)"
            )
        elif not _overcommittable(name) and limit != request:
            problems.append(
                f"spec.resources.requests.{name}: cannot be overcommitted, so it needs a "
                "limit equal to the request"
            )
    return problems


def resources_problems(
    requests: Mapping[str, int | str] | None, limits: Mapping[str, int | str] | None
) -> list[str]:
    """Every reason the API server would refuse these container requests and limits, one
    line each naming the field (`spec.resources.limits.memory: ...`)."""
    problems: list[str] = []
    values: dict[str, dict[str, Decimal]] = {"requests": {}, "limits": {}}
    for kind, given in (("requests", requests), ("limits", limits)):
        for name, raw in (given or {}).items():
            problem = _resource_name_problem(name)
            if problem:
                problems.append(f"spec.resources.{kind}: {problem}")
                continue
            value = quantity_value(str(raw))
            problem = _value_problem(f"spec.resources.{kind}.{name}", name, raw, value)
            if problem is not None:
                problems.append(problem)
            elif value is not None:  # always, once there is no problem
                values[kind][name] = value
    return problems + _request_limit_problems(values, requests, limits)


def _overcommittable(name: str) -> bool:
    # Kubernetes lets a request stay below its limit only for cpu, memory and storage;
    # hugepages and extended resources are handed out whole.
    return name in STANDARD_RESOURCES
