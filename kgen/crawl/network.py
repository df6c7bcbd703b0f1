"""Is the network open? A fast TCP probe, so that a closed network costs seconds, not minutes.

The probe opens (and at once closes) a TCP connection to the host of an API URL, or to the HTTP(S)
proxy the environment names for it; it sends no HTTP request, so a fully cached rerun still makes
zero requests. Each host is probed at most once per process. When the probe fails the crawler says
so once and carries on with what is cached and with the offline sources.
"""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PROBE_TIMEOUT_S = 3.0


@dataclass
class ProbeResult:
    open: bool
    target: str  # host:port that was tried
    reason: str = ""


def _probe_target(url: str) -> tuple[str, int]:
    """The host and port a request to ``url`` connects to first (the proxy when one applies)."""
    parts = urlsplit(url)
    scheme = parts.scheme or "https"
    host = parts.hostname or ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_parts.hostname or "", proxy_parts.port or (
            443 if proxy_parts.scheme == "https" else 80
        )
    return host, parts.port or (443 if scheme == "https" else 80)


def probe_sync(url: str, timeout: float = PROBE_TIMEOUT_S) -> ProbeResult:
    host, port = _probe_target(url)
    target = f"{host}:{port}"
    if not host:
        return ProbeResult(False, target, "the URL names no host")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ProbeResult(True, target)
    except socket.gaierror as exc:
        return ProbeResult(False, target, f"cannot resolve {host} ({exc.strerror or exc})")
    except TimeoutError:
        return ProbeResult(False, target, f"no answer from {target} within {timeout:g} s")
    except OSError as exc:
        return ProbeResult(False, target, f"cannot connect to {target} ({exc.strerror or exc})")


@dataclass
class NetworkProbe:
    """Probes each host once; concurrent callers wait for the same probe."""

    timeout: float = PROBE_TIMEOUT_S
    _results: dict[str, ProbeResult] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def check(self, url: str) -> ProbeResult:
        host, port = _probe_target(url)
        key = f"{host}:{port}"
        if key in self._results:
            return self._results[key]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._results:
                # getaddrinfo and connect block: run them in a thread, bounded by the timeout.
                try:
                    result = await asyncio.wait_for(
                        asyncio.to_thread(probe_sync, url, self.timeout), timeout=self.timeout + 1.0
                    )
                except TimeoutError:
                    result = ProbeResult(
                        False, key, f"no answer from {key} within {self.timeout:g} s"
                    )
                self._results[key] = result
        return self._results[key]
