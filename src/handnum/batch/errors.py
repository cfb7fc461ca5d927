"""The batch error type: the CLI prints it as one line."""
from ..errors import HandnumError


class BatchError(HandnumError):
    """A batch job cannot start or go on (bad output folder, missing extra, engine failure)."""


def one_line(message: object) -> str:
    """A message on one line (exception texts from libraries may span several)."""
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())
