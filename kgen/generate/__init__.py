"""Builders of LLM-made knowledge: one module per kind (AP-CLIP prompts, STDD ASKG, Kim et al.
attributes, SC-CLIP action descriptions) and the runner that drives them (:mod:`kgen.generate.runner`)."""
