"""The labels and annotations the operator marks its children with, and finds them by.

One owner for names that the builders write (children.py), the reconciler and the kopf
handlers select by (reconciling.py, handlers.py), the status reads back (status.py) and
the uninstaller cleans up by (uninstall.py).
"""

from __future__ import annotations

from eventgen_operator.kubeapi import GROUP

GENERATOR_LABEL = f"{GROUP}/generator"
"""On every child: the name of the EventGenerator it belongs to."""
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "eventgen-operator"
SPEC_HASH_ANNOTATION = f"{GROUP}/spec-hash"
"""On a batch Job: the digest of the batch it runs (children.spec_hash)."""
