"""The Qt window (PySide6 + pyqtgraph). ``nnviz.core`` never imports this package."""

from nnviz.ui.refcount_guard import protect_singletons

protect_singletons()  # before any Qt call: see refcount_guard
