"""The maths of the labs, Qt-free: each module computes what one lab draws and prints.

`nnviz.ui.labs` draws these numbers; tests assert the lectures' figures against them directly.
"""
