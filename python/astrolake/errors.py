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


class AuthError(AstrolakeError, PermissionError):
    """A service refused the credentials or the token (HTTP 401/403), with its message."""


class StorageError(AstrolakeError, OSError):
    """A service's personal storage or MyDB refused an operation, with its message."""
