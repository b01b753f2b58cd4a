"""worker layer (see DESIGN.md §2)."""
