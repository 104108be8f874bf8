"""The operator's exception tree: what can go wrong, and whether retrying can help."""


class OperatorError(Exception):
    """Base of every error the operator raises on purpose."""


class InvalidSpecError(OperatorError):
    """The EventGenerator's spec breaks a rule; retrying cannot help until the user edits it.

    `problems` holds one readable line per broken rule, each naming the field
    (for example ``spec.sink.pubsub.topic is required when spec.sink.type is pubsub``).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class KubeApiError(OperatorError):
    """The Kubernetes API answered a request with an error status."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{status} {reason}: {message}")


class ChildRejectedError(OperatorError):
    """The API server refused to create or change a child (400, 403, 422): the object as
    built cannot exist there (an admission webhook, a quota, a schema the spec checks did
    not foresee). Retrying helps only when something outside changes, so retries back off.

    `child` names the object (`Deployment orders`); `message` is the server's, one line.
    """

    def __init__(self, child: str, status: int, message: str) -> None:
        self.child = child
        self.status = status
        self.message = message
        super().__init__(f"{child} refused by the API server ({status}): {message}")
