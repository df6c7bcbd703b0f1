"""Errors of the LLM layer.

Backends raise :class:`TransientBackendError` for what a retry may cure (429, 5xx, timeouts,
dropped connections) and :class:`FatalBackendError` for what no retry cures (bad credentials, an
unknown model, a server that cannot be reached at all): the latter stops the whole run.
:class:`RequestRejected` is a 4xx about one request (e.g. a prompt longer than the context);
:class:`AnswerInvalid` is an answer that does not meet its schema: its message is shown to the
model when the client asks again.
"""

from __future__ import annotations

from kgen.errors import KgenError


class BackendError(Exception):
    """A backend could not produce a completion."""


class TransientBackendError(BackendError):
    """Worth retrying after a pause: 429, 5xx, timeouts, dropped connections."""

    def __init__(
        self,
        message: str,
        retry_after_s: float | None = None,
        status: int | None = None,
        connection: bool = False,
        timeout: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status = status
        self.connection = connection  # the server could not be reached at all
        self.timeout = timeout  # no answer within the time limit


class FatalBackendError(BackendError):
    """No retry will help, for this request or any other: stop the run."""

    def __init__(self, message: str, hint: str | None = None, unavailable: bool = False) -> None:
        super().__init__(message)
        self.hint = hint
        self.unavailable = unavailable  # True: the server cannot be reached (SourceUnavailable)


class RequestRejected(BackendError):
    """The server refused this one request (4xx other than 401/403/404/429)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StructuredOutputUnsupported(RequestRejected):
    """The server does not accept the ``response_format`` that was sent."""


class AnswerInvalid(ValueError):
    """An answer that does not meet its schema; the message is written for the model to read."""


class GenerationIncomplete(KgenError):
    """Some classes got no valid answer; what succeeded was written, a rerun asks only for the rest."""

    exit_code = 5
