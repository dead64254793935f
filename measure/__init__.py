"""Measurement: synthesis and area, place and route, toggle counting, the energy model, raw simulation speed."""
