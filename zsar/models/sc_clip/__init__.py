"""SC-CLIP (Quan et al., Pattern Recognition 2025): semantic constrained CLIP.

* :mod:`~zsar.models.sc_clip.model`: ``SCClipConfig`` and ``SCClip`` (``sc-clip``), §3;
* :mod:`~zsar.models.sc_clip.semantic_masks`: window seeds, K-means and mask fusion, §3.2 eq. (2);
* :mod:`~zsar.models.sc_clip.temporal_adapter`: the adapter over frames t-2..t+2, §3.2;
* :mod:`~zsar.models.sc_clip.semantic_attention`: semantic constrained cross attention, §3.3 eq. (5).

Nothing here is imported but by the registry (:mod:`zsar.models.registry`), on first use.
"""
