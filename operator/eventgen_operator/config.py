"""The operator's own settings: what every generator pod gets unless its spec says otherwise."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_GENERATOR_IMAGE = "ghcr.io/ecommerce-platform/eventgen:0.1.0"


@dataclass(frozen=True)
class OperatorConfig:
    """Defaults for generator pods.

    generator_image: image when the spec names none.
    generator_service_account: ServiceAccount when the spec names none (None: the
        namespace's default account).
    gcp_project: Pub/Sub project when the spec's sink names none.
    metrics_port: the container port of the generator's /metrics and /healthz.
    """

    generator_image: str = DEFAULT_GENERATOR_IMAGE
    generator_service_account: str | None = None
    gcp_project: str | None = None
    metrics_port: int = 9102

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorConfig:
        """Read EVENTGEN_OPERATOR_GENERATOR_IMAGE, EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT
        and EVENTGEN_OPERATOR_GCP_PROJECT (as the Helm chart sets them); empty means unset."""
        source = os.environ if env is None else env
        return cls(
            generator_image=source.get("EVENTGEN_OPERATOR_GENERATOR_IMAGE")
            or DEFAULT_GENERATOR_IMAGE,
            generator_service_account=source.get("EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT")
            or None,
            gcp_project=source.get("EVENTGEN_OPERATOR_GCP_PROJECT") or None,
        )
