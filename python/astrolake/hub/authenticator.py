"""A JupyterHub Authenticator that asks the astrolake service (POST /auth/login): the same user
names and passwords as the service, no second user database. The service's token is kept as the
user's encrypted auth_state, handed to the user's server, and revoked when the user logs out."""
import re
from urllib.parse import urlencode

from jupyterhub.auth import Authenticator
from jupyterhub.handlers.login import LogoutHandler
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets import Unicode

NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")  # the service's user names


async def _call(url, method="GET", body=None, token=None, timeout=30):
    """(status, text) of one request to the service; status 599 when it cannot be reached."""
    headers = {"Authorization": "Bearer " + token} if token else {}
    req = HTTPRequest(url, method=method, body=body, headers=headers, request_timeout=timeout,
                      connect_timeout=timeout)
    res = await AsyncHTTPClient().fetch(req, raise_error=False)
    return res.code, (res.body or b"").decode("utf-8", "replace").strip()


class AstrolakeLogoutHandler(LogoutHandler):
    """Logging out of the hub also revokes the user's astrolake token."""

    async def handle_logout(self):
        user = self._astrolake_user
        if user is None:
            return
        state = await user.get_auth_state()
        token = (state or {}).get("token")
        if token:
            code, text = await _call(self.authenticator.service_url + "/auth/logout", token=token)
            if code != 200:
                self.log.warning("The service did not revoke %s's token: %s %s", user.name, code, text)
        await user.save_auth_state(None)

    async def get(self):
        self._astrolake_user = self.current_user  # before the default logout forgets it
        await super().get()


class AstrolakeAuthenticator(Authenticator):
    service_url = Unicode(config=True, help="The astrolake service, e.g. http://127.0.0.1:8080")

    def validate_username(self, username):
        return NAME.fullmatch(username) is not None and super().validate_username(username)

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        if not self.validate_username(name):
            return None
        body = urlencode({"username": name, "password": data.get("password", "")})
        code, text = await _call(self.service_url + "/auth/login", method="POST", body=body)
        if code == 200 and text:
            return {"name": name, "auth_state": {"token": text}}
        if code not in (401, 403):
            self.log.warning("Login of %s: the service answered %s %s", name, code, text[:200])
        return None

    async def refresh_user(self, user, handler=None):
        """Keeps the hub login only as long as the service's token is valid (expiry, disabled
        user, password change, logout elsewhere all end it)."""
        state = await user.get_auth_state()
        token = (state or {}).get("token")
        if not token:
            return False
        code, text = await _call(self.service_url + "/auth/whoAmI", token=token)
        if code == 599:
            return True  # the service is down: don't log everyone out for that
        return code == 200 and text == user.name

    def get_handlers(self, app):
        return super().get_handlers(app) + [("/logout", AstrolakeLogoutHandler)]
