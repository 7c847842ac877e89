"""A client for an astrolake service (`astrolake serve`): log in, run ADQL there (sync or as
jobs), and use the personal storage (vos://) and personal tables (MyDB) the service keeps.

    import astrolake
    svc = astrolake.Service("http://127.0.0.1:8080")
    svc.login("ada")                      # asks for the password; the token is cached
    df = svc.query("SELECT TOP 10 * FROM gaia")
    job = svc.query("SELECT ...", async_=True); svc.wait(job); df = svc.results(job)
    svc.put("local.csv", "vos://data/local.csv"); svc.ls("vos://data")
"""
import getpass
import io
import json
import os
import re
import tempfile
import time
import xml.etree.ElementTree as ET

import requests

from .errors import AuthError, QueryError, StorageError

FORMATS = {"pandas": "parquet", "csv": "csv", "votable": "votable", "table": "votable"}


def _token_file():
    return os.path.join(os.path.expanduser("~"), ".astrolake", "tokens.json")


def _write_private(path, text):
    """Writes `text` to `path` atomically with mode 0600 (its folder 0700)."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tokens-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _error_message(res):
    """The service's message: X-Error (TAP), {"error": ...} (platform API), or the body."""
    if res.headers.get("X-Error"):
        return res.headers["X-Error"]
    text = res.text
    try:
        return json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
        pass
    m = re.search(r"<INFO[^>]*QUERY_STATUS[^>]*>([^<]*)<", text)
    return (m.group(1) if m else text).strip() or f"HTTP {res.status_code}"


class Job:
    """An asynchronous query on the service (UWS job)."""

    def __init__(self, job_id, fmt="pandas"):
        self.id, self.fmt = job_id, fmt

    def __repr__(self):
        return f"Job({self.id!r})"


def _job_id(job):
    return job.id if isinstance(job, Job) else str(job)


def _vos(path):
    return path if path.startswith("vos://") else "vos://" + path.lstrip("/")


class Service:
    """A connection to an astrolake service at `url` (its root, or its TAP base ending in /tap);
    without `url`, $ASTROLAKE_SERVICE_URL (set in the platform's notebook servers).

    The token is, in this order: `token`, $ASTROLAKE_TOKEN, or the one cached for this URL by an
    earlier login() under ~/.astrolake/ (mode 0600). Without one, requests are anonymous."""

    def __init__(self, url=None, token=None, timeout=600):
        url = url or os.environ.get("ASTROLAKE_SERVICE_URL")
        if not url:
            raise ValueError("no service URL: pass one, or set $ASTROLAKE_SERVICE_URL")
        self.url = re.sub(r"/tap/?$", "", url.rstrip("/"))
        self.timeout = timeout
        self._http = requests.Session()
        self.token = token or os.environ.get("ASTROLAKE_TOKEN") or self._cached_token()

    def __repr__(self):
        return f"Service({self.url!r})"

    # ---------- HTTP ----------

    def _request(self, method, path, error=QueryError, **kw):
        headers = kw.pop("headers", {})
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        try:
            res = self._http.request(method, self.url + path, headers=headers, timeout=self.timeout, **kw)
        except requests.RequestException as e:
            raise error(f"cannot reach {self.url}: {e}") from e
        if res.status_code >= 400:
            message = _error_message(res)
            if res.status_code in (401, 403):
                raise AuthError(message)
            raise error(message)
        return res

    # ---------- accounts ----------

    def _cache(self):
        try:
            with open(_token_file()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _cached_token(self):
        return self._cache().get(self.url, {}).get("token")

    def login(self, user, password=None):
        """Logs in (asks for the password when not given) and caches the token for this URL."""
        if password is None:
            password = getpass.getpass(f"Password for {user} at {self.url}: ")
        old, self.token = self.token, None  # credentials, not a token, authenticate this one
        try:
            res = self._request("POST", "/auth/login", error=AuthError, data={"username": user, "password": password})
        except BaseException:
            self.token = old
            raise
        self.token = res.text.strip()
        cache = self._cache()
        cache[self.url] = {"user": user, "token": self.token}
        _write_private(_token_file(), json.dumps(cache))
        return user

    def logout(self):
        """Revokes the token on the service and forgets it here."""
        try:
            if self.token:
                self._request("GET", "/auth/logout", error=AuthError)
        finally:
            self.token = None
            cache = self._cache()
            if cache.pop(self.url, None) is not None:
                _write_private(_token_file(), json.dumps(cache))

    def whoami(self):
        """The user name the service sees, or "anonymous"."""
        return self._request("GET", "/auth/whoAmI", error=AuthError).text.strip()

    # ---------- queries ----------

    def _params(self, adql, fmt, out, maxrec):
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
        p = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": adql, "RESPONSEFORMAT": FORMATS[fmt]}
        if out:
            if not (out.startswith("vos://") or out.startswith("mydb://")):
                raise ValueError(f"out must be a vos:// or mydb:// name, not {out!r}")
            p["OUT"] = out
        if maxrec is not None:
            p["MAXREC"] = str(int(maxrec))
        return p

    @staticmethod
    def _convert(content, fmt):
        if fmt == "pandas":
            import pyarrow.parquet as pq
            return pq.read_table(io.BytesIO(content)).to_pandas()
        if fmt == "table":
            from astropy.io.votable import parse_single_table
            return parse_single_table(io.BytesIO(content)).to_table()
        return content.decode("utf-8") if fmt == "csv" else content

    def query(self, adql, fmt="pandas", out=None, async_=False, maxrec=None):
        """Runs ADQL on the service. Returns a pandas DataFrame ("pandas"), CSV text ("csv"),
        VOTable bytes ("votable") or an astropy Table ("table"); with `out` (vos://... or
        mydb://NAME) the result is stored there and the service's answer, a dict with out, size
        and rows, is returned; with
        async_=True a Job at once (see wait() and results())."""
        params = self._params(adql, fmt, out, maxrec)
        if async_:
            params["PHASE"] = "RUN"
            res = self._request("POST", "/tap/async", data=params, allow_redirects=False)
            location = res.headers.get("Location", "")
            if res.status_code != 303 or "/async/" not in location:
                raise QueryError(f"the service did not create a job (HTTP {res.status_code})")
            return Job(location.rstrip("/").rsplit("/", 1)[1], fmt)
        res = self._request("POST", "/tap/sync", data=params)
        if out:
            return res.json()  # {"out": where, "size": bytes, "rows": n}
        return self._convert(res.content, fmt)

    def _job(self, job, suffix=""):
        return f"/tap/async/{_job_id(job)}{suffix}"

    def status(self, job):
        """The job's phase: PENDING, QUEUED, EXECUTING, COMPLETED, ERROR or ABORTED."""
        return self._request("GET", self._job(job, "/phase")).text.strip()

    def wait(self, job, timeout=None, poll=0.25):
        """Waits until the job ends; returns "COMPLETED", raises QueryError with the service's
        message if it failed or was aborted (or TimeoutError after `timeout` seconds)."""
        start = time.monotonic()
        while True:
            phase = self.status(job)
            if phase == "COMPLETED":
                return phase
            if phase == "ERROR":
                doc = ET.fromstring(self._request("GET", self._job(job)).content)
                msg = [e.text for e in doc.iter() if e.tag.endswith("message")]
                raise QueryError(msg[0] if msg and msg[0] else f"job {_job_id(job)} failed")
            if phase == "ABORTED":
                raise QueryError(f"job {_job_id(job)} was aborted")
            if timeout is not None and time.monotonic() - start > timeout:
                raise TimeoutError(f"job {_job_id(job)} still {phase} after {timeout} s")
            time.sleep(poll)
            poll = min(poll * 1.5, 2.0)

    def results(self, job):
        """The result of a completed job in the form query() was asked for (for a bare job id:
        a DataFrame from Parquet, CSV text, or VOTable bytes, by the result's type)."""
        res = self._request("GET", self._job(job, "/results/result"))
        if isinstance(job, Job):
            fmt = job.fmt
        else:
            kind = res.headers.get("Content-Type", "")
            fmt = "pandas" if "parquet" in kind else "csv" if "csv" in kind else "votable"
        return self._convert(res.content, fmt)

    def abort(self, job):
        """Asks the service to stop the job."""
        self._request("POST", self._job(job, "/phase"), data={"PHASE": "ABORT"}, allow_redirects=False)

    # ---------- personal storage (vos://) ----------

    def _storage(self, method, path, **kw):
        return self._request(method, path, error=StorageError, **kw)

    def ls(self, path="vos://"):
        """The entries of a folder: dicts with name, path, type ("file"/"dir"), size, mtime."""
        return self._storage("GET", "/storage/ls", params={"name": _vos(path)}).json()

    def stat(self, path):
        return self._storage("GET", "/storage/stat", params={"name": _vos(path)}).json()

    def get(self, path, local_path=None):
        """Downloads a file: returns its bytes, or writes them to `local_path` (atomically)."""
        res = self._storage("GET", "/storage/get", params={"name": _vos(path)}, stream=local_path is not None)
        if local_path is None:
            return res.content
        local_path = os.fspath(local_path)
        folder = os.path.dirname(os.path.abspath(local_path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in res.iter_content(1 << 20):
                    f.write(chunk)
            os.replace(tmp, local_path)
        except BaseException:
            os.unlink(tmp)
            raise
        return local_path

    def put(self, local_path, path):
        """Uploads a local file (streamed) to vos://...; returns the new file's stat."""
        with open(local_path, "rb") as f:
            return self._storage("PUT", "/storage/put", params={"name": _vos(path)}, data=f).json()

    def mkdir(self, path):
        self._storage("POST", "/storage/mkdir", params={"dir": _vos(path)})

    def mv(self, src, dst):
        self._storage("POST", "/storage/mv", params={"from": _vos(src), "to": _vos(dst)})

    def cp(self, src, dst):
        self._storage("POST", "/storage/cp", params={"from": _vos(src), "to": _vos(dst)})

    def rm(self, path, recursive=False):
        params = {"file": _vos(path)}
        if recursive:
            params["recursive"] = "1"
        self._storage("POST", "/storage/rm", params=params)

    # ---------- personal tables (MyDB) ----------

    def mydb_list(self):
        """The caller's tables: dicts with name, rows and columns."""
        return self._storage("GET", "/mydb/list").json()

    def mydb_import(self, name, data, ra="ra", dec="dec"):
        """Creates mydb.NAME from a pandas DataFrame or a CSV or Parquet file."""
        params = {"table": name, "ra": ra, "dec": dec}
        if hasattr(data, "to_parquet"):
            buf = io.BytesIO()
            data.to_parquet(buf, index=False)
            return self._storage("POST", "/mydb/import", params=params, data=buf.getvalue()).json()
        with open(data, "rb") as f:
            return self._storage("POST", "/mydb/import", params=params, data=f).json()

    def mydb_drop(self, name):
        self._storage("POST", "/mydb/drop", params={"table": name})

    # ---------- catalogs ----------

    def catalogs(self):
        """The names of the catalogs the service offers."""
        doc = ET.fromstring(self._request("GET", "/tap/tables").content)
        names = []
        for schema in doc.iter("schema"):
            if schema.findtext("name", "").lower() == "tap_schema":
                continue
            names += [t.findtext("name") for t in schema.iter("table")]
        return names

    def open_catalog(self, name):
        """A lazy handle on a catalog the service shares; work runs on the service as ADQL."""
        return RemoteCatalog(self, name)


def _ident(name):
    """An ADQL identifier: plain when it can be, else double-quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


class RemoteCatalog:
    """A catalog on the service, narrowed lazily (columns, conditions, cone) and computed there
    by one ADQL query. The files are not read here: the service reads them."""

    def __init__(self, svc, name, columns=None, where=()):
        self._svc, self.name, self._columns, self._where = svc, name, columns, tuple(where)

    def __repr__(self):
        return f"RemoteCatalog({self.name!r} at {self._svc.url})"

    @property
    def columns(self):
        """The catalog's column names (from the service's VOSI tables)."""
        if self._columns is not None:
            return list(self._columns)
        path = "/tap/tables/" + requests.utils.quote(self.name, safe="")
        doc = ET.fromstring(self._svc._request("GET", path).content)
        return [c.findtext("name") for c in doc.iter("column")]

    def select(self, columns):
        return RemoteCatalog(self._svc, self.name, list(columns), self._where)

    def query(self, condition):
        """Keeps rows matching an ADQL condition, e.g. "phot_g_mean_mag < 18"."""
        return RemoteCatalog(self._svc, self.name, self._columns, self._where + (f"({condition})",))

    def cone_search(self, ra, dec, radius_arcsec, ra_column="ra", dec_column="dec"):
        ra, dec, r = float(ra), float(dec), float(radius_arcsec) / 3600.0
        point = f"POINT('ICRS', {_ident(ra_column)}, {_ident(dec_column)})"
        cond = f"1 = CONTAINS({point}, CIRCLE('ICRS', {ra!r}, {dec!r}, {r!r}))"
        return self.query(cond)

    def adql(self, top=None):
        cols = ", ".join(_ident(c) for c in self._columns) if self._columns else "*"
        s = "SELECT " + (f"TOP {int(top)} " if top is not None else "") + cols + " FROM " + _ident(self.name)
        if self._where:
            s += " WHERE " + " AND ".join(self._where)
        return s

    def head(self, n=5):
        return self._svc.query(self.adql(top=n))

    def compute(self):
        return self._svc.query(self.adql())
