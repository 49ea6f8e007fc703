"""The names of a run folder's files."""

CONFIG_FILE, METRICS_CSV, METRICS_JSON, MODEL_FILE = "config.toml", "metrics.csv", "metrics.json", "model.npz"
