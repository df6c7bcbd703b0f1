"""Banks on the Hugging Face Hub: ``kgen bank push/pull`` and ``load_bank("hf-hub:org/repo@rev")``.

A Hub repository (a *model* repository) holds one bank: its files at the root, as in ``banks/<id>/``
(``manifest.json``, ``summary.json``, ``texts.jsonl``, ``bank.safetensors``), plus a ``README.md``
model card written from the manifest (what the bank holds, the CLIP model, whether its weights
are random, how to load it, the files' hashes). Pushing another bank to the same repository makes
a new commit that replaces it; earlier commits stay reachable by revision.

* :func:`push_bank` verifies the bank first (a damaged bank is never shared), creates the
  repository if needed and commits the files and the card in one commit.
* :func:`fetch_bank` downloads a repository's bank at a revision into kgen's cache
  (``<cache>/hub``, the Hugging Face cache layout, so a revision already fetched is not downloaded
  again) and returns that folder; :func:`~kgen.banks.store.resolve_bank_path` calls it for an
  ``hf-hub:`` reference, so ``load_bank``, ``kgen bank info`` and ``--bank`` take one.
* :func:`pull_bank` fetches, verifies and copies the bank into ``banks/<bank id>/`` (atomically,
  through a staging folder), where it is a bank like any other.

The Hub's address is ``$HF_ENDPOINT`` (read at each call; default https://huggingface.co) and the
token the usual ``$HF_TOKEN`` or ``hf auth login``. Large files go through LFS/Xet as
huggingface_hub decides.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgen import __version__, paths
from kgen.banks.layout import BANK_FILES, MANIFEST_FILE
from kgen.banks.manifest import BankManifest
from kgen.errors import FormatError, InputError, KgenError, SourceUnavailable

HUB_PREFIX = "hf-hub:"
DEFAULT_ENDPOINT = "https://huggingface.co"
CARD_FILE = "README.md"
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


@dataclass(frozen=True)
class HubReference:
    repo_id: str
    revision: str | None = None  # None: the default branch

    def __str__(self) -> str:
        return f"{HUB_PREFIX}{self.repo_id}" + (f"@{self.revision}" if self.revision else "")


def is_hub_reference(reference: str | Path) -> bool:
    return isinstance(reference, str) and reference.startswith(HUB_PREFIX)


def parse_hub_reference(reference: str) -> HubReference:
    """``[hf-hub:]org/repo[@revision]`` (a branch, a tag or a commit id)."""
    text = reference.strip().removeprefix(HUB_PREFIX)
    repo_id, _, revision = text.partition("@")
    if not REPO_ID.match(repo_id) or ".." in repo_id or (_ and not revision):
        raise InputError(
            f"{reference!r} is not a Hub repository reference",
            hint="write ORG/REPO or ORG/REPO@REVISION (a branch, tag or commit), e.g. hf-hub:my-lab/hmdb51-prompts@main",
        )
    return HubReference(repo_id, revision or None)


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def hub_cache_dir() -> Path:
    return paths.cache_dir() / "hub"


# ---------------------------------------------------------------------- the model card
def model_card(manifest: BankManifest, repo_id: str, revision: str | None = None) -> str:
    """The ``README.md`` of a bank's repository: Hub metadata, then what the bank is and how to use it."""
    clip, enc = manifest.clip, manifest.encoding
    counts = [b - a for a, b in zip(manifest.class_offsets, manifest.class_offsets[1:], strict=False)]
    at = f"@{revision}" if revision else ""
    tags = ["kgen", "clip", "text-embeddings", "zero-shot-action-recognition", f"kind-{manifest.kind}", f"dataset-{manifest.dataset}"]
    lines = [
        "---",
        "library_name: kgen",
        "tags:",
        *[f"- {_yaml_safe(tag)}" for tag in tags],
        "---",
        "",
        f"# {manifest.bank_id}",
        "",
        f"A [kgen](https://github.com/) embedding bank: the `{manifest.kind}` texts of `{manifest.dataset}`"
        + (f" (split `{manifest.split}`)" if manifest.split else "")
        + f" encoded by the frozen text tower of CLIP `{clip.model_name}` (`{clip.pretrained}`).",
        "",
    ]
    if clip.is_random:
        lines += [
            "> **Random weights.** This bank was encoded with randomly initialised CLIP weights: it proves a",
            "> pipeline and is not for research.",
            "",
        ]
    lines += [
        "## Use",
        "",
        "```bash",
        f"kgen bank pull {repo_id}{at}          # into banks/{manifest.bank_id}/",
        "```",
        "",
        "```python",
        "from kgen.banks import load_bank",
        "",
        f'bank = load_bank("hf-hub:{repo_id}{at}")   # fetched once into kgen\'s cache, verified',
        "classifier = bank.classifier()   # one row per class",
        "```",
        "",
        "## What it holds",
        "",
        "| | |",
        "|---|---|",
        f"| dataset | {manifest.dataset}" + (f", split {manifest.split}" if manifest.split else "") + " |",
        f"| kind | {manifest.kind}" + (f" (template: `{manifest.knowledge.template}`)" if manifest.knowledge.template else "") + " |",
        f"| classes | {len(manifest.class_names)} |",
        f"| texts | {manifest.num_texts} ({min(counts, default=0)}-{max(counts, default=0)} per class) |",
        f"| CLIP | `{clip.model_name}` / `{clip.pretrained}`" + (" (random weights)" if clip.is_random else "") + " |",
        f"| text tower sha256 | `{clip.text_tower_sha256}` |",
        f"| embedding | {clip.embed_dim}-d, {enc.normalization}-normalised, stored {enc.dtype} |",
        f"| token features | {f'yes, length {manifest.token_features.length}' if manifest.token_features else 'no'} |",
        f"| truncated texts | {enc.truncated_texts} |",
        f"| knowledge | {manifest.knowledge.source or '-'}" + (f", variant {manifest.knowledge.variant}" if manifest.knowledge.variant else "") + " |",
        f"| content hash | `{manifest.content_hash}` |",
        f"| kgen | {manifest.kgen_version} (bank format {manifest.format} v{manifest.stored_format_version}), created {manifest.created_at} |",
        "",
        "## Files",
        "",
        f"`{MANIFEST_FILE}` (how the bank was made, every input hashed), `summary.json`, `texts.jsonl` (the texts,",
        f"class by class) and `bank.safetensors` (sha256 `{manifest.tensors_sha256}`); `kgen bank verify` checks",
        "them all against the manifest. First classes: "
        + ", ".join(manifest.class_names[:8]) + (" ..." if len(manifest.class_names) > 8 else "") + ".",
        "",
        f"Card written by kgen {__version__}.",
        "",
    ]
    return "\n".join(lines)


def _yaml_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "x"


# ---------------------------------------------------------------------- push
@dataclass(frozen=True)
class PushResult:
    repo_id: str
    bank_id: str
    commit: str
    commit_url: str
    files: list[str]
    endpoint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id, "bank_id": self.bank_id, "commit": self.commit, "commit_url": self.commit_url,
            "files": self.files, "endpoint": self.endpoint, "reference": f"{HUB_PREFIX}{self.repo_id}@{self.commit}",
        }


def push_bank(
    path: Path, repo_id: str, *, revision: str | None = None, private: bool = False, message: str | None = None,
    token: str | None = None,
) -> PushResult:
    """Verify the bank folder ``path`` and commit it, with a model card, to the Hub repository ``repo_id``
    (``kgen.banks.store.resolve_bank_path`` turns an id or ``LINEAGE@latest`` into the folder)."""
    from huggingface_hub import CommitOperationAdd, HfApi

    from kgen.banks.verify import verify_bank

    if is_hub_reference(path):
        raise InputError(f"{path} is already on the Hub", hint="push a bank of this machine (a path, a bank id or LINEAGE@latest)")
    path = Path(path)
    target = parse_hub_reference(repo_id)
    if target.revision is not None and revision is not None and target.revision != revision:
        raise InputError(f"two revisions given: {target.revision!r} and --revision {revision!r}", hint="give one")
    revision = revision or target.revision
    report = verify_bank(path, use_memory=True)
    if not report.ok:
        raise FormatError(
            f"bank {report.bank_id or path.name} fails verification, so it is not pushed: {'; '.join(report.problems)}",
            hint="encode it again (kgen encode-bank), then push",
        )
    manifest = BankManifest.load(path / MANIFEST_FILE)
    files = [name for name in BANK_FILES if (path / name).is_file()]
    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint, token=token)
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path / name)) for name in files]
    operations.append(CommitOperationAdd(path_in_repo=CARD_FILE, path_or_fileobj=model_card(manifest, target.repo_id, revision).encode("utf-8")))
    with _hub_errors(target.repo_id, endpoint, writing=True):
        api.create_repo(target.repo_id, private=private, exist_ok=True, repo_type="model")
        if revision is not None:
            api.create_branch(target.repo_id, branch=revision, exist_ok=True, repo_type="model")
        info = api.create_commit(
            target.repo_id, operations=operations, revision=revision, repo_type="model",
            commit_message=message or f"kgen bank {manifest.bank_id}",
            commit_description=f"{manifest.num_texts} texts of {len(manifest.class_names)} classes; content hash {manifest.content_hash}",
        )
    return PushResult(target.repo_id, manifest.bank_id, info.oid, str(info.commit_url), [*files, CARD_FILE], endpoint)


# ---------------------------------------------------------------------- fetch and pull
def fetch_bank(reference: str, *, token: str | None = None) -> Path:
    """Download (once) the bank of an ``hf-hub:org/repo[@rev]`` reference into kgen's cache; its folder."""
    from huggingface_hub import snapshot_download

    ref = parse_hub_reference(reference)
    endpoint = hub_endpoint()
    with _hub_errors(ref.repo_id, endpoint, writing=False, revision=ref.revision):
        folder = Path(snapshot_download(
            ref.repo_id, revision=ref.revision, repo_type="model", cache_dir=hub_cache_dir(), endpoint=endpoint,
            token=token, allow_patterns=[*BANK_FILES, CARD_FILE],
        ))
    if not (folder / MANIFEST_FILE).is_file():
        raise FormatError(
            f"{ref} holds no kgen bank (no {MANIFEST_FILE} at its root)",
            hint="check the repository and revision; a bank is shared with `kgen bank push BANK ORG/REPO`",
        )
    return folder


@dataclass(frozen=True)
class PullResult:
    path: Path
    manifest: BankManifest
    created: bool  # False: the same bank was already in banks/


def pull_bank(reference: str, *, out_dir: Path | None = None, token: str | None = None) -> PullResult:
    """Fetch a Hub bank, verify it, and copy it into ``banks/<bank id>/`` (or ``out_dir``)."""
    from kgen.banks.staging import staging_folder
    from kgen.banks.verify import verify_bank
    from kgen.banks.writer import identical_bank
    from kgen.filemode import make_shareable

    snapshot = fetch_bank(reference if is_hub_reference(reference) else HUB_PREFIX + reference, token=token)
    report = verify_bank(snapshot)
    if not report.ok:
        raise FormatError(
            f"the bank of {reference} fails verification: {'; '.join(report.problems)}",
            hint="ask its owner to push it again; nothing was copied into banks/",
        )
    manifest = BankManifest.load(snapshot / MANIFEST_FILE)
    target = (out_dir if out_dir is not None else paths.banks_dir()) / manifest.bank_id
    existing = identical_bank(target, manifest.content_hash)
    if existing is not None:
        return PullResult(target, existing, created=False)
    with staging_folder(target) as folder:
        for name in BANK_FILES:
            source = snapshot / name
            if source.is_file():
                shutil.copyfile(source, folder / name)  # follows the cache's links to the file itself
                make_shareable(folder / name)
        try:
            os.rename(folder, target)
        except OSError:
            if identical_bank(target, manifest.content_hash) is None:
                raise
            shutil.rmtree(folder, ignore_errors=True)
            return PullResult(target, manifest, created=False)
    return PullResult(target, manifest, created=True)


# ---------------------------------------------------------------------- errors
class _hub_errors:  # noqa: N801 - used as a context manager
    """Turn huggingface_hub's and the network's errors into one-line kgen errors with a hint."""

    def __init__(self, repo_id: str, endpoint: str, *, writing: bool, revision: str | None = None) -> None:
        self.repo_id, self.endpoint, self.writing, self.revision = repo_id, endpoint, writing, revision

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> bool:
        if exc is None or isinstance(exc, KgenError):
            return False
        from huggingface_hub.errors import (
            HfHubHTTPError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        where = f"{self.repo_id} on {self.endpoint}"
        login = "set HF_TOKEN (or run `hf auth login`) with a token that may " + ("write to it" if self.writing else "read it")
        if isinstance(exc, RevisionNotFoundError):
            raise InputError(f"{where} has no revision {self.revision!r}", hint="give a branch, tag or commit id of the repository") from exc
        if isinstance(exc, RepositoryNotFoundError):
            raise InputError(f"no repository {where} (or it is private)", hint=f"check the name; if it is private, {login}") from exc
        if isinstance(exc, LocalEntryNotFoundError):
            raise SourceUnavailable(
                f"cannot fetch {where}: the Hub cannot be reached and the bank is not in kgen's cache ({hub_cache_dir()})",
                hint="fetch it once on a machine with internet (kgen bank pull), or copy its folder into banks/",
            ) from exc
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise InputError(f"the Hub refused {'writing to' if self.writing else 'reading'} {where} (HTTP {status})", hint=login) from exc
            raise SourceUnavailable(f"the Hub answered an error for {where}: {str(exc).splitlines()[0]}", hint="retry later") from exc
        if isinstance(exc, ConnectionError) or type(exc).__module__.startswith(("httpx", "httpcore", "requests", "urllib3")):
            raise SourceUnavailable(
                f"cannot reach the Hub at {self.endpoint}: {exc}",
                hint="check the network (or HF_ENDPOINT); a pulled bank is then read from banks/ or kgen's cache",
            ) from exc
        return False
