"""STDD (Yu et al., AAAI 2025): Space-time Cross Attention and spatiotemporal prompt alignment.

* :mod:`~zsar.models.stdd.model`: ``StddConfig`` and ``Stdd`` (``stdd``), §3;
* :mod:`~zsar.models.stdd.spacetime_attention`: the Space-time Cross Attention block, eq. (1)-(7);
* :mod:`~zsar.models.stdd.window_shift_mask`: Window Shift Masking, eq. (3)-(4);
* :mod:`~zsar.models.stdd.channel_mixing`: Multi-scale Channel Mixing, eq. (5)-(6);
* :mod:`~zsar.models.stdd.feature_distillation`: FROSTER's feature distillation (Huang et al.,
  ICLR 2024), which STDD trains with (§3.2); only STDD uses it, so it lives here.

The frame/prompt alignment is the late interaction shared with AP-CLIP
(:func:`zsar.models.similarity.late_interaction`); the weight averaging STDD ends training with is
the engine's (:mod:`zsar.engine.weight_average`). Nothing here is imported but by the registry
(:mod:`zsar.models.registry`), on first use.
"""
