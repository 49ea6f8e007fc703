"""A run folder keeps results and parameters together:

``config.toml`` (every setting, enough to rerun with ``nnviz train --config``), ``metrics.csv``
(one row per epoch), ``model.npz`` and, last, ``metrics.json`` (final figures, and every file of the
run with its size: the mark that the run ended). All written atomically.

This package writes them (``writing``) and reads them back (``reading``: the Runs dock, ``nnviz
compare``, sweeps), so a reader gets exactly what the trainer wrote. A folder written while the run
goes (``nnviz train``, ``nnviz.log``) also holds append-only streams (``streams``: per-iteration
scalars, the latest snapshot, the run's state), which ``follow`` reads while they grow (``nnviz
watch``, the Runs dock). A *sweep folder* holds run folders, and optionally ``sweep.json`` listing
them in grid order.
"""

from nnviz.core.run_folder.files import CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE
from nnviz.core.run_folder.reading import (DONE_STATES, MANIFEST, RunData, RunFolderError, expand_run_paths,
                                           flatten_settings, is_done, is_run_folder, list_run_folders, load_record,
                                           load_run, load_runs, read_metrics_csv, run_state)
from nnviz.core.run_folder.writing import (check_output_folder, clear_run_files, complete_run_state, final_metrics,
                                           metrics_csv_text, write_run_folder)

__all__ = ["CONFIG_FILE", "METRICS_CSV", "METRICS_JSON", "MODEL_FILE", "DONE_STATES", "MANIFEST", "RunData",
           "RunFolderError", "expand_run_paths", "flatten_settings", "is_done", "is_run_folder", "list_run_folders",
           "load_record", "load_run", "load_runs", "read_metrics_csv", "run_state", "check_output_folder",
           "clear_run_files", "complete_run_state", "final_metrics", "metrics_csv_text", "write_run_folder"]
