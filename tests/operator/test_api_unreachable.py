"""An API server that cannot be reached (restarting, network blip) is transient trouble.

The handlers retry KubeApiError after RETRY_DELAY seconds and log it as one line; any
other exception type escaping the client would instead reach kopf as an unexpected crash
of the handler (a traceback, and a retry only after kopf's default minute).
"""

from __future__ import annotations

import logging
from typing import Any, cast

import kopf
import pytest
from kubernetes import client

from eventgen_operator import handlers
from eventgen_operator.config import OperatorConfig
from eventgen_operator.errors import KubeApiError
from eventgen_operator.kubeapi import EVENTGENERATORS, KubeApi
from eventgen_operator.reconciling import Reconciler
from tests.support.processes import free_port


def unreachable_api() -> KubeApi:
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return KubeApi(client.ApiClient(configuration))


def test_a_refused_connection_is_a_kube_api_error_naming_the_server() -> None:
    api = unreachable_api()
    with pytest.raises(KubeApiError) as caught:
        api.get(EVENTGENERATORS, "shop", "orders")
    assert caught.value.status == 0
    assert "127.0.0.1" in str(caught.value) and "\n" not in str(caught.value)


def test_an_edit_during_an_api_outage_is_retried_after_the_retry_delay() -> None:
    memo = kopf.Memo(reconciler=Reconciler(unreachable_api(), OperatorConfig()))
    with pytest.raises(kopf.TemporaryError) as caught:
        # kopf's decorators type handlers as called by kopf itself, with every kwarg.
        cast(Any, handlers.generator_changed)(namespace="shop", name="orders", memo=memo)
    assert caught.value.delay == handlers.RETRY_DELAY


def test_a_resync_during_an_api_outage_logs_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    memo = kopf.Memo(reconciler=Reconciler(unreachable_api(), OperatorConfig()))
    logger = logging.getLogger("test.resync")
    with caplog.at_level(logging.WARNING, logger="test.resync"):
        cast(Any, handlers.resync)(namespace="shop", name="orders", memo=memo, logger=logger)
    (record,) = [record for record in caplog.records if record.name == "test.resync"]
    assert record.getMessage().startswith("resync failed: 0 ")
