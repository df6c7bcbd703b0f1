"""Crawling definitions of action classes: Wikipedia, Wiktionary, WordNet."""
