"""Lets other accounts through the folders above the checkout for the length of a test.

The platform runs each user's server (and the Dask workers) as its own account, and those need
the project's .venv. A checkout under a private folder (a CI clone under /root, mode 0700) would
make `astrolake-platform up` refuse to start, as it should on a real host; the test opens only the
search bit (o+x, no listing) of such folders and puts the modes back afterwards."""
import contextlib
import os
import stat


@contextlib.contextmanager
def others_can_reach(path):
    changed = []
    path = os.path.abspath(path)
    try:
        while path != "/":
            path = os.path.dirname(path)
            mode = os.stat(path).st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(path, stat.S_IMODE(mode) | stat.S_IXOTH)
                changed.append((path, stat.S_IMODE(mode)))
        yield
    finally:
        for folder, mode in reversed(changed):
            os.chmod(folder, mode)
