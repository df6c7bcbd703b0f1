"""zsar: CLIP video models for zero-shot action recognition, trained and evaluated on kgen banks.

The package beside :mod:`kgen`, in three layers, each importing only the layers above it (one
exception: the registry reads checkpoint files through :mod:`zsar.engine.checkpoint`, which
knows no model; ``tests/test_import_graph.py`` checks the layers and that there is no circle):

* :mod:`zsar.data`: list files, PyAV decoding, frame sampling, transforms, multi-view, a dataset
  that skips unreadable videos, synthetic videos for tests. It imports nothing else of zsar.
* :mod:`zsar.models`: what every model shares (the interface and registry, the per-frame
  backbone, the text side, the tuned text tower, the similarities and class blocks, the options
  every model has) and one folder per paper, holding that paper's model and every part only it
  uses (docs/video.md has the map of files and equations):

  - :mod:`zsar.models.vifi_clip`: ViFi-CLIP, the baseline;
  - :mod:`zsar.models.ap_clip`: AP-CLIP;
  - :mod:`zsar.models.stdd`: STDD;
  - :mod:`zsar.models.sc_clip`: SC-CLIP;
  - :mod:`zsar.models.da_sti`: DA-STI.

  Paper folders import the shared parts, never each other; only the registry knows them all.
* :mod:`zsar.engine`: training, evaluation, protocols, checkpoints, distributed runs,
  optimisation, results, weight averaging, profiling, loggers, the run config and the recipes.

``zsar/recipes/`` holds the YAML recipes (one folder per paper, shared pieces under ``_base_/``).
The CLI is ``kgen train``, ``kgen eval``, ``kgen profile``, ``kgen recipes`` and
``kgen average-weights`` (:mod:`kgen.commands.video`).
"""
