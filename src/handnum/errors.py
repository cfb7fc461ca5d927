"""One error type per boundary; the CLI turns each into a one-line message and an exit code."""


class HandnumError(Exception):
    """Base class of every error handnum raises on purpose."""


class ImageError(HandnumError):
    """An input could not be loaded as an image (unreadable, empty, truncated, too large)."""


class ModelError(HandnumError):
    """The model file or its card is missing, corrupt or does not match."""


class DataError(HandnumError):
    """Training data (MNIST files, labelled samples) is missing or wrong."""
