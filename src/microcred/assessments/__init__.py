"""Summative assessment: an achievement's assessment design (rubrics, pass rule), results and evidence."""
