# JupyterHub configuration of the astrolake platform. `astrolake-platform up` starts the hub with
# this file, its working directory STATE/hub and $ASTROLAKE_PLATFORM_STATE=STATE; the settings
# chosen at `up` (ports, service URL, Dask scheduler, sizes) are read from STATE/platform.json.
import json
import os
import sys

from astrolake.hub.authenticator import AstrolakeAuthenticator
from astrolake.hub.spawner import AstrolakeSpawner

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
state = os.environ["ASTROLAKE_PLATFORM_STATE"]
with open(os.path.join(state, "platform.json")) as f:
    p = json.load(f)
venv_bin = os.path.dirname(sys.executable)

# Browsers reach the hub at hub_host (loopback unless `up --host` says otherwise); everything
# else listens on loopback only.
c.JupyterHub.bind_url = f"http://{p.get('hub_host', '127.0.0.1')}:{p['hub_port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{p['hub_api_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{p['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [p["proxy_command"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "run", "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "hub", "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "hub", "cookie_secret")

c.JupyterHub.cleanup_servers = True  # `platform down` stops the users' servers too

# Accounts: the astrolake service's. The token is encrypted in the hub's database with
# $JUPYTERHUB_CRYPT_KEY (generated into STATE/hub/crypt_key at the first `up`).
c.JupyterHub.authenticator_class = AstrolakeAuthenticator
c.AstrolakeAuthenticator.service_url = p["service_url"]
c.Authenticator.enable_auth_state = True
c.Authenticator.allow_all = True  # everyone the service accepts
c.Authenticator.admin_users = set(p["admin_users"])
c.Authenticator.auth_refresh_age = 300
c.Authenticator.refresh_pre_spawn = True
c.JupyterHub.shutdown_on_logout = True  # the token the server holds dies with the logout

# Servers: a system account per user, limited by cgroups, JupyterLab in .venv.
c.JupyterHub.spawner_class = AstrolakeSpawner
c.Spawner.cmd = [os.path.join(venv_bin, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "JUPYTER_PATH": os.path.join(state, "share", "jupyter"),  # the "astrolake" kernel
    "ASTROLAKE_ROOT": p["root"],
    "PATH": venv_bin + ":/usr/local/bin:/usr/bin:/bin",
}
c.AstrolakeSpawner.homes = os.path.join(state, "homes")
c.AstrolakeSpawner.notebooks = p.get("notebooks", "")
c.AstrolakeSpawner.service_url = p["service_url"]
c.AstrolakeSpawner.dask_address = p.get("dask_address", "")
c.AstrolakeSpawner.max_size = p.get("max_size", "large")
c.AstrolakeSpawner.cgroup_prefix = p["cgroup_prefix"]
c.AstrolakeSpawner.limits = p.get("limits", True)
if p.get("sizes"):
    c.AstrolakeSpawner.sizes = p["sizes"]

# The idle culler stops servers without activity for cull_idle_timeout seconds.
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={int(p['cull_idle_timeout'])}", f"--cull-every={int(p['cull_every'])}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
