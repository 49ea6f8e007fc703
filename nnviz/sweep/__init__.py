"""Sweeps and comparisons: run a grid of settings (locally or as a Slurm job array) and overlay runs.

Qt-free except :mod:`nnviz.ui.compare_figure`, which renders the comparison figure offscreen.
"""
