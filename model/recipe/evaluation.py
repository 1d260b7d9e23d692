"""Accuracy figures and the report a person reads: confusion matrix, per-class
accuracy, and the misclassified inputs as the model saw them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.atomic import atomic_path


def probabilities_of(engine, inputs: np.ndarray, batch: int = 1000) -> np.ndarray:
    """(N, 10) probabilities for (N, 28, 28) inputs in [0, 1]."""
    parts = [engine.probabilities(inputs[i:i + batch]) for i in range(0, len(inputs), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> dict[str, float]:
    totals = matrix.sum(axis=1)
    return {str(d): round(float(matrix[d, d] / totals[d]), 4) if totals[d] else None for d in range(10)}


class ReportSet:
    """A report's files, written into a hidden folder beside `directory` and
    moved in together by `commit`: a failure part-way leaves the old report
    (or none), never half of a new one."""

    def __init__(self, directory: Path):
        import tempfile

        self.directory = Path(directory)
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.directory.name}.", dir=self.directory.parent))

    def path(self, name: str) -> Path:
        return self.staging / name

    def grid(self, name: str, title: str, inputs: np.ndarray, indices: np.ndarray, captions: list[str],
             limit: int = 100) -> None:
        """A grid of model inputs (the first `limit` of `indices`) with a caption each."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if not len(indices):
            return
        shown = list(indices[:limit])
        columns = 10
        rows = max(1, int(np.ceil(len(shown) / columns)))
        figure, cells = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.25), squeeze=False)
        for cell in cells.flat:
            cell.axis("off")
        for cell, index in zip(cells.flat, shown, strict=False):
            cell.imshow(inputs[index], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            cell.set_title(captions[index], fontsize=7, color="crimson")
        figure.suptitle(f"{title}: {len(indices)}" + (f", first {limit}" if len(indices) > limit else ""),
                        fontsize=10)
        figure.tight_layout()
        figure.savefig(self.path(f"{name}.png"), format="png", dpi=100)
        plt.close(figure)

    def commit(self) -> None:
        import os
        import shutil

        if self.directory.is_dir():
            for item in self.staging.iterdir():
                os.replace(item, self.directory / item.name)
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            os.replace(self.staging, self.directory)

    def __del__(self):
        import shutil

        shutil.rmtree(getattr(self, "staging", ""), ignore_errors=True)


def write_report(report: ReportSet, name: str, title: str, inputs: np.ndarray, labels: np.ndarray,
                 predicted: np.ndarray) -> dict:
    """confusion-NAME.png, misclassified-NAME.png and NAME.json in the report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = confusion_matrix(labels, predicted)
    accuracy = float((labels == predicted).mean())

    figure, axes = plt.subplots(figsize=(6, 5.4))
    axes.imshow(np.log1p(matrix), cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            axes.text(col, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if row == col else "black")
    axes.set_xticks(range(10))
    axes.set_yticks(range(10))
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{title}: {accuracy:.2%} of {len(labels)}")
    figure.tight_layout()
    figure.savefig(report.path(f"confusion-{name}.png"), format="png", dpi=100)
    plt.close(figure)

    report.grid(f"misclassified-{name}", f"{title}: misclassified (true→predicted)", inputs,
                np.flatnonzero(labels != predicted), [f"{t}→{p}" for t, p in zip(labels, predicted, strict=True)])
    summary = {"accuracy": round(accuracy, 4), "count": int(len(labels)),
               "per_class_accuracy": per_class_accuracy(matrix), "confusion_matrix": matrix.tolist()}
    report.path(f"{name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def save_curves(histories: list[dict], path: Path) -> None:
    """Loss and accuracy per epoch of each member, on the training mix and on MNIST test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for member, history in enumerate(histories, start=1):
        epochs = range(1, len(history["loss"]) + 1)
        name = f"member {member}: " if len(histories) > 1 else ""
        for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
            axes.plot(epochs, history[metric], label=f"{name}training (MNIST + phone-like + not digits)")
            axes.plot(epochs, history[f"val_{metric}"], label=f"{name}MNIST test")
    for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        axes.set_xlabel("epoch")
        axes.set_title(metric)
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
