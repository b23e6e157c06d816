"""Comparing 2 to 4 recorded runs step by step (issue 10).

Core (NumPy and the standard library only; the window may import these at module top):
runs.py checks the runs fit together; alignment.py lines their steps up on one playhead, by
noise level or by fraction of the run; difference.py measures |A - B| and paints it with the
colormap in colormap.py; panes.py gives each run's image and every pair's difference at one
position; options.py holds the settings; metadata.py is the comparison document every export
carries. Files layer (Pillow, PyAV): picture.py and sheet.py draw, export.py writes,
reading.py reads the document back.
"""
