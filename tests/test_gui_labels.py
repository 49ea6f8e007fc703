"""Class labels on horizontal axes: names when short (digits), numbers when names would overlap."""

from __future__ import annotations

from nnviz.core.data.loading import IMAGE_DATASETS
from nnviz.ui import theme


def test_digits_keep_their_names():
    names = IMAGE_DATASETS["mnist"].class_names
    assert theme.column_labels(names) == list(names) == theme.row_labels(names)


def test_long_names_are_numbered_on_columns_and_named_on_rows():
    names = IMAGE_DATASETS["fashion-mnist"].class_names
    assert theme.column_labels(names) == [str(i) for i in range(10)]
    rows = theme.row_labels(names)
    assert rows[0] == "T-shirt/top  0" and rows[9] == "Ankle boot  9"
