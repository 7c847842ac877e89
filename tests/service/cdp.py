"""A small driver for a headless Debian chromium over the Chrome DevTools Protocol (a websocket,
aiohttp's client), enough for the web page's browser test: open a page, evaluate JavaScript,
wait for a condition, choose a file for an <input type=file>, take a screenshot."""
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import aiohttp

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--remote-debugging-port=0", "--window-size=1280,900"]


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, executable="/usr/bin/chromium"):
        self.profile = tempfile.mkdtemp(prefix="al-chromium-")
        self.proc = subprocess.Popen([executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise BrowserError("chromium exited at start")
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            port = m and int(m.group(1))
        if port is None:
            raise BrowserError("chromium did not open its DevTools port")
        self.errors = []  # uncaught exceptions in the page
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._connect(port))

    async def _connect(self, port):
        self.http = aiohttp.ClientSession()
        async with self.http.get(f"http://127.0.0.1:{port}/json/list") as r:
            pages = [t for t in await r.json() if t["type"] == "page"]
        self.ws = await self.http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        self.next_id = 0
        for method in ("Page.enable", "Runtime.enable", "DOM.enable"):
            await self._send(method)

    async def _send(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send_str(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive(timeout=60)).data)
            if msg.get("method") == "Runtime.exceptionThrown":
                d = msg["params"]["exceptionDetails"]
                self.errors.append(d.get("exception", {}).get("description") or d.get("text"))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return msg["result"]

    def send(self, method, **params):
        return self.loop.run_until_complete(self._send(method, **params))

    def goto(self, url):
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'")

    def eval(self, expression):
        r = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, condition, timeout=30):
        """Waits until the JavaScript expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.eval(condition)
            if v:
                return v
            if time.monotonic() > deadline:
                shown = self.eval("[location.href, document.querySelector('#message')?.textContent ??"
                                  " document.body?.innerText.slice(0, 300)]")
                raise BrowserError(f"timed out waiting for {condition}; at {shown[0]}, message line: {shown[1]!r}")
            time.sleep(0.1)

    def click(self, selector):
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")

    def fill(self, selector, value):
        self.eval(f"(e => {{ e.value = {json.dumps(value)}; e.dispatchEvent(new Event('input')); }})"
                  f"(document.querySelector({json.dumps(selector)}))")

    def choose_file(self, selector, path):
        obj = self.send("Runtime.evaluate", expression=f"document.querySelector({json.dumps(selector)})")
        self.send("DOM.setFileInputFiles", files=[str(path)], objectId=obj["result"]["objectId"])

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def artifact(self, folder, name):
        """A screenshot kept as a test artifact in `folder`; checks it shows a page."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, name)
        self.screenshot(path)
        assert os.path.getsize(path) > 10000  # a page, not a blank image
        return path

    def close(self):
        try:
            self.loop.run_until_complete(self.ws.close())
            self.loop.run_until_complete(self.http.close())
        finally:
            self.loop.close()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
