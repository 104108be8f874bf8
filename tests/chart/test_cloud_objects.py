"""The Config Connector objects carry the seed's cloud facts, bound to the user's project."""

from __future__ import annotations

import json
from pathlib import Path

from tests.chart.matrix import VALUE_MATRIX
from tests.support.helm_chart import CHART_DIR, Manifest, Rendered, default_values, render

CNRM_KINDS = {
    "StorageBucket",
    "BigQueryDataset",
    "BigQueryTable",
    "PubSubTopic",
    "PubSubSubscription",
    "IAMServiceAccount",
    "IAMPolicyMember",
}
SEED_ROLES = {
    "roles/pubsub.publisher",
    "roles/pubsub.subscriber",
    "roles/bigquery.dataEditor",
    "roles/bigquery.jobUser",
    "roles/storage.objectAdmin",
}


def _cnrm_objects(rendered: Rendered) -> list[Manifest]:
    return [obj for obj in rendered.objects if ".cnrm.cloud.google.com/" in obj["apiVersion"]]


def test_defaults_create_every_phase_one_cloud_resource(defaults: Rendered) -> None:
    assert {obj["kind"] for obj in _cnrm_objects(defaults)} == CNRM_KINDS


def test_bucket_is_named_project_env_raw_data_with_uniform_access(defaults: Rendered) -> None:
    bucket = defaults.one("StorageBucket")
    assert bucket["metadata"]["name"] == "test-project-dev-raw-data"
    assert bucket["spec"]["uniformBucketLevelAccess"] is True
    assert bucket["spec"]["location"] == "US"


def test_bucket_moves_objects_to_nearline_at_90_and_coldline_at_180_days(
    defaults: Rendered,
) -> None:
    rules = defaults.one("StorageBucket")["spec"]["lifecycleRule"]
    transitions = {
        rule["action"]["storageClass"]: rule["condition"]["age"]
        for rule in rules
        if rule["action"]["type"] == "SetStorageClass"
    }
    assert transitions == {"NEARLINE": 90, "COLDLINE": 180}


def test_lifecycle_ages_follow_values(helm: Path) -> None:
    values = default_values(cloud={"bucket": {"nearlineAfterDays": 30, "coldlineAfterDays": 365}})
    rules = render(helm, values).one("StorageBucket")["spec"]["lifecycleRule"]
    assert [rule["condition"]["age"] for rule in rules] == [30, 365]


def test_dataset_uses_resource_id_because_k8s_names_cannot_hold_underscores(
    defaults: Rendered,
) -> None:
    dataset = defaults.one("BigQueryDataset")
    assert dataset["spec"]["resourceID"] == "ecommerce_dw"
    assert "_" not in dataset["metadata"]["name"]


def test_table_is_partitioned_by_day_on_event_timestamp_and_clustered(
    defaults: Rendered,
) -> None:
    table = defaults.one("BigQueryTable")
    assert table["spec"]["resourceID"] == "raw_events"
    assert table["spec"]["datasetRef"] == {
        "name": defaults.one("BigQueryDataset")["metadata"]["name"]
    }
    assert table["spec"]["timePartitioning"] == {"type": "DAY", "field": "event_timestamp"}
    assert table["spec"]["clustering"] == ["product_category", "status"]


def test_table_schema_is_the_charts_schema_file_as_a_json_string(defaults: Rendered) -> None:
    schema_text = defaults.one("BigQueryTable")["spec"]["schema"]
    assert isinstance(schema_text, str)  # Config Connector wants a string, not a list
    stored = json.loads((CHART_DIR / "files" / "raw_events.schema.json").read_text())
    assert json.loads(schema_text) == stored
    columns = {field["name"] for field in json.loads(schema_text)}
    assert {"event_timestamp", "product_category", "status"} <= columns


def test_pull_subscription_keeps_messages_seven_days_with_60s_ack_deadline(
    defaults: Rendered,
) -> None:
    subscription = defaults.one("PubSubSubscription", "ecommerce-events-sub")
    spec = subscription["spec"]
    assert spec["topicRef"] == {"name": "ecommerce-events"}
    assert spec["messageRetentionDuration"] == "604800s"
    assert spec["ackDeadlineSeconds"] == 60
    assert "pushConfig" not in spec  # pull
    assert "deadLetterPolicy" not in spec
    assert [t["metadata"]["name"] for t in defaults.of_kind("PubSubTopic")] == ["ecommerce-events"]


def test_dead_letter_topic_and_policy_when_enabled(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["dead-letter-on"])
    topics = {t["metadata"]["name"] for t in rendered.of_kind("PubSubTopic")}
    assert topics == {"ecommerce-events", "ecommerce-events-dead-letter"}
    policy = rendered.one("PubSubSubscription", "ecommerce-events-sub")["spec"]["deadLetterPolicy"]
    assert policy == {
        "deadLetterTopicRef": {"name": "ecommerce-events-dead-letter"},
        "maxDeliveryAttempts": 10,
    }


def test_dead_lettered_messages_have_a_subscription_to_wait_in(helm: Path) -> None:
    # Pub/Sub drops messages published to a topic without subscriptions: a dead-letter topic
    # alone would lose every message it receives.
    rendered = render(helm, VALUE_MATRIX["dead-letter-on"])
    dead = rendered.one("PubSubSubscription", "ecommerce-events-dead-letter-sub")["spec"]
    assert dead["topicRef"] == {"name": "ecommerce-events-dead-letter"}
    assert dead["resourceID"] == "ecommerce-events-dead-letter-sub"
    assert dead["messageRetentionDuration"] == "604800s"
    assert "deadLetterPolicy" not in dead  # no loop back into itself
    every_topic = {t["metadata"]["name"] for t in rendered.of_kind("PubSubTopic")}
    subscribed = {s["spec"]["topicRef"]["name"] for s in rendered.of_kind("PubSubSubscription")}
    assert subscribed == every_topic


def test_dead_letter_subscription_name_follows_its_value(helm: Path) -> None:
    values = default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={"pubsub": {"deadLetter": {"enabled": True, "subscription": "Poison_Review"}}},
    )
    [dead] = [
        s
        for s in render(helm, values).of_kind("PubSubSubscription")
        if s["spec"]["resourceID"] == "Poison_Review"
    ]
    assert dead["metadata"]["name"].startswith("poison-review-")


def test_service_account_gets_exactly_the_five_seed_roles_on_the_project(
    defaults: Rendered,
) -> None:
    gsa = defaults.one("IAMServiceAccount")
    assert gsa["metadata"]["name"] == "ecommerce-data-pipeline"
    project_members = [
        m
        for m in defaults.of_kind("IAMPolicyMember")
        if m["spec"]["resourceRef"]["kind"] == "Project"
    ]
    assert {m["spec"]["role"] for m in project_members} == SEED_ROLES
    assert len(project_members) == len(SEED_ROLES)
    for member in project_members:
        assert member["spec"]["member"] == (
            "serviceAccount:ecommerce-data-pipeline@test-project.iam.gserviceaccount.com"
        )
        assert member["spec"]["resourceRef"] == {
            "kind": "Project",
            "external": "projects/test-project",
        }


def test_workload_identity_lets_the_generator_ksa_act_as_the_gsa(defaults: Rendered) -> None:
    ksa = defaults.one("ServiceAccount", "platform-generator")
    assert ksa["metadata"]["namespace"] == "eventgen"
    assert ksa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == (
        "ecommerce-data-pipeline@test-project.iam.gserviceaccount.com"
    )
    [binding] = [
        m
        for m in defaults.of_kind("IAMPolicyMember")
        if m["spec"]["role"] == "roles/iam.workloadIdentityUser"
    ]
    assert binding["spec"]["member"] == (
        "serviceAccount:test-project.svc.id.goog[eventgen/platform-generator]"
    )
    assert binding["spec"]["resourceRef"] == {
        "kind": "IAMServiceAccount",
        "name": "ecommerce-data-pipeline",
    }


def test_workload_identity_member_per_watched_namespace(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["watched-namespaces"])
    members = sorted(
        m["spec"]["member"]
        for m in rendered.of_kind("IAMPolicyMember")
        if m["spec"]["role"] == "roles/iam.workloadIdentityUser"
    )
    assert members == [
        f"serviceAccount:test-project.svc.id.goog[{ns}/platform-generator]"
        for ns in ("team-a", "team-b", "team-c")
    ]


def test_every_cloud_object_is_bound_to_the_project_and_abandoned_on_delete(
    defaults: Rendered,
) -> None:
    for obj in _cnrm_objects(defaults):
        annotations = obj["metadata"]["annotations"]
        assert annotations["cnrm.cloud.google.com/project-id"] == "test-project"
        assert annotations["cnrm.cloud.google.com/deletion-policy"] == "abandon"
        assert obj["metadata"]["namespace"] == "eventgen"


def test_opting_in_to_deletion_drops_the_abandon_policy(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["delete-cloud-resources"])
    objects = _cnrm_objects(rendered)
    assert objects
    for obj in objects:
        assert "cnrm.cloud.google.com/deletion-policy" not in obj["metadata"]["annotations"]


def test_config_connector_off_renders_no_cloud_objects(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["config-connector-off"])
    assert _cnrm_objects(rendered) == []
    # The operator and the generator identity are still installed.
    assert {"Deployment", "ServiceAccount", "CustomResourceDefinition"} <= rendered.kinds()


def test_custom_names_are_used_and_references_follow_them(helm: Path) -> None:
    rendered = render(helm, VALUE_MATRIX["custom-names"])
    assert rendered.one("StorageBucket")["metadata"]["name"] == "acme-landing-zone"
    assert rendered.one("StorageBucket")["spec"]["location"] == "EU"
    dataset = rendered.one("BigQueryDataset")
    assert dataset["spec"]["resourceID"] == "shop_dw"
    table = rendered.one("BigQueryTable")
    assert table["spec"]["resourceID"] == "order_events"
    assert table["spec"]["datasetRef"]["name"] == dataset["metadata"]["name"]
    subscription = rendered.one("PubSubSubscription", "shop-events-dataflow")
    assert subscription["spec"]["topicRef"]["name"] == "shop-events"
    rendered.one("PubSubTopic", "shop-events")
    rendered.one("IAMServiceAccount", "shop-pipeline")
    ksa = rendered.one("ServiceAccount", "shop-generator")
    email = "shop-pipeline@acme-shop-prod.iam.gserviceaccount.com"
    assert ksa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == email
    members = {m["spec"]["member"] for m in rendered.of_kind("IAMPolicyMember")}
    assert members == {
        f"serviceAccount:{email}",
        "serviceAccount:acme-shop-prod.svc.id.goog[eventgen/shop-generator]",
    }


def test_default_bucket_name_follows_project_and_environment(helm: Path) -> None:
    values = default_values(gcp={"projectId": "acme", "environment": "staging"})
    assert render(helm, values).one("StorageBucket")["metadata"]["name"] == "acme-staging-raw-data"
