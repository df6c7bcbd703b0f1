"""zsar: CLIP video models for zero-shot action recognition, trained and evaluated on kgen banks.

The package beside :mod:`kgen`. Its pieces, one concept per module:

* :mod:`zsar.backbone`: an open_clip ViT applied frame by frame (frame embeddings, tokens,
  any layer's output, which blocks train, block replacement for models that change blocks);
* :mod:`zsar.similarity`: the frame/prompt late interaction shared by AP-CLIP and STDD;
* :mod:`zsar.textside`: a bank turned into the tensors a model scores against, checked against
  the label space of the videos;
* :mod:`zsar.data`: list files, PyAV decoding, frame sampling, transforms, multi-view, a
  dataset that skips unreadable videos, synthetic videos for tests;
* :mod:`zsar.models`: the model interface, the registry (``build_model``) and the models;
* :mod:`zsar.config`: pydantic run configs and the YAML recipes in ``zsar/recipes/``;
* :mod:`zsar.train`, :mod:`zsar.optim`, :mod:`zsar.checkpoint`, :mod:`zsar.distributed`;
* :mod:`zsar.evaluate`, :mod:`zsar.protocols`, :mod:`zsar.results`: the papers' protocols;
* :mod:`zsar.profile`: parameters and GFLOPs of the video side.

The CLI is ``kgen train``, ``kgen eval``, ``kgen profile`` and ``kgen recipes``
(:mod:`kgen.commands.video`).
"""
