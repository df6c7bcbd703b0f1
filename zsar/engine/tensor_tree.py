"""Nested Python data with tensors, stored as JSON plus a table of tensors: no pickle anywhere.

A checkpoint payload is a tree of dicts, lists and tuples whose leaves are tensors (weights,
optimizer moments, generator states), NumPy arrays (NumPy's generator state), numbers, strings,
booleans and None. :func:`split_tree` turns it into

* a JSON-safe skeleton in which every tensor is ``{"$tensor": NAME}``, and
* ``{NAME: tensor}``, the table that :mod:`safetensors` stores,

and :func:`join_tree` turns them back. Decoding builds only those types, from JSON and raw tensor
bytes, so reading a tampered file can fail but cannot run code (unlike ``pickle``).

Tags (a JSON object whose only key starts with ``$``): ``$tensor`` (a table name), ``$tuple``,
``$dict`` (``[[key, value], ...]``, for dicts whose keys are not all plain strings, such as an
optimizer's ``{0: {...}}``), ``$ndarray`` (dtype, shape, base64 bytes: small arrays only),
``$float`` (``"nan"``, ``"inf"``, ``"-inf"``: JSON has no such numbers). A plain JSON object is a
dict with string keys.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import torch

# The NumPy dtype kinds an ndarray leaf may have: booleans and numbers (no objects, no strings).
_ARRAY_KINDS = set("biufc")


class TreeError(ValueError):
    """The skeleton or table does not describe a valid tree."""


def split_tree(tree: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """The JSON-safe skeleton of ``tree`` and its tensors by name (CPU, contiguous, unshared)."""
    tensors: dict[str, torch.Tensor] = {}
    same: dict[tuple[Any, ...], str] = {}
    storages: set[int] = set()

    def tensor_name(value: torch.Tensor, where: str) -> str:
        value = value.detach()
        identity = (value.untyped_storage().data_ptr(), value.storage_offset(), tuple(value.shape),
                    tuple(value.stride()), value.dtype, value.device)
        if value.numel() and identity in same:
            return same[identity]  # the same tensor twice (tied weights): stored once, restored shared
        stored = value.to("cpu")
        whole = stored.storage_offset() == 0 and stored.untyped_storage().nbytes() == stored.numel() * stored.element_size()
        pointer = stored.untyped_storage().data_ptr()
        if not stored.is_contiguous() or not whole or (stored.numel() and pointer in storages):
            stored = stored.contiguous().clone()  # a view, or a part of a storage already stored: own copy
        storages.add(stored.untyped_storage().data_ptr())
        name = where or "tensor"
        suffix = 2
        while name in tensors or name == "__metadata__":
            name, suffix = f"{where}#{suffix}", suffix + 1
        tensors[name] = stored
        if value.numel():
            same[identity] = name
        return name

    def encode(value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, torch.Tensor):
            return {"$tensor": tensor_name(value, where)}
        if isinstance(value, np.ndarray):
            return {"$ndarray": _encode_array(value, where)}
        if isinstance(value, np.generic):
            return encode(value.item(), where)
        if isinstance(value, tuple):
            return {"$tuple": [encode(item, f"{where}/{index}") for index, item in enumerate(value)]}
        if isinstance(value, list):
            return [encode(item, f"{where}/{index}") for index, item in enumerate(value)]
        if isinstance(value, dict):
            if all(isinstance(key, str) and not key.startswith("$") for key in value):
                return {key: encode(item, f"{where}/{key}" if where else key) for key, item in value.items()}
            pairs = []
            for key, item in value.items():
                if not (key is None or isinstance(key, (bool, int, float, str))):
                    raise TypeError(f"{where or 'the payload'}: a dict key of type {type(key).__name__} cannot be stored")
                pairs.append([encode(key, where), encode(item, f"{where}/{key}" if where else str(key))])
            return {"$dict": pairs}
        raise TypeError(
            f"{where or 'the payload'}: a {type(value).__name__} cannot be stored in a checkpoint "
            "(tensors, NumPy number arrays, numbers, strings, booleans, None, lists, tuples and dicts only)"
        )

    return encode(tree, ""), tensors


def join_tree(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The tree that :func:`split_tree` split (a tensor named twice comes back as one object)."""

    def decode(value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, list):
            return [decode(item) for item in value]
        if not isinstance(value, dict):
            raise TreeError(f"unexpected {type(value).__name__} in the payload")
        if len(value) == 1:
            (tag, body), = value.items()
            if tag.startswith("$"):
                return decode_tag(tag, body)
        if any(key.startswith("$") for key in value):
            raise TreeError(f"unknown tags in the payload: {sorted(k for k in value if k.startswith('$'))}")
        return {key: decode(item) for key, item in value.items()}

    def decode_tag(tag: str, body: Any) -> Any:
        if tag == "$tensor":
            if not isinstance(body, str) or body not in tensors:
                raise TreeError(f"the payload names a tensor {body!r} the file does not hold")
            return tensors[body]
        if tag == "$tuple":
            if not isinstance(body, list):
                raise TreeError("a $tuple that is not a list")
            return tuple(decode(item) for item in body)
        if tag == "$dict":
            if not isinstance(body, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in body):
                raise TreeError("a $dict that is not a list of pairs")
            result = {}
            for raw_key, item in body:
                key = decode(raw_key)
                if not (key is None or isinstance(key, (bool, int, float, str))):
                    raise TreeError(f"a dict key of type {type(key).__name__}")
                result[key] = decode(item)
            return result
        if tag == "$float":
            if body not in ("nan", "inf", "-inf"):
                raise TreeError(f"a $float of {body!r}")
            return float(body)
        if tag == "$ndarray":
            return _decode_array(body)
        raise TreeError(f"unknown tag {tag!r} in the payload")

    return decode(skeleton)


def _encode_array(array: np.ndarray, where: str) -> dict[str, Any]:
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"{where}: a NumPy array of dtype {array.dtype} cannot be stored (numbers only)")
    if array.nbytes > 1 << 20:
        raise TypeError(f"{where}: a NumPy array of {array.nbytes} bytes; store large arrays as tensors")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"dtype": little.dtype.str, "shape": list(array.shape), "data": base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii")}


def _decode_array(body: Any) -> np.ndarray:
    if not isinstance(body, dict) or set(body) != {"dtype", "shape", "data"}:
        raise TreeError("an $ndarray without exactly dtype, shape and data")
    try:
        dtype = np.dtype(str(body["dtype"]))
        shape = tuple(int(n) for n in body["shape"])
        data = base64.b64decode(str(body["data"]), validate=True)
    except (TypeError, ValueError) as exc:
        raise TreeError(f"an unreadable $ndarray: {exc}") from exc
    if dtype.kind not in _ARRAY_KINDS or any(n < 0 for n in shape):
        raise TreeError(f"an $ndarray of dtype {dtype} and shape {shape}")
    if len(data) != dtype.itemsize * math.prod(shape):
        raise TreeError(f"an $ndarray of shape {shape} with {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
