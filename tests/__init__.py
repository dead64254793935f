"""The pytest suite (a package so the mutation tool can reuse its case lists)."""
