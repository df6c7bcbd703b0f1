"""Text utilities: CLIP token counting and truncation, sentence normalisation, concept keys, stopwords."""
