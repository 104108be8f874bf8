"""An API server that cannot be reached (restarting, network blip) is transient trouble.

The client turns every failure into KubeApiError (any other exception type would reach kopf
as a crash of the handler, with a traceback); the supervisor says "unreachable" once and
probes; kopf's own per-attempt lines are dropped by the outage filter.
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
from eventgen_operator.kubeapi import EVENTGENERATORS, HttpKubeApi
from eventgen_operator.outage_logs import OutageFilter
from eventgen_operator.reconciling import Reconciler
from eventgen_operator.supervising import PROBE, Supervisor
from tests.support.processes import free_port


def unreachable_api() -> HttpKubeApi:
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    return HttpKubeApi(client.ApiClient(configuration))


def test_a_refused_connection_is_a_kube_api_error_naming_the_server() -> None:
    api = unreachable_api()
    with pytest.raises(KubeApiError) as caught:
        api.get(EVENTGENERATORS, "shop", "orders")
    assert caught.value.status == 0
    assert "127.0.0.1" in str(caught.value) and "\n" not in str(caught.value)


def test_an_edit_during_an_api_outage_is_one_warning_and_a_probe_not_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = unreachable_api()
    supervisor = Supervisor(Reconciler(api, OperatorConfig()), api)
    memo = kopf.Memo(supervisor=supervisor)
    with caplog.at_level(logging.WARNING, logger="eventgen_operator"):
        for name in ("orders", "returns", "refunds"):
            # kopf's decorators type handlers as called by kopf itself, with every kwarg.
            cast(Any, handlers.generator_changed)(namespace="shop", name=name, memo=memo)
    (record,) = [r for r in caplog.records if r.name == "eventgen_operator"]
    assert record.getMessage().startswith("Kubernetes API unreachable (GET ")
    assert supervisor.scheduler.due_in(PROBE) is not None
    assert supervisor.retry_state() == {}


def kopf_record(message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("kopf._cogs.clients.watching", level, __file__, 1, message, (), None)


def test_kopfs_per_attempt_lines_about_an_absent_server_are_dropped_and_reported() -> None:
    reported: list[str] = []
    quiet = OutageFilter()
    quiet.on_outage = reported.append
    line = (
        "Request attempt #3 failed; will retry: GET https://127.0.0.1:6443/apis/apps/v1/"
        "deployments?watch=true -> ClientConnectorError(ConnectionKey(host='127.0.0.1'), "
        "ConnectionRefusedError(111, 'Connect call failed'))"
    )
    assert quiet.filter(kopf_record(line)) is False
    assert reported and reported[0].startswith("ClientConnectorError(")
    posting = "Failed to post an event. Ignoring and continuing. Event: ServerDisconnectedError()"
    assert quiet.filter(kopf_record(posting, logging.WARNING)) is False


@pytest.mark.parametrize(
    "line",
    [
        "Request attempt #1 failed; will retry: GET /apis/apps/v1/deployments -> "
        "APIForbiddenError('deployments.apps is forbidden')",
        "Handler 'generator_changed' failed with an exception. Will retry.",
        "Some other kopf warning",
    ],
)
def test_refusals_and_other_kopf_lines_still_show(line: str) -> None:
    assert OutageFilter().filter(kopf_record(line)) is True


def test_a_403_while_the_server_is_known_to_be_away_is_its_rbac_warming_up() -> None:
    quiet = OutageFilter()
    line = (
        "Request attempt #2 failed; will retry: GET /apis/apps/v1/deployments?watch=true -> "
        "APIForbiddenError('deployments.apps is forbidden')"
    )
    quiet.in_outage = lambda: True
    assert quiet.filter(kopf_record(line)) is False
    quiet.in_outage = lambda: False
    assert quiet.filter(kopf_record(line)) is True
