"""calendar layer (see DESIGN.md §2)."""
