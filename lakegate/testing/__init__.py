"""Config tests: YAML cases of input records with the expected rows, filtered count and DLQ reasons."""
