"""Video data: list files, decoding, frame sampling, transforms, the robust dataset, batch order, mixing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from zsar_helpers import synthetic  # noqa: F401  (session fixture)

from kgen.datasets import load_builtin, load_user_list
from kgen.errors import InputError
from zsar.data import (
    ClipDataset,
    DenseSampler,
    EvalTransform,
    SegmentSampler,
    TrainBatchSampler,
    TrainTransform,
    VideoDecodeError,
    check_videos_exist,
    collate_clips,
    read_frames,
    read_video_list,
    resolve_list,
)
from zsar.data.loader import ShardBatchSampler
from zsar.data.mixing import ClipMixer, smooth_one_hot
from zsar.data.synthetic import write_unreadable_video, write_video
from zsar.data.transforms import CLIP_MEAN, CLIP_STD


def _ramp_video(path: Path, frames: int = 12) -> Path:
    """Frame t is uniformly grey at level 20 * t: decoding can be checked frame by frame."""
    video = np.stack([np.full((48, 64, 3), 20 * t, dtype=np.uint8) for t in range(frames)])
    return write_video(path, video)


# ---------------------------------------------------------------------------- sampling
def test_segment_sampler_takes_one_frame_per_segment() -> None:
    sampler = SegmentSampler(4)
    rng = np.random.default_rng(0)
    for _ in range(20):
        positions = sampler.train(40, rng)
        assert [p // 10 for p in positions] == [0, 1, 2, 3]
    assert sampler.test(40).tolist() == [5, 15, 25, 35]  # the middle of each segment
    assert sampler.test_views(40, 2).tolist() == [[2, 12, 22, 32], [7, 17, 27, 37]]
    assert sampler.test(3).tolist() == [0, 1, 1, 2]  # a short video repeats frames
    a, b = sampler.train(100, np.random.default_rng(7)), sampler.train(100, np.random.default_rng(7))
    assert a.tolist() == b.tolist()


def test_dense_sampler_windows() -> None:
    sampler = DenseSampler(4, stride=3)  # a window of 10 frames
    assert sampler.test(30).tolist() == [10, 13, 16, 19]  # one view: centred
    assert sampler.test_views(30, 3).tolist() == [[0, 3, 6, 9], [10, 13, 16, 19], [20, 23, 26, 29]]
    assert sampler.test(5).tolist() == [0, 3, 4, 4]  # clamped to the last frame
    start = sampler.train(30, np.random.default_rng(1))[0]
    assert 0 <= start <= 20


# ---------------------------------------------------------------------------- list files
def test_list_files_in_both_formats(tmp_path: Path) -> None:
    hmdb = load_builtin("hmdb51")
    lines = "# comment\nclips/a b.avi 3\n\nclips/c.avi,50\n"
    (tmp_path / "list.txt").write_text(lines)
    index = read_video_list(tmp_path / "list.txt", dataset=hmdb, video_root=tmp_path / "root")
    assert [(r.path, r.label, r.line) for r in index.records] == [
        (tmp_path / "root" / "clips/a b.avi", 3, 2), (tmp_path / "root" / "clips/c.avi", 50, 4)]
    assert index.num_classes == 51 and index.label_space is None


def test_hmdb51_file_names_that_start_with_a_hash_are_videos(tmp_path: Path) -> None:
    hmdb = load_builtin("hmdb51")
    (tmp_path / "list.txt").write_text("#2_Gum_chew_h_nm_np1_fr_med_0.avi 5\n# a comment\n#note\nb.avi 1\n")
    index = read_video_list(tmp_path / "list.txt", dataset=hmdb)
    assert [(r.path.name, r.label) for r in index.records] == [("#2_Gum_chew_h_nm_np1_fr_med_0.avi", 5), ("b.avi", 1)]
    # HMDB51's official test split 2 holds 10 such videos: all 1,530 rows are read
    for name in ("test1", "test2", "test3"):
        assert len(read_video_list(hmdb.video_list_path(name), dataset=hmdb)) == 1530


@pytest.mark.parametrize(
    ("content", "message"),
    [("a.avi x\n", "label 'x' is not an integer"), ("a.avi 51\n", "label 51 is outside 0..50"),
     ("justonefield\n", "expected 'path label'"), ("\n# nothing\n", "holds no videos")],
)
def test_bad_list_files_say_where(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.txt").write_text(content)
    with pytest.raises(InputError, match=message):
        read_video_list(tmp_path / "bad.txt", dataset=load_builtin("hmdb51"))


def test_builtin_lists_carry_their_label_space() -> None:
    hmdb = load_builtin("hmdb51")
    path, space = resolve_list(hmdb, "b2n_novel_val")
    assert space == "novel" and path.is_file()
    index = read_video_list(path, dataset=hmdb, label_space=space)
    assert index.num_classes == 25 and len(index) == 750
    with pytest.raises(InputError, match="neither a video list of hmdb51 nor an existing file"):
        resolve_list(hmdb, "test9")


def test_a_wrong_video_root_is_caught_before_training(tmp_path: Path, synthetic) -> None:  # noqa: F811
    dataset = load_user_list(synthetic.classes_file)
    wrong = read_video_list(synthetic.list_file, dataset=dataset, video_root=tmp_path)
    with pytest.raises(InputError, match="none of 8 videos checked"):
        check_videos_exist(wrong)
    check_videos_exist(read_video_list(synthetic.list_file, dataset=dataset, video_root=synthetic.root))


# ---------------------------------------------------------------------------- decoding
def test_read_frames_returns_the_chosen_frames_in_order(tmp_path: Path) -> None:
    path = _ramp_video(tmp_path / "ramp.mp4")
    frames = read_frames(path, lambda total: [total - 1, 0, 5, 5])
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.uint8
    assert np.allclose(frames.reshape(4, -1).mean(axis=1), [220, 0, 100, 100], atol=4)


def test_read_frames_counts_frames_when_the_container_does_not(tmp_path: Path) -> None:
    path = _ramp_video(tmp_path / "ramp.mkv", frames=10)  # Matroska stores no frame count
    totals = []
    frames = read_frames(path, lambda total: totals.append(total) or [total - 1])
    assert totals == [10] and abs(float(frames.mean()) - 180) < 4


def test_read_frames_downscales_large_frames(tmp_path: Path) -> None:
    path = _ramp_video(tmp_path / "ramp.mp4")
    assert read_frames(path, lambda total: [0], max_short_side=24).shape == (1, 24, 32, 3)


def test_unreadable_videos_raise_a_decode_error(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match="no such file"):
        read_frames(tmp_path / "missing.mp4", lambda total: [0])
    with pytest.raises(VideoDecodeError):
        read_frames(write_unreadable_video(tmp_path / "noise.mp4"), lambda total: [0])


# ---------------------------------------------------------------------------- transforms
def test_train_transform_shape_normalisation_and_determinism() -> None:
    frames = np.full((4, 72, 96, 3), 200, dtype=np.uint8)
    transform = TrainTransform(64, scale_mode="short-side-jitter", jitter_scales=(64, 80))
    clip = transform(frames, np.random.default_rng(0))
    assert clip.shape == (4, 3, 64, 64) and clip.dtype == torch.float32
    expected = (200 / 255 - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
    assert torch.allclose(clip[0, :, 10, 10], expected, atol=1e-5)
    random_frames = np.random.default_rng(1).integers(0, 255, (4, 72, 96, 3), dtype=np.uint8)
    for mode in ("short-side-jitter", "multi-scale-crop"):
        t = TrainTransform(64, scale_mode=mode, color_jitter_prob=0.8, grayscale_prob=0.2)
        assert torch.equal(t(random_frames, np.random.default_rng(5)), t(random_frames, np.random.default_rng(5)))


def test_train_transform_applies_the_same_geometry_to_every_frame() -> None:
    frame = np.random.default_rng(2).integers(0, 255, (72, 96, 3), dtype=np.uint8)
    clip = TrainTransform(64, scale_mode="multi-scale-crop", color_jitter_prob=1.0)(np.stack([frame] * 3), np.random.default_rng(3))
    assert torch.equal(clip[0], clip[1]) and torch.equal(clip[1], clip[2])


def test_eval_transform_crops_along_the_long_side() -> None:
    frame = np.zeros((64, 128, 3), dtype=np.uint8)
    frame[:, :64] = 255  # left half white, right half black
    crops = EvalTransform(64, spatial_crops=2)(frame[None])
    assert crops.shape == (2, 1, 3, 64, 64)
    white = (1 - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
    assert torch.allclose(crops[0, 0, :, 32, 32], white, atol=1e-5)  # the left end
    assert crops[1, 0, :, 32, 32].max() < 0  # the right end is black
    centre = EvalTransform(64)(frame[None])  # one crop: short side 73, centre
    assert centre.shape == (1, 1, 3, 64, 64)


# ---------------------------------------------------------------------------- the dataset
def test_clip_dataset_views_and_unreadable_videos(tmp_path: Path, synthetic) -> None:  # noqa: F811
    dataset = load_user_list(synthetic.classes_file)
    bad = write_unreadable_video(tmp_path / "bad.mp4")
    (tmp_path / "list.txt").write_text(f"{synthetic.videos[0]} 0\n{bad} 1\n{tmp_path / 'gone.mp4'} 2\n")
    index = read_video_list(tmp_path / "list.txt", dataset=dataset)
    train = ClipDataset(index, SegmentSampler(4), train_transform=TrainTransform(64), seed=3)
    item = train[(0, 0)]
    assert item["valid"] and item["video"].shape == (4, 3, 64, 64)
    assert torch.equal(item["video"], train[(0, 0)]["video"])  # the same (video, epoch): the same clip
    assert not torch.equal(item["video"], train[(0, 1)]["video"])  # another epoch: another clip
    for position in (1, 2):
        failed = train[(position, 0)]
        assert not failed["valid"] and failed["error"] and float(failed["video"].abs().sum()) == 0
    batch = collate_clips([train[(p, 0)] for p in range(3)])
    assert batch.valid.tolist() == [True, False, False] and [p for p, _ in batch.errors] == [1, 2]
    evaluation = ClipDataset(index, SegmentSampler(4), eval_transform=EvalTransform(64, spatial_crops=2), temporal_views=3)
    assert evaluation[0]["video"].shape == (6, 4, 3, 64, 64)
    assert torch.equal(evaluation[0]["video"], evaluation[0]["video"])


# ---------------------------------------------------------------------------- batch order
def _all_batches(world: int, accumulation: int, start: int = 0) -> list[list[list[int]]]:
    """Per optimizer step: the concatenation over processes of their micro-batches."""
    per_rank = [
        list(TrainBatchSampler(20, global_batch=8, accumulation=accumulation, rank=r, world_size=world, seed=1, epoch=2,
                               start_step=start))
        for r in range(world)
    ]
    steps = []
    for s in range(len(per_rank[0]) // accumulation):
        steps.append([[p for p, _ in mb] for r in range(world) for mb in per_rank[r][s * accumulation:(s + 1) * accumulation]])
    return steps


def test_global_batches_do_not_depend_on_processes_or_accumulation() -> None:
    single = _all_batches(world=1, accumulation=1)
    assert len(single) == 2  # 20 videos, global batch 8: the last 4 are dropped
    flat = [sorted(sum(step, [])) for step in single]
    for world, accumulation in ((2, 1), (1, 2), (2, 2), (4, 2)):
        assert [sorted(sum(step, [])) for step in _all_batches(world, accumulation)] == flat
    # Process-major order: one process with 2 micro-batches sees exactly what 2 processes see.
    assert [sum(step, []) for step in _all_batches(1, 2)] == [sum(step, []) for step in _all_batches(2, 1)]
    assert _all_batches(1, 1, start=1) == single[1:]
    sampler = TrainBatchSampler(20, global_batch=8, accumulation=1, rank=0, world_size=1, seed=1, epoch=2)
    assert all(epoch == 2 for batch in sampler for _, epoch in batch)
    with pytest.raises(ValueError, match="not a multiple"):
        TrainBatchSampler(20, global_batch=6, accumulation=4, rank=0, world_size=1, seed=1, epoch=0)


def test_evaluation_shards_cover_every_video_once() -> None:
    shards = [sum(list(ShardBatchSampler(11, batch_size=2, rank=r, world_size=3)), []) for r in range(3)]
    assert sorted(sum(shards, [])) == list(range(11)) and shards[1] == [1, 4, 7, 10]


# ---------------------------------------------------------------------------- soft targets
def test_label_smoothing_and_mixing() -> None:
    targets = smooth_one_hot(torch.tensor([0, 2]), 4, 0.1)
    assert torch.allclose(targets.sum(dim=1), torch.ones(2)) and torch.isclose(targets[0, 0], torch.tensor(0.925))
    video = torch.stack([torch.zeros(2, 3, 8, 8), torch.ones(2, 3, 8, 8)])
    valid = torch.tensor([True, False])
    for mixup, cutmix in ((1.0, 0.0), (0.0, 1.0)):
        mixer = ClipMixer(mixup_alpha=mixup, cutmix_alpha=cutmix)
        mixed, soft, mixed_valid = mixer(video, smooth_one_hot(torch.tensor([0, 1]), 2), valid, np.random.default_rng(4))
        lam = float(soft[0, 0])
        # The first clip keeps lam of itself (zeros) and 1 - lam of the second (ones), in content and target.
        assert abs(float(mixed[0].mean()) - (1 - lam)) < 1e-5
        assert mixed_valid.tolist() == [False, False]
        assert torch.allclose(soft.sum(dim=1), torch.ones(2))
    inactive = ClipMixer(mixup_alpha=0.0, cutmix_alpha=0.0)
    assert inactive(video, targets, valid, np.random.default_rng(0))[0] is video
