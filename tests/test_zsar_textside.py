"""A bank becomes a model's text side only when its classes fit the videos' label space."""

from __future__ import annotations

import pytest
import torch
from bank_helpers import bank_from_embeddings

from kgen.datasets import load_builtin, load_user_list
from kgen.errors import InputError
from zsar.models.textside import TextSide, synthetic_bank, text_side_for


def _dataset_bank(name: str, prompts: int = 2, drop: set[int] | None = None, rename: dict[int, str] | None = None):
    dataset = load_builtin(name)
    entries = [e for e in dataset.classes if e.id not in (drop or set())]
    generator = torch.Generator().manual_seed(0)
    names = [(rename or {}).get(e.id, e.name) for e in entries]
    return bank_from_embeddings(
        [torch.randn(prompts, 8, generator=generator) for _ in entries],
        class_names=names, class_ids=[e.id for e in entries], dataset=dataset.name,
    )


def test_a_split_gets_its_classes_in_its_own_label_order() -> None:
    hmdb = load_builtin("hmdb51")
    bank = _dataset_bank("hmdb51")
    text = text_side_for(bank, hmdb, "novel")
    novel = hmdb.class_split("novel").class_ids
    assert text.class_ids == novel and text.num_classes == 25
    assert text.class_names == [hmdb.classes[i].name for i in novel]
    k = 3
    assert torch.equal(text.bank.class_embeddings(k), bank.class_embeddings(novel[k]))
    # The whole dataset: the bank as it is.
    assert text_side_for(bank, hmdb, None).bank is bank


def test_a_bank_of_another_dataset_is_refused() -> None:
    with pytest.raises(InputError) as err:
        text_side_for(_dataset_bank("ucf101"), load_builtin("hmdb51"), None)
    assert "holds the 101 classes of 'ucf101'" in err.value.message and "hmdb51 (51 classes)" in err.value.message
    assert "kgen encode-bank --dataset hmdb51" in err.value.hint


def test_a_bank_missing_classes_of_the_split_is_refused() -> None:
    hmdb = load_builtin("hmdb51")
    novel = hmdb.class_split("novel").class_ids
    bank = _dataset_bank("hmdb51", drop={novel[0], novel[4]})
    text_side_for(bank, hmdb, "base")  # the base half is complete
    with pytest.raises(InputError, match=r"lacks 2 of the classes of hmdb51 \(class split 'novel', 25 classes\)"):
        text_side_for(bank, hmdb, "novel")


def test_a_bank_naming_classes_differently_is_refused() -> None:
    hmdb = load_builtin("hmdb51")
    bank = _dataset_bank("hmdb51", rename={0: "brushing teeth"})
    with pytest.raises(InputError, match="names 1 class"):
        text_side_for(bank, hmdb, None)


def test_a_users_class_list_under_another_name_fits_when_the_names_match(tmp_path) -> None:
    classes = tmp_path / "mine.txt"
    classes.write_text("jump\nrun\nswim\n")
    dataset = load_user_list(classes)
    same = bank_from_embeddings([torch.randn(1, 8) for _ in range(3)], class_names=["Jump", "run", "swim"], dataset="toy")
    assert text_side_for(same, dataset, None).num_classes == 3
    other = bank_from_embeddings([torch.randn(1, 8) for _ in range(3)], class_names=["jump", "swim", "run"], dataset="toy")
    with pytest.raises(InputError, match="holds the 3 classes of 'toy'"):
        text_side_for(other, dataset, None)


def test_views_of_the_bank() -> None:
    bank = bank_from_embeddings([torch.randn(k + 1, 8) for k in range(3)])
    text = TextSide(bank)
    assert text.prompts.shape == (3, 3, 8) and text.prompt_mask.sum(dim=1).tolist() == [1, 2, 3]
    assert torch.allclose(text.classifier, bank.classifier())
    assert text.max_texts_per_class == 3
    moved = text.to("cpu", torch.float64)
    assert moved.prompts.dtype == torch.float64


def test_a_bank_with_an_empty_class_is_refused() -> None:
    bank = bank_from_embeddings([torch.randn(2, 8), torch.randn(0, 8)])
    with pytest.raises(InputError, match="no texts for 1 class"):
        TextSide(bank)


def test_synthetic_bank_shape() -> None:
    bank = synthetic_bank(5, 3, 16)
    assert bank.num_classes == 5 and bank.texts_per_class == [3] * 5 and bank.dim == 16
    assert torch.allclose(bank.embeddings.norm(dim=-1), torch.ones(15))
