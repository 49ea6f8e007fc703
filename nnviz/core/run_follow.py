"""The documented import path for students' scripts (``from nnviz.core.run_follow import
read_record``): the readers live in `nnviz.core.run_folder.follow`, beside the writers."""

from nnviz.core.run_folder.follow import CsvFollower, RunFollower, follow_until_caught_up, read_record, watched_folders

__all__ = ["CsvFollower", "RunFollower", "follow_until_caught_up", "read_record", "watched_folders"]
