"""The workbench's screens and dialogs (part of the tui face, above every engine layer)."""
