"""Design modules: what each style declares (configurations, II formula, claims, sub-blocks) and the registry."""
