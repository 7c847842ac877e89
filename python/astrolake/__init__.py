"""astrolake: lazy HATS catalogs on a C++ engine, computed on local threads or on a Dask
cluster with the same code.

    import astrolake as al
    gaia = al.open_catalog("catalogs/gaia")
    near = gaia.cone_search(ra=280.0, dec=-30.0, radius_arcsec=600).query("phot_g_mean_mag < 18")
    df = near.compute()
"""
import os

from . import _core
from .catalog import Catalog, crossmatch, open_catalog
from .errors import ArgumentError, AstrolakeError, AuthError, CatalogError, Cancelled, QueryError, StorageError
from .io import from_dataframe, write_catalog
from .service import Job, RemoteCatalog, Service

__version__ = "0.1.0"

__all__ = ["Catalog", "open_catalog", "from_dataframe", "crossmatch", "write_catalog", "adql",
           "AstrolakeError", "QueryError", "CatalogError", "ArgumentError", "Cancelled",
           "Service", "Job", "RemoteCatalog", "AuthError", "StorageError"]


def adql(query, root=None, threads=0):
    """Runs an ADQL query on the local engine and returns a pandas DataFrame (or, for
    EXPLAIN, the plan as text). Catalogs are named by path in double quotes or by name under
    `root` (default $ASTROLAKE_ROOT, else ./catalogs)."""
    from ._arrow import to_table

    root = root or os.environ.get("ASTROLAKE_ROOT", "catalogs")
    out = _core.adql(query, os.fspath(root), int(threads))
    if isinstance(out, str):
        return out
    return to_table(out).to_pandas()
