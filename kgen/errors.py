"""Errors a user can act on.

Every error kgen raises on purpose is a :class:`KgenError`: ``message`` says what was wrong,
``hint`` says what to do about it. The CLI prints both and exits with ``exit_code``.
"""

from __future__ import annotations

# Every exit code of `kgen`, listed in `kgen --help` and in the README (tests/test_cli_conventions.py
# checks both).
EXIT_CODES: dict[int, str] = {
    0: "done",
    1: "another error",
    2: "bad input (an unknown name, a bad option, a mistyped command)",
    3: "a corrupt or unsafe file (damaged cache, bank or checkpoint)",
    4: "a source not reachable (network service, offline dictionary, model file)",
    5: "some classes got no knowledge (what succeeded is written; a rerun asks for the rest)",
    6: "a file-system problem (read-only, full, a path that is a file, a name too long)",
    7: "a batch job not finished yet (`--batch collect` again later)",
    130: "interrupted (Ctrl-C; what was paid for is in the cache)",
}


class KgenError(Exception):
    """An error with a message for the user and a hint on how to fix it."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"


class InputError(KgenError):
    """Bad input from the user: an unknown name, an unreadable or empty file, a bad option."""

    exit_code = 2


class FormatError(KgenError):
    """A file kgen reads is corrupt, of another format, or of an unsupported version."""

    exit_code = 3


class SourceUnavailable(KgenError):
    """A data source (network service, offline dictionary, model file) is not reachable here."""

    exit_code = 4


class StorageError(KgenError):
    """The file system refused: a read-only or full disk, a path that is a file, a name too long."""

    exit_code = 6
