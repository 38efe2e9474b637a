"""Exchange, the top engine layer: REFI-QDA codebooks and projects, coding bundles, merging another coder's copy, report files."""
