"""Listing banks (lineages, latest, unreadable ones) and the diff's text matching, without a model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from kgen.banks import load_bank
from kgen.banks.diff import _match_texts, diff_banks
from kgen.banks.store import find_banks, latest_per_lineage
from kgen.errors import InputError
from tests.bank_helpers import bank_from_embeddings, saved


def _bank(texts: list[list[str]], seed: int, names: list[str] | None = None):
    g = torch.Generator().manual_seed(seed)
    return bank_from_embeddings([torch.randn(len(t), 8, generator=g) for t in texts], texts=texts, class_names=names)


def test_latest_of_a_lineage_is_the_newest(isolated_workspace: Path) -> None:
    root = isolated_workspace / "banks"
    old, new = _bank([["a"], ["b"]], 0), _bank([["a"], ["b2"]], 1)
    assert old.manifest.lineage == new.manifest.lineage == "toy-names-kgen-tiny-vit"
    new_path = saved(new, root)
    old_path = saved(old, root)
    os.utime(old_path / "manifest.json", ns=(1, 1))  # same created_at second: file time breaks the tie
    assert latest_per_lineage(find_banks(root))["toy-names-kgen-tiny-vit"].path == new_path
    assert load_bank("toy-names-kgen-tiny-vit@latest").bank_id == new.bank_id
    with pytest.raises(InputError, match="matches 2 banks"):
        load_bank("toy-names")


def test_unreadable_banks_are_listed_not_hidden(isolated_workspace: Path, run_cli) -> None:
    root = isolated_workspace / "banks"
    good = saved(_bank([["a"]], 0), root)
    broken = root / "broken-bank"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    banks = find_banks(root)
    assert [b.path for b in banks] == [broken, good] and banks[0].summary is None and "not valid JSON" in (banks[0].problem or "")
    rows = json.loads(run_cli("bank", "list", "--json").stdout)
    assert rows[0]["path"] == str(broken) and "problem" in rows[0] and rows[1]["latest"] is True


def test_texts_are_matched_occurrence_by_occurrence() -> None:
    pairs, removed, added = _match_texts(["x", "y", "x", "z"], ["x", "w", "x", "x"])
    assert pairs == [(0, 0), (2, 2)] and removed == ["y", "z"] and added == ["w", "x"]


def test_diff_cosines_are_the_cosines_of_matched_vectors() -> None:
    a = _bank([["p", "q"], ["r"]], 0, names=["run", "jump"])
    b = _bank([["q", "s"], ["r"], ["t"]], 1, names=["run", "jump", "swim"])
    diff = diff_banks(a, b)
    assert diff.only_in_b == ["swim"] and diff.only_in_a == []
    run = diff.classes[0]
    assert run.removed == ["p"] and run.added == ["s"] and run.common == 1
    expected = torch.nn.functional.cosine_similarity(a.embeddings[1], b.embeddings[0], dim=0)
    assert run.mean_text_cosine == pytest.approx(float(expected), abs=1e-6)
    classifier = torch.nn.functional.cosine_similarity(a.classifier()[0], b.classifier()[0], dim=0)
    assert run.classifier_cosine == pytest.approx(float(classifier), abs=1e-6)
    assert diff.most_drifted(1)[0].classifier_cosine == min(c.classifier_cosine for c in diff.classes)
