"""The workbench's own widgets (part of the tui face, above every engine layer)."""
