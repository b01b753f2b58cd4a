"""definitions layer (see DESIGN.md §2)."""
