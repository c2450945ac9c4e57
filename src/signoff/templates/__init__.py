"""Document templates: the built-in backend-server template (the seed) and org templates."""
