"""The rules Kubernetes and Google Cloud apply to names and quantities, checked up front.

Tables of valid and invalid examples taken from each documented rule (and its edges); the
last tests pin the CRD's patterns to the same constants, so the schema and the operator
never disagree about a rule.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml

from eventgen import cloud_names
from eventgen_operator import kube_rules
from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.kube_rules import quantity_value, resources_problems
from eventgen_operator.spec import parse_spec
from tests.support.helm_chart import REPO_ROOT

QUANTITIES = [
    ("0", Decimal(0)),
    ("1", Decimal(1)),
    ("+1", Decimal(1)),
    ("500m", Decimal("0.5")),
    ("0.5", Decimal("0.5")),
    ("1.", Decimal(1)),
    (".5", Decimal("0.5")),
    ("100n", Decimal("1e-7")),
    ("1u", Decimal("1e-6")),
    ("2k", Decimal(2000)),
    ("1M", Decimal(10**6)),
    ("1G", Decimal(10**9)),
    ("1T", Decimal(10**12)),
    ("1P", Decimal(10**15)),
    ("1E", Decimal(10**18)),
    ("1Ki", Decimal(1024)),
    ("256Mi", Decimal(256 * 2**20)),
    ("1.5Gi", Decimal(3 * 2**29)),
    ("1Ti", Decimal(2**40)),
    ("1Pi", Decimal(2**50)),
    ("1Ei", Decimal(2**60)),
    ("1e3", Decimal(1000)),
    ("1E3", Decimal(1000)),
    ("1e-3", Decimal("0.001")),
    ("12e+2", Decimal(1200)),
    ("-1", Decimal(-1)),
]
NOT_QUANTITIES = [
    "",
    " ",
    "1 ",
    " 1",
    "1 Gi",
    "Gi",
    "m",
    "1K",
    "1KB",
    "1gi",
    "1mi",
    "1MB",
    "1Gb",
    "one",
    "1,5",
    "1.5.5",
    "--1",
    "+-1",
    "1e",
    "1e1.5",
    "1ee3",
    "0x10",
    "1/2",
    "1_000",
    "1Gi ",
    "1i",
    "1.0.0",
    ".",
    "e3",
    "1Mi1",
]


@pytest.mark.parametrize(("text", "value"), QUANTITIES)
def test_a_kubernetes_quantity_has_the_value_of_its_suffix(text: str, value: Decimal) -> None:
    assert quantity_value(text) == value


@pytest.mark.parametrize("text", NOT_QUANTITIES)
def test_text_outside_the_quantity_grammar_is_no_quantity(text: str) -> None:
    assert quantity_value(text) is None


@pytest.mark.parametrize(
    ("requests", "limits"),
    [
        ({"cpu": "100m", "memory": "128Mi"}, {"cpu": "1", "memory": "256Mi"}),
        ({"cpu": "1"}, {"cpu": "1000m"}),  # equal, spelled differently
        ({"memory": "1G"}, {"memory": "1Gi"}),  # 10^9 < 2^30
        (None, {"cpu": 2, "memory": "1Gi"}),
        ({"cpu": 0}, None),
        ({"ephemeral-storage": "1Gi"}, {"ephemeral-storage": "2Gi"}),
        ({"example.com/gpu": 1}, {"example.com/gpu": "1"}),
        (None, {"example.com/gpu": 2}),
        ({"hugepages-2Mi": "4Mi", "memory": "64Mi"}, {"hugepages-2Mi": "4Mi"}),
    ],
)
def test_resources_kubernetes_accepts_pass(
    requests: dict[str, Any] | None, limits: dict[str, Any] | None
) -> None:
    assert resources_problems(requests, limits) == []


@pytest.mark.parametrize(
    ("requests", "limits", "words"),
    [
        ({"cpu": "2"}, {"cpu": "1"}, "spec.resources.requests.cpu: 2 is more than the limit 1"),
        ({"memory": "1Gi"}, {"memory": "1G"}, "requests must not exceed limits"),
        ({"cpu": "500m"}, {"cpu": "0.4"}, "more than the limit"),
        ({"memory": "lots"}, None, "spec.resources.requests.memory: 'lots' is not a Kubernetes"),
        (None, {"memory": "1 Gi"}, "spec.resources.limits.memory: '1 Gi' is not"),
        (None, {"memory": "1GB"}, "is not a Kubernetes quantity"),
        ({"cpu": "-1"}, None, "spec.resources.requests.cpu: must be greater than or equal to 0"),
        ({"gpu": 1}, {"gpu": 1}, "gpu: not a container resource"),
        ({"CPU": "1"}, None, "CPU: not a container resource"),
        ({"kubernetes.io/foo": 1}, None, "not a container resource"),
        ({"example.com/gpu": "0.5"}, {"example.com/gpu": "0.5"}, "whole number"),
        ({"example.com/gpu": 1}, None, "needs a limit equal to the request"),
        ({"example.com/gpu": 1}, {"example.com/gpu": 2}, "needs a limit equal"),
        ({"hugepages-2Mi": "2Mi"}, {"hugepages-2Mi": "4Mi"}, "needs a limit equal"),
        ({"hugepages-huge": "2Mi"}, None, "not a hugepages size"),
    ],
)
def test_resources_kubernetes_refuses_say_the_rule(
    requests: dict[str, Any] | None, limits: dict[str, Any] | None, words: str
) -> None:
    problems = resources_problems(requests, limits)
    assert any(words in problem for problem in problems), problems


VALID_SUBDOMAINS = ["a", "0", "eventgen", "ecommerce-data-pipeline", "a.b", "a-1.b-2", "x" * 253]
INVALID_SUBDOMAINS = [
    "",
    "Eventgen",
    "event_gen",
    "-a",
    "a-",
    ".a",
    "a.",
    "a..b",
    "a b",
    " a",
    "a/b",
    "système",
    "x" * 254,
    "a.-b",
    "a:b",
]


@pytest.mark.parametrize("name", VALID_SUBDOMAINS)
def test_dns1123_subdomains_pass(name: str) -> None:
    assert kube_rules.dns1123_subdomain_problem(name) is None


@pytest.mark.parametrize("name", INVALID_SUBDOMAINS)
def test_names_outside_dns1123_are_refused(name: str) -> None:
    assert kube_rules.dns1123_subdomain_problem(name) is not None


DIGEST = "sha256:" + "a" * 64
VALID_IMAGES = [
    "eventgen",
    "eventgen:0.1.0",
    "ghcr.io/ecommerce-platform/eventgen:0.1.0",
    "localhost:5000/eventgen",
    "localhost:5000/eventgen:latest",
    "registry.test/eventgen:test",
    "127.0.0.1:5000/a/b/c:v1",
    "[::1]:5000/eventgen:v1",
    f"eventgen@{DIGEST}",
    f"ghcr.io/org/eventgen:1.0@{DIGEST}",
    "a__b/c-d/e.f---g",
    "Registry.Example.COM/lower/case:Tag_1.2-3",
    "eventgen:" + "t" * 128,
    "docker.io/library/python:3.11-slim",
]
INVALID_IMAGES = [
    " eventgen:0.1.0",
    "eventgen:0.1.0 ",
    "eventgen:0.1.0\n",
    "EventGen:0.1.0",
    "ghcr.io/Org/eventgen",
    "eventgen:",
    "eventgen:-tag",
    "eventgen:.tag",
    "eventgen:" + "t" * 129,
    "eventgen@sha256:abc",
    "eventgen@" + "sha256:" + "g" * 64,
    "/eventgen",
    "eventgen/",
    "a//b",
    "a_-b",
    "a___b",
    "https://ghcr.io/eventgen",
    "ghcr.io:port/eventgen",
    "event gen",
    "",
    "a/" + "b" * 254,
]


@pytest.mark.parametrize("image", VALID_IMAGES)
def test_image_references_pass(image: str) -> None:
    assert kube_rules.image_problem(image) is None


@pytest.mark.parametrize("image", INVALID_IMAGES)
def test_image_references_outside_the_grammar_are_refused(image: str) -> None:
    assert kube_rules.image_problem(image) is not None


VALID_PROJECTS = ["my-project", "abcdef", "a12345", "test-project", "a" * 30, "p-1-2-3-4"]
INVALID_PROJECTS = [
    "short",
    "a" * 31,
    "My-Project",
    "1project",
    "-project",
    "project-",
    "my_project",
    "my.project",
    "my project",
    "projéct1",
    "",
    "example.com:my-project",
]


@pytest.mark.parametrize("project", VALID_PROJECTS)
def test_project_ids_pass(project: str) -> None:
    assert cloud_names.project_id_problem(project) is None


@pytest.mark.parametrize("project", INVALID_PROJECTS)
def test_project_ids_that_cannot_exist_are_refused(project: str) -> None:
    assert cloud_names.project_id_problem(project) is not None


VALID_TOPICS = [
    "ecommerce-events",
    "abc",
    "A.b_c~d%2F+e-f",
    "Topic1",
    "a" * 255,
    "go",
    "gooG-events"[0:4],
]
INVALID_TOPICS = [
    "ab",
    "a" * 256,
    "1topic",
    "-topic",
    "_topic",
    "topic/with/slash",
    "topic name",
    "topic:x",
    "googevents",
    "goog",
    "projects/p/topics/t",
    "tópico",
    "",
]


@pytest.mark.parametrize("topic", [t for t in VALID_TOPICS if len(t) >= 3])
def test_pubsub_ids_pass(topic: str) -> None:
    assert cloud_names.pubsub_id_problem(topic) is None


@pytest.mark.parametrize("topic", INVALID_TOPICS)
def test_pubsub_ids_pubsub_refuses_are_refused(topic: str) -> None:
    assert cloud_names.pubsub_id_problem(topic) is not None


def test_a_subscription_id_follows_the_same_rule_and_says_subscription() -> None:
    problem = cloud_names.pubsub_id_problem("goog-sub", "subscription")
    assert problem is not None and "subscription" in problem


VALID_BUCKETS = [
    "my-project-dev-raw-data",
    "abc",
    "a_b-c",
    "0bucket",
    "a" * 63,
    "example.com",
    "a." * 110 + "bb",
    ".".join(["a" * 63] * 3),
    "1.2.3.bucket",
    "goo-gle",
    "go-og",
]
INVALID_BUCKETS = [
    "ab",
    "a" * 64,
    "Bucket",
    "-bucket",
    "bucket-",
    "_bucket",
    "bucket_",
    ".bucket",
    "bucket.",
    "a..b",
    ".".join(["a" * 64, "b"]),
    "a" * 223,
    "192.168.5.4",
    "goog-bucket",
    "my-google-bucket",
    "my-g00gle-bucket",
    "my-go0g1e",
    "bucket name",
    "bucket/name",
    "bücket",
    "",
]


@pytest.mark.parametrize("bucket", VALID_BUCKETS)
def test_bucket_names_pass(bucket: str) -> None:
    assert cloud_names.bucket_problem(bucket) is None


@pytest.mark.parametrize("bucket", INVALID_BUCKETS)
def test_bucket_names_cloud_storage_refuses_are_refused(bucket: str) -> None:
    assert cloud_names.bucket_problem(bucket) is not None


def _spec(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sink": {"type": "stdout"}}
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (_spec(image=" ghcr.io/x/eventgen:1"), "spec.image: ' ghcr.io/x/eventgen:1' has leading"),
        (_spec(serviceAccountName="Generator_SA"), "spec.serviceAccountName: 'Generator_SA'"),
        (
            _spec(resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}),
            "spec.resources.requests.cpu: 2 is more than the limit 1",
        ),
        (
            _spec(sink={"type": "pubsub", "pubsub": {"topic": "goog-events"}}),
            "spec.sink.pubsub.topic: 'goog-events' is not a Pub/Sub topic ID",
        ),
        (
            _spec(sink={"type": "pubsub", "pubsub": {"topic": "t1x", "project": "x"}}),
            "spec.sink.pubsub.project: 'x' is not a Google Cloud project ID",
        ),
        (
            _spec(sink={"type": "gcs", "gcs": {"bucket": "192.168.5.4"}}),
            "spec.sink.gcs.bucket: '192.168.5.4' is not a Cloud Storage bucket name",
        ),
    ],
)
def test_the_operator_refuses_such_specs_naming_the_field(spec: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidSpecError) as caught:
        parse_spec(spec, "orders")
    assert words in str(caught.value)


def _crd_spec_schema() -> dict[str, Any]:
    crd = yaml.safe_load((REPO_ROOT / "crds" / "eventgenerators.yaml").read_text())
    [version] = crd["spec"]["versions"]
    properties: dict[str, Any] = version["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"
    ]
    return properties


def test_the_crd_patterns_are_the_rules_constants() -> None:
    spec = _crd_spec_schema()
    sink = spec["sink"]["properties"]
    resources = spec["resources"]["properties"]
    assert sink["pubsub"]["properties"]["project"]["pattern"] == cloud_names.PROJECT_ID_PATTERN
    assert sink["pubsub"]["properties"]["topic"]["pattern"] == cloud_names.PUBSUB_ID_PATTERN
    assert sink["gcs"]["properties"]["bucket"]["pattern"] == cloud_names.BUCKET_PATTERN
    assert spec["image"]["pattern"] == kube_rules.IMAGE_PATTERN
    assert spec["serviceAccountName"]["pattern"] == kube_rules.DNS1123_SUBDOMAIN_PATTERN
    for kind in ("requests", "limits"):
        pattern = resources[kind]["additionalProperties"]["pattern"]
        assert pattern == kube_rules.QUANTITY_PATTERN


def test_the_crd_patterns_have_only_what_the_api_servers_regexp_engine_knows() -> None:
    # Go's RE2 has no look-around or back-references; Python would accept them silently.
    for pattern in (
        cloud_names.PROJECT_ID_PATTERN,
        cloud_names.PUBSUB_ID_PATTERN,
        cloud_names.BUCKET_PATTERN,
        kube_rules.IMAGE_PATTERN,
        kube_rules.DNS1123_SUBDOMAIN_PATTERN,
        kube_rules.QUANTITY_PATTERN,
    ):
        for construct in ("(?=", "(?!", "(?<", "\\1", "\\w", "\\d"):
            assert construct not in pattern, (construct, pattern)
