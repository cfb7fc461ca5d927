"""One error type per boundary; the CLI turns each into a one-line message and an exit code."""


class HandnumError(Exception):
    """Base class of every error handnum raises on purpose."""


class ImageError(HandnumError):
    """An input could not be loaded as an image (unreadable, empty, truncated, too large)."""


class ImageTooLarge(ImageError):
    """An input over a limit (pixels, decoding memory, PDF pages): refused before it is decoded."""


class ModelError(HandnumError):
    """The model file or its card is missing, corrupt or does not match."""


class OutputError(HandnumError):
    """An output file or folder cannot be written (a file where a folder should be, a read-only disk)."""


class DataError(HandnumError):
    """Training data (MNIST files, labelled samples) is missing or wrong."""


def one_line(message: object) -> str:
    """A message on one line (exception texts from libraries may span several)."""
    return " ".join(line.strip() for line in str(message).splitlines() if line.strip())
