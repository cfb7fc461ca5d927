"""The batch error type: the CLI prints it as one line."""
from ..errors import HandnumError, one_line

__all__ = ["BatchError", "one_line"]


class BatchError(HandnumError):
    """A batch job cannot start or go on (bad output folder, missing extra, engine failure)."""
