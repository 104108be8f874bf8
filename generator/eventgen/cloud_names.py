"""Google Cloud's naming rules for the names a generator is pointed at, in one place.

Pub/Sub and Cloud Storage refuse a bad name only when the generator first talks to them,
long after the pod started; checking the documented rules up front lets the operator say
why in the EventGenerator's status (and the generator fail in one line). Each rule has one
owner here: the `*_PATTERN` constants are also the CRD's `pattern`s (a test compares them),
and the `*_problem` functions add what a regular expression without look-ahead cannot say.

Sources (the rules as documented):
- project IDs: Resource Manager `Project.projectId`: 6 to 30 lowercase letters, digits or
  hyphens, starting with a letter, no trailing hyphen;
- Pub/Sub topic and subscription IDs ("Resource names"): 3 to 255 characters, starting with
  a letter, only letters, digits, `-` `.` `_` `~` `%` `+`, and not starting with `goog`;
- bucket names ("Bucket naming requirements"): lowercase letters, digits, `-`, `_` and `.`;
  starting and ending with a letter or digit; 3 to 63 characters, or up to 222 with dots
  but no dot-separated part above 63; not an IP address in dotted-decimal notation; not
  starting with `goog`; not containing `google` or a close misspelling such as `g00gle`.
"""

from __future__ import annotations

import re

PROJECT_ID_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
PUBSUB_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$"
BUCKET_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$"

BUCKET_PART_MAX = 63
BUCKET_PLAIN_MAX = 63
# "google" with the look-alike digits Cloud Storage names as close misspellings.
_GOOGLE_LOOKALIKE = re.compile(r"g[o0][o0]g[l1][e3]")
_DOTTED_DECIMAL = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def project_id_problem(project: str) -> str | None:
    """Why `project` cannot be a Google Cloud project ID, or None when it can."""
    if re.fullmatch(PROJECT_ID_PATTERN, project):
        return None
    return (
        f"{project!r} is not a Google Cloud project ID: 6 to 30 lowercase letters, digits "
        "or hyphens, starting with a letter and not ending with a hyphen"
    )


def pubsub_id_problem(resource_id: str, what: str = "topic") -> str | None:
    """Why `resource_id` cannot be a Pub/Sub topic (or subscription, by `what`) ID."""
    if not re.fullmatch(PUBSUB_ID_PATTERN, resource_id):
        return (
            f"{resource_id!r} is not a Pub/Sub {what} ID: 3 to 255 characters, starting "
            "with a letter, only letters, digits and - . _ ~ % +"
        )
    if resource_id.startswith("goog"):
        return f"{resource_id!r} is not a Pub/Sub {what} ID: names starting with goog are reserved"
    return None


def bucket_problem(bucket: str) -> str | None:
    """Why `bucket` cannot be a Cloud Storage bucket name, or None when it can."""
    prefix = f"{bucket!r} is not a Cloud Storage bucket name: "
    if not re.fullmatch(BUCKET_PATTERN, bucket):
        return prefix + (
            "3 to 222 lowercase letters, digits, - _ or ., starting and ending with a "
            "letter or digit"
        )
    if "." not in bucket and len(bucket) > BUCKET_PLAIN_MAX:
        return prefix + f"at most {BUCKET_PLAIN_MAX} characters without dots"
    parts = bucket.split(".")
    if any(not part for part in parts):
        return prefix + "two dots in a row"
    if any(len(part) > BUCKET_PART_MAX for part in parts):
        return prefix + f"each dot-separated part at most {BUCKET_PART_MAX} characters"
    if _DOTTED_DECIMAL.fullmatch(bucket):
        return prefix + "it reads as an IP address"
    if bucket.startswith("goog"):
        return prefix + "names starting with goog are reserved"
    if _GOOGLE_LOOKALIKE.search(bucket):
        return prefix + "names containing google (or a look-alike such as g00gle) are reserved"
    return None
