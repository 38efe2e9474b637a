"""qcoder: grounded-theory qualitative coding; layers from the bottom: errors < store < corpus < coding < analysis < exchange < faces (cli, commands, tui)."""
