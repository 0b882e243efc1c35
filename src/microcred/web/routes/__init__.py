"""Routes of the web layer, one module per topic."""
