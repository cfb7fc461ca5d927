"""handnum: find and read handwritten digits and numbers on photos and scans of paper.

    >>> import handnum
    >>> page = handnum.read("sheet.jpg")          # doctest: +SKIP
    >>> print(page.text)                           # doctest: +SKIP

Reading needs only numpy, OpenCV and onnxruntime; training lives in `handnum.train` (torch).
"""
from .classify import Prediction, classify
from .errors import DataError, HandnumError, ImageError, ImageTooLarge, ModelError
from .model import Model, load_model
from .pipeline import Options, iter_pages, read, read_pages
from .results import Digit, Line, Number, Page, Rejected

__version__ = "0.1.0"
__all__ = ["read", "read_pages", "iter_pages", "classify", "load_model", "Model", "Options", "Page", "Line", "Number",
           "Digit", "Rejected", "Prediction", "HandnumError", "ImageError", "ImageTooLarge", "ModelError", "DataError"]
