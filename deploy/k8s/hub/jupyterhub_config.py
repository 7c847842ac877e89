# JupyterHub configuration for Kubernetes (mounted into the hub pod from the ConfigMap that
# kustomization.yaml generates from this file). Users log in with their astrolake service
# accounts; each gets a notebook server pod made by KubeSpawner from the notebook image, sized
# by the profile they choose, with the object store settings and the service's and Dask's
# addresses in its environment.
import os

namespace = os.environ.get("POD_NAMESPACE", "astrolake")
service_url = os.environ.get("ASTROLAKE_SERVICE_URL", "http://astrolake-service:8080")

# Accounts: the astrolake service's (astrolake.hub.authenticator, installed with the astrolake
# package in the hub image). The user's service token is kept encrypted as auth state
# ($JUPYTERHUB_CRYPT_KEY from the astrolake-hub Secret) and handed to the notebook server.
c.JupyterHub.authenticator_class = "astrolake.hub.authenticator.AstrolakeAuthenticator"
c.AstrolakeAuthenticator.service_url = service_url
c.Authenticator.enable_auth_state = True
c.Authenticator.allow_all = True          # every account of the service may log in
c.Authenticator.auth_refresh_age = 300
c.Authenticator.refresh_pre_spawn = True
c.JupyterHub.shutdown_on_logout = True    # the token the server holds ends with the logout


def pass_token(spawner, auth_state):
    """The user's astrolake token into their server's environment (a new dict per spawner, so
    no token reaches another user's pod)."""
    token = (auth_state or {}).get("token")
    if token:
        spawner.environment = {**spawner.environment, "ASTROLAKE_TOKEN": token}


c.KubeSpawner.auth_state_hook = pass_token

# The hub behind a separate configurable-http-proxy Deployment (proxy.yaml).
c.JupyterHub.hub_bind_url = "http://:8081"
c.JupyterHub.hub_connect_url = f"http://astrolake-hub.{namespace}.svc:8081"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://astrolake-proxy-api.{namespace}.svc:8001"
c.JupyterHub.cleanup_servers = False      # a hub restart leaves users' servers running
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"

c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = namespace
c.KubeSpawner.image = os.environ.get("ASTROLAKE_NOTEBOOK_IMAGE", "astrolake/notebook:0.1.0")
c.KubeSpawner.default_url = "/lab"
c.KubeSpawner.uid = 1000
c.KubeSpawner.gid = 100
c.KubeSpawner.fs_gid = 100
c.KubeSpawner.start_timeout = 300
c.KubeSpawner.http_timeout = 120
# The NetworkPolicies select notebook servers by these labels.
c.KubeSpawner.extra_labels = {
    "app.kubernetes.io/component": "singleuser-server",
    "app.kubernetes.io/part-of": "astrolake",
}
c.KubeSpawner.environment = {
    "ASTROLAKE_SERVICE_URL": service_url,
    "DASK_SCHEDULER_ADDRESS": f"tcp://astrolake-dask-scheduler.{namespace}.svc:8786",
}
c.KubeSpawner.extra_container_config = {
    "envFrom": [
        {"configMapRef": {"name": "astrolake-object-store"}},
        {"secretRef": {"name": "astrolake-s3-credentials"}},
    ]
}
# A persistent home per user.
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.pvc_name_template = "claim-{username}"
c.KubeSpawner.storage_capacity = "10Gi"
c.KubeSpawner.storage_access_modes = ["ReadWriteOnce"]
c.KubeSpawner.volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}}]
c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]

# Sizes offered on the spawn page. Limits are enforced by the kubelet (CPU by CFS quota, memory
# by the cgroup: a notebook going over its memory limit is OOM-killed alone). The list is the
# admin's bound: nobody can ask for more than the largest entry.
SIZES = {
    "small": ("Small: 1 CPU, 4 GiB", 0.5, 1, "2G", "4G"),
    "medium": ("Medium: 2 CPUs, 8 GiB", 1, 2, "4G", "8G"),
    "large": ("Large: 4 CPUs, 16 GiB", 2, 4, "8G", "16G"),
}
c.KubeSpawner.profile_list = [
    {
        "display_name": label,
        "slug": slug,
        "default": slug == "small",
        "kubespawner_override": {
            "cpu_guarantee": cpu_guarantee,
            "cpu_limit": cpu_limit,
            "mem_guarantee": mem_guarantee,
            "mem_limit": mem_limit,
        },
    }
    for slug, (label, cpu_guarantee, cpu_limit, mem_guarantee, mem_limit) in SIZES.items()
]

# Idle culler: stops notebook servers idle for an hour.
c.JupyterHub.services = [
    {"name": "idle-culler", "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=3600"]},
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
