"""Accuracy figures and the report a person reads: confusion matrix, per-class
accuracy, and the misclassified inputs as the model saw them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from model.atomic import atomic_path, write_text_atomic


def evaluate_inputs(engine, inputs: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Predicted digits for (N, 28, 28) inputs in [0, 1]."""
    predicted = [np.argmax(engine.probabilities(inputs[i:i + batch]), axis=1)
                 for i in range(0, len(inputs), batch)]
    return np.concatenate(predicted) if predicted else np.zeros(0, int)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((10, 10), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> dict[str, float]:
    totals = matrix.sum(axis=1)
    return {str(d): round(float(matrix[d, d] / totals[d]), 4) if totals[d] else None for d in range(10)}


def write_report(directory: Path, name: str, title: str, inputs: np.ndarray, labels: np.ndarray,
                 predicted: np.ndarray) -> dict:
    """confusion-NAME.png, misclassified-NAME.png and NAME.json in `directory`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
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
    _save_figure(figure, directory / f"confusion-{name}.png")
    plt.close(figure)

    wrong = np.flatnonzero(labels != predicted)[:100]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.1, rows * 1.25), squeeze=False)
    for cell in grid.flat:
        cell.axis("off")
    for cell, index in zip(grid.flat, wrong, strict=False):
        cell.imshow(inputs[index], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        cell.set_title(f"{labels[index]}→{predicted[index]}", fontsize=8, color="crimson")
    figure.suptitle(f"{title}: misclassified (true→predicted), first {len(wrong)}", fontsize=10)
    figure.tight_layout()
    _save_figure(figure, directory / f"misclassified-{name}.png")
    plt.close(figure)

    summary = {"accuracy": round(accuracy, 4), "count": int(len(labels)),
               "per_class_accuracy": per_class_accuracy(matrix), "confusion_matrix": matrix.tolist()}
    write_text_atomic(directory / f"{name}.json", json.dumps(summary, indent=1) + "\n")
    return summary


def _save_figure(figure, path: Path) -> None:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
