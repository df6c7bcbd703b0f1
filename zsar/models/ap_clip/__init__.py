"""AP-CLIP (Jia et al., ACM MM 2024): action-conditioned prompts and late interaction.

* :mod:`~zsar.models.ap_clip.model`: ``APClipConfig`` and ``APClip`` (``ap-clip``), §3.1-3.3; its
  score, eq. (3)-(6), is the late interaction it shares with STDD
  (:func:`zsar.models.similarity.late_interaction`); its prompts are a bank (``kgen build-prompts``).

Nothing here is imported but by the registry (:mod:`zsar.models.registry`), on first use.
"""
