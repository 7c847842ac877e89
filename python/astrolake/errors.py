"""astrolake's exceptions. The C++ engine's errors arrive as these, with the engine's message."""


class AstrolakeError(Exception):
    """Base class of every astrolake error."""


class QueryError(AstrolakeError, ValueError):
    """A filter, expression or ADQL query that cannot be parsed, bound or run."""


class CatalogError(AstrolakeError, OSError):
    """A catalog that cannot be opened, read or written (missing files, bad metadata)."""


class ArgumentError(AstrolakeError, ValueError):
    """A bad argument: unknown column, bad radius, bad region, ..."""


class Cancelled(AstrolakeError):
    """The engine stopped a job because a cancel was requested."""
