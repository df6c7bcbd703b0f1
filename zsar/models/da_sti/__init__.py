"""DA-STI (Kim et al.): description attributes and spatial-temporal interaction.

* :mod:`~zsar.models.da_sti.model`: ``DaStiConfig`` and ``DaSti`` (``da-sti``), §3.2-3.4;
* :mod:`~zsar.models.da_sti.attribute_interaction`: the spatial-temporal interaction, eq. (6)-(10);
* :mod:`~zsar.models.da_sti.symmetric_loss`: the symmetric video-class loss, eq. (11)-(13).

The loss is taken over the whole global batch by the engine (:mod:`zsar.engine.whole_batch`).
Nothing here is imported but by the registry (:mod:`zsar.models.registry`), on first use.
"""
