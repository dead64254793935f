"""edgebench: verification and benchmarking harness for edge-AI accelerator RTL.

The repository root is the `edgebench` package (pyproject.toml maps it), so every module is imported as
`edgebench.<folder>.<module>`. What each folder holds (README.md, "Architecture"):

    golden/    bit-exact NumPy golden models, their training, datasets and model files
    designs/   one design module per style (configurations, II formula, claims, build -> CoreBuild) and the registry
    tb/        the verification environment: pyuvm env, stream BFMs, HDL harness, runner; tb/benches: sub-block benches
    measure/   synthesis, place and route, toggles, energy, the raw simulator yardstick
    scripts/   the `edgebench` command line
    tests/     the pytest suite
"""
