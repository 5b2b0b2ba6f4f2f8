"""One error hierarchy. The CLI and UI turn these into one-line messages, never tracebacks."""


class RagError(Exception):
    """Base class of every error the library raises on purpose."""


class ConfigError(RagError):
    """A setting is missing or invalid; the message says which and how to fix it."""


class StoreError(RagError):
    """The index on disk is missing, locked, or incompatible with the current settings."""


class StoreIncompatible(StoreError):
    """The store was built with another embedding model, chunking or format version."""


class StoreDamaged(StoreError):
    """The catalogue file is empty, truncated or not a catalogue: refused, never read as empty."""


class StoreReadOnly(StoreError):
    """The store's directory cannot be written: it is searched, never changed."""


class StoreLocked(StoreError):
    """Another process is writing to the store."""


class IngestError(RagError):
    """Input could not be read at all (the path does not exist, ...)."""


class NotFound(RagError):
    """A paper id or run that does not exist."""


class LLMError(RagError):
    """The language model backend failed; the message says what to fix."""


class InputError(RagError):
    """A question or other input the user gave is not acceptable (too long, ...)."""


class Cancelled(RagError):
    """The user stopped a long job (an ingest); what it wrote so far is complete and kept."""
