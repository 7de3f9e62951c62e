"""Plain-Python Vietnamese text handling: normalization, folding, segmentation."""
