"""Log your own training loop as an nnviz run folder, to follow with ``nnviz watch`` (NumPy only).

    import nnviz.log as nlog
    run = nlog.open_run("runs/mine", config={"hidden": [30], "lr": 3.0})
    run.log(iteration=i, loss=0.12)
    run.log_epoch(epoch=1, val_accuracy=0.91)
    run.snapshot(weights=W1, labels=y_true, predictions=y_pred)
    run.close()  # or: with nlog.open_run(...) as run:
"""

from nnviz.core.logged_run import LoggedRun, open_run

__all__ = ["LoggedRun", "open_run"]
