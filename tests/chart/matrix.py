"""Value sets the chart must render correctly, shared by the render and schema tests."""

from __future__ import annotations

from typing import Any

from tests.support.helm_chart import default_values

# name -> values; each is a way a user is expected to install the chart.
VALUE_MATRIX: dict[str, dict[str, Any]] = {
    "defaults": default_values(),
    "config-connector-off": default_values(configConnector={"enabled": False}),
    "dead-letter-on": default_values(
        gcp={"projectId": "test-project", "projectNumber": "123456789012"},
        cloud={"pubsub": {"deadLetter": {"enabled": True, "maxDeliveryAttempts": 10}}},
    ),
    "audit-subscription-on": default_values(
        cloud={"pubsub": {"audit": {"enabled": True, "ackDeadlineSeconds": 120}}}
    ),
    "delete-cloud-resources": default_values(configConnector={"deleteCloudResources": True}),
    "watched-namespaces": default_values(
        operator={"watchNamespaces": ["team-a", "team-b", "team-c"]}
    ),
    "custom-names": default_values(
        fullnameOverride="shop-events",
        gcp={"projectId": "acme-shop-prod", "environment": "prod"},
        operator={"serviceAccount": {"name": "shop-operator"}},
        generator={"serviceAccount": {"name": "shop-generator"}},
        cloud={
            "bucket": {"name": "acme-landing-zone", "location": "EU"},
            "bigquery": {"datasetId": "shop_dw", "tableId": "order_events", "location": "EU"},
            "pubsub": {"topic": "shop-events", "subscription": "shop-events-dataflow"},
            "serviceAccount": {"name": "shop-pipeline"},
        },
    ),
    "sample-on": default_values(sample={"enabled": True, "rate": 25}),
}
