"""The version, in a module of its own so that every layer may read it (the package
``__init__`` is the facade at the top: it imports the API and the magic on use)."""

__version__ = "0.1.0"
