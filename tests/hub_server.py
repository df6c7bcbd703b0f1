"""A local stand-in for the Hugging Face Hub's HTTP API, enough for ``kgen bank push/pull``.

It keeps model repositories in memory, each a chain of commits (a commit is a full snapshot of the
files) with branches, and answers what ``huggingface_hub`` sends for ``create_repo``,
``create_commit`` (README metadata check, ``preupload``, the ndjson ``commit``), ``repo_info`` /
``model_info`` (``/api/models/<repo>[/revision/<rev>]``), ``list_repo_tree`` and file downloads
(``HEAD``/``GET /<repo>/resolve/<rev>/<path>`` with the ``X-Repo-Commit`` and ``ETag`` headers).

Every file is taken as a regular (non-LFS) upload: the real Hub stores large files through LFS or
Xet, which huggingface_hub handles on its side; kgen's code is the same either way. Requests must
carry a bearer token to write; reads of a private repository need it too. Every request is logged
(method, path) for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class Commit:
    sha: str
    files: dict[str, bytes]
    message: str


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        sha = self.branches.get(revision, revision)
        return self.commits.get(sha)


class FakeHub:
    def __init__(self, token: str = "hf_test_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def commit(self, repo: Repo, branch: str, files: dict[str, bytes | None], message: str) -> Commit:
        parent = repo.resolve(branch)
        snapshot = dict(parent.files) if parent else {}
        for path, content in files.items():
            if content is None:
                snapshot.pop(path, None)
            else:
                snapshot[path] = content
        digest = hashlib.sha1((parent.sha if parent else "").encode() + message.encode())
        for path in sorted(snapshot):
            digest.update(path.encode() + b"\0" + hashlib.sha256(snapshot[path]).digest())
        commit = Commit(digest.hexdigest(), snapshot, message)
        repo.commits[commit.sha] = commit
        repo.branches[branch] = commit.sha
        return commit


class _Handler(BaseHTTPRequestHandler):
    server: _HubHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ plumbing
    @property
    def hub(self) -> FakeHub:
        return self.server.hub

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, *, head: bool = False) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, status: int, message: str, code: str = "") -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._json(status, {"error": message}, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _authorised(self) -> bool:
        return self.headers.get("Authorization", "") == f"Bearer {self.hub.token}"

    def _repo(self, repo_id: str) -> Repo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo.private and not self._authorised()):
            self._error(404, "Repository not found", "RepoNotFound")
            return None
        return repo

    # ------------------------------------------------------------------ routes
    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        self.hub.requests.append(("POST", path))
        body = self._body()
        if path == "/api/validate-yaml":
            return self._json(200, {})
        if not self._authorised():
            return self._error(401, "Invalid credentials in Authorization header")
        with self.hub.lock:
            if path == "/api/repos/create":
                request = json.loads(body)
                repo_id = f"{request['organization']}/{request['name']}" if request.get("organization") else request["name"]
                if request.get("type", "model") != "model":
                    return self._error(400, "this stand-in keeps model repositories only")
                if repo_id in self.hub.repos:  # the Hub names the repository in its 409 answer too
                    return self._json(409, {"error": "You already created this model repo", "url": f"{self.server.base_url}/{repo_id}"},
                                      {"X-Error-Message": "You already created this model repo"})
                repo = Repo(repo_id, bool(request.get("private")))
                self.hub.repos[repo_id] = repo
                self.hub.commit(repo, "main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"}, "initial commit")
                return self._json(200, {"url": f"{self.server.base_url}/{repo_id}", "name": repo_id})
            parts = path.split("/")
            # /api/models/<org>/<name>/branch/<branch>
            if len(parts) >= 7 and parts[1:3] == ["api", "models"] and parts[5] == "branch":
                repo = self._repo(f"{parts[3]}/{parts[4]}")
                if repo is None:
                    return None
                branch = unquote("/".join(parts[6:]))
                if branch in repo.branches:
                    return self._error(409, "Reference already exists")
                repo.branches[branch] = repo.branches["main"]
                return self._json(200, {})
            # /api/models/<org>/<name>/(preupload|commit)/<revision>
            if len(parts) >= 7 and parts[1:3] == ["api", "models"] and parts[5] in ("preupload", "commit"):
                repo_id, action, revision = f"{parts[3]}/{parts[4]}", parts[5], unquote("/".join(parts[6:]))
                repo = self._repo(repo_id)
                if repo is None:
                    return None
                if action == "preupload":
                    files = json.loads(body)["files"]
                    return self._json(200, {"files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None} for f in files
                    ]})
                return self._commit(repo, revision, body)
        return self._error(404, f"no route for POST {path}")

    def _commit(self, repo: Repo, revision: str, body: bytes) -> None:
        if revision not in repo.branches:
            return self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        message, files = "", {}
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item["key"] == "header":
                message = item["value"]["summary"]
            elif item["key"] == "file":
                value = item["value"]
                files[value["path"]] = base64.b64decode(value["content"])
            elif item["key"] == "deletedFile":
                files[item["value"]["path"]] = None
            else:
                return self._error(400, f"this stand-in does not take {item['key']!r} operations")
        commit = self.hub.commit(repo, revision, files, message)
        return self._json(200, {"commitUrl": f"{self.server.base_url}/{repo.repo_id}/commit/{commit.sha}", "commitOid": commit.sha})

    def do_HEAD(self) -> None:  # noqa: N802
        self._get(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._get(head=False)

    def _get(self, *, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.hub.requests.append(("HEAD" if head else "GET", path))
        parts = path.split("/")
        if len(parts) >= 5 and parts[1:3] == ["api", "models"]:
            repo = self._repo(f"{parts[3]}/{parts[4]}")
            if repo is None:
                return None
            rest = parts[5:]
            if not rest or rest[0] == "revision":
                revision = "/".join(rest[1:]) if rest else "main"
                commit = repo.resolve(revision or "main")
                if commit is None:
                    return self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
                return self._json(200, self._info(repo, commit))
            if rest[0] == "tree":
                commit = repo.resolve(rest[1] if len(rest) > 1 else "main")
                if commit is None:
                    return self._error(404, "Invalid rev id", "RevisionNotFound")
                return self._json(200, [
                    {"type": "file", "path": p, "size": len(c), "oid": hashlib.sha1(c).hexdigest()} for p, c in sorted(commit.files.items())
                ])
            return self._error(404, f"no route for GET {path}")
        # /<org>/<name>/resolve/<revision>/<file path>
        if len(parts) >= 6 and parts[3] == "resolve":
            repo = self._repo(f"{parts[1]}/{parts[2]}")
            if repo is None:
                return None
            commit = repo.resolve(parts[4])
            if commit is None:
                return self._error(404, "Invalid rev id", "RevisionNotFound")
            name = "/".join(parts[5:])
            if name not in commit.files:
                return self._error(404, "Entry not found", "EntryNotFound")
            content = commit.files[name]
            etag = hashlib.sha256(content).hexdigest()
            headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{etag}"', "Content-Type": "application/octet-stream"}
            return self._send(200, content, headers, head=head)
        return self._error(404, f"no route for GET {path}")

    def _info(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        return {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id, "modelId": repo.repo_id,
            "sha": commit.sha, "private": repo.private, "disabled": False, "gated": False, "tags": [],
            "siblings": [{"rfilename": p, "size": len(c)} for p, c in sorted(commit.files.items())],
        }


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    hub: FakeHub
    base_url: str


class HubServer:
    """``with HubServer() as hub:`` serves a :class:`FakeHub` on 127.0.0.1 at ``hub.url``."""

    def __init__(self, hub: FakeHub | None = None) -> None:
        self.hub = hub or FakeHub()
        self._server = _HubHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.hub = self.hub
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._server.base_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
