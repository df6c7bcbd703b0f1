"""open_clip models for kgen: loading by tag, hf-hub id, local checkpoint or random weights."""

from kgen.clip.loading import LoadedClip, load_clip, state_dict_sha256, text_tower_sha256

__all__ = ["LoadedClip", "load_clip", "state_dict_sha256", "text_tower_sha256"]
