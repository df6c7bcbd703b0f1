"""A real headless Chromium for tests, driven over the DevTools protocol on a pipe.

``--remote-debugging-pipe`` makes Chromium read protocol commands from file descriptor 3 and write
replies and events to descriptor 4, each message JSON followed by a NUL byte (what Puppeteer's
pipe transport does). No port is opened, no WebDriver and no Python package is needed: Debian's
``chromium`` is enough (``apt-get install chromium``; ``scripts/setup.sh`` installs it).

Chromium starts with a fresh profile and every background service off, because the machines that
run the tests have no network::

    with HeadlessChromium() as browser:
        browser.open(path.as_uri())
        browser.evaluate("document.title")
        browser.screenshot(out / "page.png")
        assert not browser.errors()
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Chromium's binary: $KGEN_CHROMIUM, Debian's real binary, or one on PATH."""
    explicit = os.environ.get("KGEN_CHROMIUM")
    if explicit:
        return explicit
    for candidate in ("/usr/lib/chromium/chromium",):  # Debian's binary, without the wrapper script
        if os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class HeadlessChromium:
    def __init__(self, binary: str | None = None, width: int = 1400, height: int = 1000, timeout_s: float = 60.0) -> None:
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise BrowserError("no chromium found (apt-get install chromium, or set KGEN_CHROMIUM)")
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Condition()
        self._closed = False
        self.session: str | None = None

    # ---------------------------------------------------------------------------- process
    def __enter__(self) -> HeadlessChromium:
        self.profile = Path(tempfile.mkdtemp(prefix="kgen-chromium-"))
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()

        def wire_pipes() -> None:  # in the child, before exec: the protocol's fds are 3 (in) and 4 (out)
            high_in, high_out = os.dup(to_child_read), os.dup(from_child_write)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire_pipes,  # noqa: PLW1509 (single-threaded test process at this point)
            pass_fds=(3, 4),
        )
        os.close(to_child_read)
        os.close(from_child_write)
        self._out = os.fdopen(to_child_write, "wb", buffering=0)
        self._in = os.fdopen(from_child_read, "rb", buffering=0)
        self._stderr_lines: list[str] = []
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._stderr_loop, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.send(domain)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        try:
            self.send("Browser.close", browser=True, timeout_s=5)
        except BrowserError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for handle in (self._out, self._in):
            try:
                handle.close()
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._in.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._lock:
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                    self._lock.notify_all()

    def _stderr_loop(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr_lines.append(line.decode("utf-8", "replace").rstrip())

    # ---------------------------------------------------------------------------- protocol
    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False,
             timeout_s: float | None = None) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            number = self._next_id
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        try:
            self._out.write(json.dumps(message).encode("utf-8") + b"\0")
        except OSError as exc:
            raise BrowserError(f"chromium is gone ({exc}); its stderr: {self._stderr_tail()}") from exc
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        with self._lock:
            while number not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or (self._closed and number not in self._replies):
                    raise BrowserError(f"no reply to {method} (chromium stderr: {self._stderr_tail()})")
                self._lock.wait(timeout=min(left, 0.5))
            reply = self._replies.pop(number)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _stderr_tail(self) -> str:
        return " | ".join(self._stderr_lines[-5:])

    def _wait_event(self, method: str, since: int, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                for event in self.events[since:]:
                    if event.get("method") == method:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrowserError(f"timed out waiting for {method}")
                self._lock.wait(timeout=min(left, 0.5))

    # ---------------------------------------------------------------------------- page
    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        with self._lock:
            since = len(self.events)
        self.send("Page.navigate", {"url": url})
        self._wait_event("Page.loadEventFired", since, self.timeout_s)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited); a thrown error raises BrowserError."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error in {expression[:80]!r}: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout_s: float = 20.0) -> Any:
        """Poll until ``expression`` is truthy; return its value."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression!r}")
            time.sleep(0.05)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for so far (documents, scripts, styles, images...)."""
        with self._lock:
            return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        found = []
        with self._lock:
            events = list(self.events)
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {(details.get('exception') or {}).get('description') or details.get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        return found
