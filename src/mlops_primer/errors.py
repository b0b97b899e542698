"""The few exceptions mlops-primer raises on purpose.

Every message is one line a learner can act on: it says what happened and, through
``hint``, how to fix it. The CLI turns these into a line on stderr and an exit code;
anything else is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit statuses, one per kind of failure, so scripts can tell them apart."""

    OK = 0
    ERROR = 1
    USAGE = 2
    LESSON = 3
    LLM = 4
    NO_ANSWER = 5
    STORE = 6
    INTERRUPTED = 130


class PrimerError(Exception):
    """A failure the learner can understand and fix."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and its fix, as the single line the CLI prints."""
        return f"{self.message} - {self.hint}" if self.hint else self.message


class LessonError(PrimerError):
    """A lesson file or course folder cannot be read or is invalid."""

    exit_code = ExitCode.LESSON


class UnknownLessonError(LessonError):
    """The learner named a lesson the course does not have."""


class ThemeError(LessonError):
    """A theme cannot be used (empty, too long, or not a suggested theme id)."""


class TemplateError(LessonError):
    """A prompt template failed to load or render."""

    def __init__(
        self, message: str, *, hint: str | None = None, field: str = "", detail: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.field = field
        self.detail = detail or message


class ConfigError(PrimerError):
    """A setting or the config file is invalid."""

    exit_code = ExitCode.USAGE


class LLMError(PrimerError):
    """The language model could not give a complete answer."""

    exit_code = ExitCode.LLM

    def __init__(self, message: str, *, hint: str | None = None,
                 unreachable: bool = False, midstream: bool = False) -> None:
        super().__init__(message, hint=hint)
        #: the server could not be reached at all (so replaying offline is the natural next step)
        self.unreachable = unreachable
        #: the stream was open and ended or broke before the answer was complete (the
        #: server is there: asking again may work)
        self.midstream = midstream


class EndpointNotFoundError(LLMError):
    """The server answered 404 for the API itself (often a base URL missing ``/v1``)."""


class ContextExceededError(LLMError):
    """The server said the request is larger than its context window."""

    def __init__(self, message: str, *, hint: str | None = None,
                 n_ctx: int | None = None) -> None:
        super().__init__(message, hint=hint)
        #: the server's context size, when its error names it
        self.n_ctx = n_ctx


class NoAnswerError(PrimerError):
    """No answer could be had: no LLM reachable and nothing to replay."""

    exit_code = ExitCode.NO_ANSWER


class StoreError(PrimerError):
    """The answer and progress store cannot be read or written."""

    exit_code = ExitCode.STORE


class PackError(PrimerError):
    """An answer pack file is invalid or cannot be read."""


class Interrupted(PrimerError):
    """The learner pressed Ctrl-C."""

    exit_code = ExitCode.INTERRUPTED
