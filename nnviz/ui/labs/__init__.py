"""Interactive labs for the first lectures: each is a widget with its own controls and export, plus a
headless form (`nnviz lab NAME --png DIR`). See `registry.LABS` for the list."""
