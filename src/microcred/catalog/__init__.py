"""Micro-credential definitions: achievements, learning outcomes (knowledge/skill/attitude), alignments."""
