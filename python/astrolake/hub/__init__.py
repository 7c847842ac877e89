"""JupyterHub pieces for the astrolake platform (deploy/hub/jupyterhub_config.py uses them):
an Authenticator backed by the service's accounts and a Spawner that runs each user's server
as a system account inside per-user cgroup v1 limits."""
