"""The library's version, in one place: the package metadata, ``stance.__version__`` and the
``library_version`` written into every saved model's config all read it from here."""

__version__ = "0.1.0"
