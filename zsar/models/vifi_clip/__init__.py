"""ViFi-CLIP (Rasheed et al., CVPR 2023): the baseline every other model is measured against.

* :mod:`~zsar.models.vifi_clip.model`: ``ViFiClipConfig`` and ``ViFiClip`` (``vifi-clip``): CLIP
  fine-tuned end to end, frame embeddings averaged, cosine with each class's mean text
  (:func:`zsar.models.similarity.mean_pooled_cosine`).

Nothing here is imported but by the registry (:mod:`zsar.models.registry`), on first use.
"""
