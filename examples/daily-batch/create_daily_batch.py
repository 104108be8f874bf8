"""Create today's EventGenerator from a template, and keep only the newest few.

Run by the daily-batch CronJob (cronjob.yaml) in the project's own image, which carries the
``kubernetes`` and ``yaml`` libraries:

    python create_daily_batch.py TEMPLATE [--namespace NS] [--keep N]

The new object is named ``<template name>-YYYYMMDD`` (today, UTC). Creating it twice is a
no-op (a retried CronJob run never starts a second batch for the day). Older daily objects
of the same template beyond the newest ``--keep`` are deleted; their Jobs go with them
(ownerReferences), the objects they wrote to Cloud Storage stay.
Exit status: 0 done, 1 API error, 2 bad template or arguments (one line on stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, cast

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

GROUP, VERSION, PLURAL = "ecommerce.dataplatform.io", "v1alpha1", "eventgenerators"
TEMPLATE_LABEL = "ecommerce.dataplatform.io/daily-batch"
# Children are named after the EventGenerator and must fit Kubernetes' limits (the operator
# refuses longer names); "-YYYYMMDD" takes 9 of the 52 characters.
MAX_NAME_LENGTH = 52


class UsageError(Exception):
    """A bad template or argument: exit status 2."""


def load_template(path: Path) -> dict[str, Any]:
    """The template EventGenerator, checked to be a batch generator with a short name."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"cannot read template {path}: {error}") from None
    if not isinstance(document, dict) or document.get("kind") != "EventGenerator":
        raise UsageError(f"{path}: not an EventGenerator")
    if (document.get("spec") or {}).get("mode") != "batch":
        raise UsageError(f"{path}: spec.mode must be batch for a daily batch")
    name = str((document.get("metadata") or {}).get("name", ""))
    if not name or len(name) > MAX_NAME_LENGTH - 9:
        raise UsageError(f"{path}: metadata.name must be 1 to {MAX_NAME_LENGTH - 9} characters")
    return document


def daily_object(template: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The template renamed ``<name>-YYYYMMDD`` and labelled with the template's name."""
    base = template["metadata"]["name"]
    metadata = {
        "name": f"{base}-{day:%Y%m%d}",
        "labels": {**(template["metadata"].get("labels") or {}), TEMPLATE_LABEL: base},
    }
    return {**template, "metadata": metadata}


def connect() -> client.CustomObjectsApi:
    """In a pod, the pod's ServiceAccount; elsewhere, KUBECONFIG."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.CustomObjectsApi()


def create_today(api: client.CustomObjectsApi, namespace: str, body: dict[str, Any]) -> bool:
    """Create ``body``; False when it already exists (today's batch was created before)."""
    try:
        api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    except ApiException as error:
        if error.status == 409:
            return False
        raise
    return True


def prune(api: client.CustomObjectsApi, namespace: str, base: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` daily objects of template ``base``; their names."""
    listed = cast(
        dict[str, Any],
        api.list_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, label_selector=f"{TEMPLATE_LABEL}={base}"
        ),
    )
    # YYYYMMDD suffixes sort by date.
    names = sorted(item["metadata"]["name"] for item in listed["items"])
    doomed = names[:-keep] if keep > 0 else names
    for name in doomed:
        api.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    return doomed


def main(argv: list[str] | None = None) -> int:
    """Create today's daily EventGenerator and prune old ones; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="EventGenerator YAML (mode batch)")
    parser.add_argument(
        "--namespace", default=os.environ.get("POD_NAMESPACE") or "default",
        help="namespace of the EventGenerators (default POD_NAMESPACE, else default)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", type=int, default=7, help="daily objects to keep, today's included (default 7)"
    )
    args = parser.parse_args(argv)
    try:
        if args.keep < 1:
            raise UsageError("--keep must be at least 1 (today's object is kept)")
        template = load_template(args.template)
        body = daily_object(template, dt.datetime.now(dt.UTC).date())
        api = connect()
        name = body["metadata"]["name"]
        if create_today(api, args.namespace, body):
            print(f"created EventGenerator {args.namespace}/{name}")
        else:
            print(f"EventGenerator {args.namespace}/{name} exists: today's batch is not rerun")
        for old in prune(api, args.namespace, template["metadata"]["name"], args.keep):
            print(f"deleted EventGenerator {args.namespace}/{old} (its objects in storage stay)")
    except UsageError as error:
        print(f"create_daily_batch: error: {error}", file=sys.stderr)
        return 2
    except (ApiException, ConfigException) as error:
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        status = getattr(error, "status", "")
        print(f"create_daily_batch: error: Kubernetes API: {status} {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
