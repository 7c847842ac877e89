"""Runs a notebook on a Jupyter server through its REST API and a kernel's WebSocket (the
Jupyter messaging protocol), as a browser front end would: upload, start a session, send each
cell as an execute_request, collect the outputs into the notebook, save it back."""
import json
import time
import uuid

import requests
import websocket


def notebook(cells, kernel="astrolake"):
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": kernel, "display_name": "Python (astrolake .venv)",
                                        "language": "python"}},
            "cells": [{"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {}, "source": src,
                       "outputs": [], "execution_count": None} for src in cells]}


def _output(msg):
    kind, content = msg["msg_type"], msg["content"]
    if kind == "stream":
        return {"output_type": "stream", "name": content["name"], "text": content["text"]}
    if kind in ("execute_result", "display_data"):
        out = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
        if kind == "execute_result":
            out["execution_count"] = content["execution_count"]
        return out
    if kind == "error":
        return {"output_type": "error", "ename": content["ename"], "evalue": content["evalue"],
                "traceback": content["traceback"]}
    return None


class ServerSession:
    """A notebook open on a user's server (base like http://127.0.0.1:PORT/user/NAME)."""

    def __init__(self, base, token, path, nb, timeout=60):
        self.base, self.path, self.nb = base, path, nb
        self.headers = {"Authorization": "token " + token}
        r = requests.put(f"{base}/api/contents/{path}", json={"type": "notebook", "content": nb},
                         headers=self.headers, timeout=timeout)
        r.raise_for_status()
        r = requests.post(f"{base}/api/sessions", json={"path": path, "type": "notebook",
                                                        "kernel": {"name": nb["metadata"]["kernelspec"]["name"]}},
                          headers=self.headers, timeout=timeout)
        r.raise_for_status()
        self.kernel_id = r.json()["kernel"]["id"]
        self.session = uuid.uuid4().hex
        ws_url = base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=timeout)

    def execute(self, code, timeout=300):
        """(reply content or None if the kernel died first, outputs)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": self.session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        outputs, reply, idle = [], None, False
        deadline = time.monotonic() + timeout
        while not (reply is not None and idle):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply within {timeout} s to {code[:60]!r}")
            self.ws.settimeout(left)
            msg = json.loads(self.ws.recv())
            if msg.get("msg_type") == "status" and msg["content"]["execution_state"] in ("restarting", "dead"):
                return None, outputs  # the kernel was killed under us
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_reply":
                reply = msg["content"]
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif (out := _output(msg)) is not None:
                outputs.append(out)
        return reply, outputs

    def run_all(self, timeout=300):
        """Runs every cell in order, stores the outputs in the notebook and saves it; returns the
        text each cell printed. A cell that fails raises with the kernel's traceback."""
        texts = []
        for i, cell in enumerate(self.nb["cells"]):
            reply, outputs = self.execute(cell["source"], timeout=timeout)
            if reply is None or reply["status"] != "ok":
                raise AssertionError(f"cell {i} failed: {reply and reply.get('ename')}: "
                                     f"{reply and reply.get('evalue')}\n{outputs}")
            cell["outputs"], cell["execution_count"] = outputs, reply["execution_count"]
            texts.append("".join(o.get("text", "") for o in outputs if o["output_type"] == "stream"))
        requests.put(f"{self.base}/api/contents/{self.path}", json={"type": "notebook", "content": self.nb},
                     headers=self.headers, timeout=60).raise_for_status()
        return texts

    def kernel_state(self):
        r = requests.get(f"{self.base}/api/kernels/{self.kernel_id}", headers=self.headers, timeout=30)
        return r.json().get("execution_state") if r.ok else f"HTTP {r.status_code}"

    def close(self):
        try:
            self.ws.close()
        finally:
            requests.delete(f"{self.base}/api/kernels/{self.kernel_id}", headers=self.headers, timeout=30)
