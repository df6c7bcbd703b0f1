"""Video data: list files, decoding, frame sampling, transforms, datasets, loaders, synthetic videos."""

from zsar.data.dataset import ClipBatch, ClipDataset, collate_clips
from zsar.data.decode import VideoDecodeError, read_frames
from zsar.data.index import (
    VideoIndex,
    VideoRecord,
    check_videos_exist,
    read_video_list,
    resolve_list,
)
from zsar.data.loader import ShardBatchSampler, TrainBatchSampler, make_loader
from zsar.data.sampling import DenseSampler, FrameSampler, SegmentSampler, make_sampler
from zsar.data.transforms import EvalTransform, TrainTransform

__all__ = [
    "ClipBatch",
    "ClipDataset",
    "DenseSampler",
    "EvalTransform",
    "FrameSampler",
    "SegmentSampler",
    "ShardBatchSampler",
    "TrainBatchSampler",
    "TrainTransform",
    "VideoDecodeError",
    "VideoIndex",
    "VideoRecord",
    "check_videos_exist",
    "collate_clips",
    "make_loader",
    "make_sampler",
    "read_frames",
    "read_video_list",
    "resolve_list",
]
