"""cocotb modules that drive one RTL block alone (sub-block unit tests, measurement fixtures), run by tests/."""
