"""rules layer (see DESIGN.md §2)."""
