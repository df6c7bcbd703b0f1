"""Pictures of a workspace: the static HTML report (``kgen report``) and the analyses behind it.

* :mod:`kgen.report.similarity`: class-by-class cosine of a bank's classifier rows, the most
  confusable pairs, and a clustered class order for heatmaps (also ``kgen bank sim``);
* :mod:`kgen.report.embedding_map`: 2-D maps of class embeddings (exact t-SNE, or UMAP when
  installed), several banks in one map;
* :mod:`kgen.report.knowledge_view`, :mod:`kgen.report.eval_view`,
  :mod:`kgen.report.training_view`: what the report shows of knowledge files, evaluation results
  and training runs;
* :mod:`kgen.report.figures`: every figure's data written as CSV/JSON next to the page;
* :mod:`kgen.report.builder`: the report folder itself;
* :mod:`kgen.report.graph_text`: the ASKG as Mermaid or Graphviz DOT (``kgen show askg --format``).
"""
