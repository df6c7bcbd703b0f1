"""The engine: training, evaluation and everything around them, the same for every model.

* :mod:`~zsar.engine.config`: the run config (``RunConfig``: data, optim, train, eval; the model
  section validated through the registry) and ``--set`` overrides;
* :mod:`~zsar.engine.recipes`: the YAML recipes of ``zsar/recipes/``, ``_base_`` composition;
* :mod:`~zsar.engine.train`: the ``Trainer`` (setup, loop, resume, logging);
* :mod:`~zsar.engine.whole_batch`: batch-level losses over the whole global batch;
* :mod:`~zsar.engine.optim`: AdamW parameter groups, warm-up and cosine schedule;
* :mod:`~zsar.engine.checkpoint`: the checkpoint file format (save, load, generators), which
  knows no model; :mod:`~zsar.engine.tensor_tree` its tensor/JSON split;
* :mod:`~zsar.engine.rebuild`: a checkpoint's config and model, rebuilt through the registry;
* :mod:`~zsar.engine.distributed`: torchrun/DDP context, barriers, gathers;
* :mod:`~zsar.engine.evaluate`, :mod:`~zsar.engine.protocols`, :mod:`~zsar.engine.results`: the
  papers' evaluation protocols and the results file;
* :mod:`~zsar.engine.weight_average`: epoch-weight averaging (Open-VCLIP, STDD);
* :mod:`~zsar.engine.profile`: parameters and GFLOPs of the video side;
* :mod:`~zsar.engine.loggers`: where training and evaluation numbers go.

The engine imports :mod:`zsar.models` (the shared parts and the registry, never a paper's folder)
and :mod:`zsar.data`. Nothing is imported here, so that ``zsar.engine.loggers`` stays light
(the report reads its file names without torch).
"""
