"""Analysis, above coding: reports for the paper (hierarchy, tables, frequencies, saturation, words) and inter-coder agreement."""
