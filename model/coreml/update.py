"""The phone's on-device update (MLUpdateTask), run with numpy.

An updatable NeuralNetwork model says how it is to be trained on its user's
examples (`NetworkUpdateParameters` in NeuralNetwork.proto): which layers are
updatable, the loss layer, SGD or Adam with their parameters, the mini-batch
size, the epochs, shuffling and its seed. `UpdateRule.of` reads exactly that,
or refuses the model naming the field it does not implement; a model that is
not updatable gets DEFAULT_RULE, the project's own update (the one
`export_coreml.py --updatable` writes into a model).

What runs: the layers before the first updatable one are fixed, so their
output is computed once; from there to the loss the network must be a chain of
innerProduct, activation (ReLU, linear, leaky ReLU) and a final softmax, which
is what the phone's updatable classifiers hold. Categorical cross-entropy is
averaged over the mini-batch; SGD with momentum and Adam step as TensorFlow's
do (tests hold them to 1e-5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from model.coreml.runner import CoreMLModel
from model.coreml.spec import check_fields
from model.errors import ModelFileError


@dataclass(frozen=True)
class UpdateRule:
    layers: tuple[str, ...] | None  # None: the network's last two innerProduct layers
    optimizer: str = "sgd"  # or "adam"
    learning_rate: float = 0.01
    batch_size: int = 8
    epochs: int = 10
    momentum: float = 0.0  # SGD
    beta1: float = 0.9  # Adam
    beta2: float = 0.999
    eps: float = 1e-8
    shuffle: bool = False
    seed: int = 0

    @classmethod
    def of(cls, model: CoreMLModel) -> UpdateRule | None:
        """The update an updatable model defines, or None if it defines none."""
        if model.kind == "mlProgram":
            return None
        network = getattr(model.spec, model.kind)
        if not network.HasField("updateParams"):
            if any(layer.isUpdatable for layer in network.layers):
                raise ModelFileError(f"{model.path}: layers are marked updatable but the model has no updateParams")
            return None
        where = f"{model.path}: updateParams"
        params = network.updateParams
        check_fields(params, {"lossLayers", "optimizer", "epochs", "shuffle", "seed"}, where)
        if len(params.lossLayers) != 1:
            raise ModelFileError(f"{where}: {len(params.lossLayers)} loss layers; one is supported")
        loss = params.lossLayers[0]
        if loss.WhichOneof("LossLayerType") != "categoricalCrossEntropyLossLayer":
            raise ModelFileError(f"{where}: loss layer {loss.name!r} is a {loss.WhichOneof('LossLayerType')}; "
                                 "only categoricalCrossEntropyLossLayer is supported")
        if loss.categoricalCrossEntropyLossLayer.input != model.output_blob:
            raise ModelFileError(f"{where}: loss layer {loss.name!r} reads "
                                 f"{loss.categoricalCrossEntropyLossLayer.input!r}, not the probabilities "
                                 f"{model.output_blob!r}")
        kind = params.optimizer.WhichOneof("OptimizerType")
        if kind == "sgdOptimizer":
            sgd = params.optimizer.sgdOptimizer
            check_fields(sgd, {"learningRate", "miniBatchSize", "momentum"}, f"{where}: sgdOptimizer")
            settings = {"optimizer": "sgd", "learning_rate": sgd.learningRate.defaultValue,
                        "batch_size": sgd.miniBatchSize.defaultValue, "momentum": sgd.momentum.defaultValue}
        elif kind == "adamOptimizer":
            adam = params.optimizer.adamOptimizer
            check_fields(adam, {"learningRate", "miniBatchSize", "beta1", "beta2", "eps"}, f"{where}: adamOptimizer")
            settings = {"optimizer": "adam", "learning_rate": adam.learningRate.defaultValue,
                        "batch_size": adam.miniBatchSize.defaultValue, "beta1": adam.beta1.defaultValue,
                        "beta2": adam.beta2.defaultValue, "eps": adam.eps.defaultValue}
        else:
            raise ModelFileError(f"{where}: field 'optimizer' names no optimizer")
        layers = tuple(layer.name for layer in network.layers if layer.isUpdatable)
        rule = cls(layers=layers, epochs=params.epochs.defaultValue, shuffle=params.shuffle.defaultValue,
                   seed=params.seed.defaultValue, **settings)
        if not (rule.learning_rate > 0 and rule.batch_size >= 1 and rule.epochs >= 1):
            raise ModelFileError(f"{where}: learning rate {rule.learning_rate}, mini-batch {rule.batch_size} and "
                                 f"epochs {rule.epochs} must all be positive")
        return rule


# The project's own update, for a model that defines none (such as the shipped
# spec-1 file), and the one `export_coreml.py --updatable` writes. Chosen on
# the 14 pendigits test writers (never UNIPEN): of SGD 0.01 x 10 epochs (the
# old export's), SGD with momentum and Adam at several rates, batches and
# epochs, on the last layer or both dense layers, with and without shifted
# copies, Adam 1e-3 on both layers removed the most errors (57 %) while the
# general check moved least (README, "Teaching it your hand").
DEFAULT_RULE = UpdateRule(layers=None, optimizer="adam", learning_rate=1e-3, batch_size=4, epochs=15,
                          shuffle=False)


@dataclass
class Dense:
    name: str
    weights: np.ndarray  # (inputs, outputs)
    bias: np.ndarray | None
    updatable: bool


class Update:
    """The trainable head of a model and the optimizer state: `fit` runs the
    rule's epochs on (N, 28, 28) uint8 drawings and their digits."""

    def __init__(self, model: CoreMLModel, rule: UpdateRule):
        if model.kind == "mlProgram":
            raise ModelFileError(f"{model.path}: an ML Program; only NeuralNetwork models can be updated here")
        self.model = model
        network = getattr(model.spec, model.kind)
        layers = list(network.layers)
        names = rule.layers or default_layers(model.spec)
        if not names:
            raise ModelFileError(f"{model.path}: no innerProduct layer to update")
        unknown = set(names) - {layer.name for layer in layers}
        if unknown:
            raise ModelFileError(f"{model.path}: updatable layer {sorted(unknown)[0]!r} is not in the network")
        first = min(i for i, layer in enumerate(layers) if layer.name in names)
        self.rule = replace(rule, layers=tuple(names))
        self.feature_blob = layers[first].input[0]
        self.head: list = []
        blob = self.feature_blob
        for layer in layers[first:]:
            kind = layer.WhichOneof("layer")
            where = f"{model.path}: layer {layer.name!r} ({kind})"
            if kind != "innerProduct" and layer.name in names:
                raise ModelFileError(f"{where}: is marked updatable; only innerProduct layers are updated here")
            if list(layer.input) != [blob]:
                raise ModelFileError(f"{where}: the layers from the first updatable one to the loss must be a chain")
            if kind == "innerProduct":
                self.head.append(self._dense(layer, where, layer.name in names))
            elif kind == "activation" and layer.activation.WhichOneof("NonlinearityType") in ("ReLU", "linear",
                                                                                               "leakyReLU"):
                self.head.append(layer.activation)
            elif kind == "softmax":
                self.head.append("softmax")
            else:
                raise ModelFileError(f"{where}: lies between an updatable layer and the loss; the update runs "
                                     "through innerProduct, ReLU, linear and leaky ReLU layers and a softmax only")
            blob = layer.output[0]
        if blob != model.output_blob or self.head[-1] != "softmax":
            raise ModelFileError(f"{model.path}: the update's chain must end in the softmax that produces "
                                 f"{model.output_blob!r}")
        self.steps = 0
        self._state = {id(d): [np.zeros_like(d.weights), None if d.bias is None else np.zeros_like(d.bias)]
                       for d in self.dense if d.updatable}
        self._second = {key: [np.zeros_like(v[0]), None if v[1] is None else np.zeros_like(v[1])]
                        for key, v in self._state.items()}

    @property
    def dense(self) -> list[Dense]:
        return [step for step in self.head if isinstance(step, Dense)]

    def _dense(self, layer, where: str, updatable: bool) -> Dense:
        params = layer.innerProduct
        rows, cols = int(params.inputChannels), int(params.outputChannels)
        weights = self.model.layer_weights(params.weights, rows * cols, where, "weights", cols)
        bias = self.model.layer_weights(params.bias, cols, where, "bias") if params.hasBias else None
        return Dense(layer.name, weights.reshape(cols, rows).T.astype(np.float32).copy(), bias, updatable)

    # --- the arithmetic
    def features(self, pixels: np.ndarray) -> np.ndarray:
        """What the fixed layers hand the first updatable one: (N, inputs)."""
        return self.model.blobs(pixels)[self.feature_blob].reshape(len(pixels), -1).astype(np.float32)

    def forward(self, features: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities in the digits' order, as `CoreMLModel.probabilities` gives them, and each step's input."""
        probabilities, inputs = self._forward(features)
        return probabilities[:, self.model.class_index], inputs

    def _forward(self, features: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities in the model's order of classes and each step's input, for the backward pass."""
        x, inputs = features, []
        for step in self.head:
            inputs.append(x)
            if isinstance(step, Dense):
                x = x @ step.weights + (step.bias if step.bias is not None else 0)
            elif step == "softmax":
                shifted = np.exp(x - x.max(axis=1, keepdims=True))
                x = shifted / shifted.sum(axis=1, keepdims=True)
            else:
                x = _activation(step, x)
        return x, inputs

    def gradients(self, features: np.ndarray, targets: np.ndarray) -> tuple[float, dict]:
        """Mean categorical cross-entropy and its gradient for each updatable layer (targets in the model's
        order of classes)."""
        probabilities, inputs = self._forward(features)
        loss = float(-np.mean(np.sum(targets * np.log(np.clip(probabilities, 1e-12, None)), axis=1)))
        grads = {}
        upstream = (probabilities - targets) / len(features)  # through softmax and the loss at once
        for step, x in zip(reversed(self.head[:-1]), reversed(inputs[:-1]), strict=True):
            if isinstance(step, Dense):
                if step.updatable:
                    grads[id(step)] = (x.T @ upstream, None if step.bias is None else upstream.sum(axis=0))
                upstream = upstream @ step.weights.T
            else:
                upstream = upstream * _activation_slope(step, x)
        return loss, grads

    def step(self, features: np.ndarray, targets: np.ndarray) -> float:
        """One mini-batch: the optimizer's step on every updatable layer."""
        loss, grads = self.gradients(features, targets)
        self.steps += 1
        rule = self.rule
        for dense in self.dense:
            if not dense.updatable:
                continue
            for index, (value, grad) in enumerate(zip((dense.weights, dense.bias), grads[id(dense)], strict=True)):
                if value is None:
                    continue
                first, second = self._state[id(dense)], self._second[id(dense)]
                if rule.optimizer == "sgd":
                    # TensorFlow's momentum: v = m v - lr g; w += v (plain SGD when m = 0).
                    first[index] = rule.momentum * first[index] - rule.learning_rate * grad
                    value += first[index]
                else:
                    first[index] += (grad - first[index]) * (1 - rule.beta1)
                    second[index] += (grad * grad - second[index]) * (1 - rule.beta2)
                    alpha = rule.learning_rate * np.sqrt(1 - rule.beta2 ** self.steps) / (1 - rule.beta1 ** self.steps)
                    value -= alpha * first[index] / (np.sqrt(second[index]) + rule.eps)
        return loss

    def fit(self, pixels: np.ndarray, labels: np.ndarray,
            progress: Callable[[int, int], None] | None = None) -> list[float]:
        """The rule's epochs over the examples, in their order (or shuffled by
        the rule's seed); returns each epoch's mean loss."""
        return self.fit_features(self.features(np.asarray(pixels)), labels, progress)

    def fit_features(self, features: np.ndarray, labels: np.ndarray,
                     progress: Callable[[int, int], None] | None = None) -> list[float]:
        """`fit` from what the fixed layers made of the drawings (`features`)."""
        targets = np.eye(10, dtype=np.float32)[self.model.class_index[np.asarray(labels)]]
        rng = np.random.default_rng(self.rule.seed)
        losses = []
        for epoch in range(self.rule.epochs):
            order = rng.permutation(len(features)) if self.rule.shuffle else np.arange(len(features))
            batch_losses = [self.step(features[chosen], targets[chosen])
                            for chosen in np.array_split(order, max(1, -(-len(order) // self.rule.batch_size)))]
            losses.append(float(np.mean(batch_losses)))
            if progress is not None:
                progress(epoch + 1, self.rule.epochs)
        return losses

    def probabilities(self, pixels: np.ndarray) -> np.ndarray:
        return self.forward(self.features(np.asarray(pixels)))[0]

    def updated_spec(self):
        """A copy of the model's spec with the updated weights, as float32."""
        spec = type(self.model.spec)()
        spec.CopyFrom(self.model.spec)
        layers = {layer.name: layer for layer in getattr(spec, self.model.kind).layers}
        for dense in self.dense:
            if not dense.updatable:
                continue
            params = layers[dense.name].innerProduct
            for field, values in (("weights", dense.weights.T), ("bias", dense.bias)):
                if values is None:
                    continue
                target = getattr(params, field)
                updatable = target.isUpdatable
                target.Clear()
                target.floatValue.extend(np.asarray(values, np.float32).ravel().tolist())
                target.isUpdatable = updatable
        return spec


def default_layers(spec) -> tuple[str, ...]:
    """The layers DEFAULT_RULE updates: the network's last two innerProduct layers."""
    network = getattr(spec, spec.WhichOneof("Type"))
    return tuple(layer.name for layer in network.layers if layer.WhichOneof("layer") == "innerProduct")[-2:]


def write_update_rule(spec, rule: UpdateRule, layers: tuple[str, ...]) -> None:
    """Make a NeuralNetwork classifier spec updatable with `rule` on `layers`
    (what coremltools' make_updatable, loss and optimizer setters write), at
    specification version 4 (iOS 13), the first that holds an update."""
    kind = spec.WhichOneof("Type")
    network = getattr(spec, kind)
    named = {layer.name: layer for layer in network.layers}
    for name in layers:
        layer = named[name]
        layer.isUpdatable = True
        layer.innerProduct.weights.isUpdatable = True
        if layer.innerProduct.hasBias:
            layer.innerProduct.bias.isUpdatable = True
    params = network.updateParams
    params.Clear()
    loss = params.lossLayers.add()
    loss.name = "loss"
    probabilities = spec.description.predictedProbabilitiesName or spec.description.output[0].name
    label = spec.description.predictedFeatureName or "classLabel"
    loss.categoricalCrossEntropyLossLayer.input = probabilities
    # As coremltools writes it: the loss's target is named after its input; a
    # classifier's training input is the class label, which MLUpdateTask maps to it.
    loss.categoricalCrossEntropyLossLayer.target = f"{probabilities}_true"
    if rule.optimizer == "sgd":
        sgd = params.optimizer.sgdOptimizer
        sgd.learningRate.defaultValue, sgd.learningRate.range.maxValue = rule.learning_rate, 1.0
        sgd.miniBatchSize.defaultValue = rule.batch_size
        sgd.miniBatchSize.set.values.append(rule.batch_size)
        sgd.momentum.defaultValue, sgd.momentum.range.maxValue = rule.momentum, 1.0
    else:
        adam = params.optimizer.adamOptimizer
        adam.learningRate.defaultValue, adam.learningRate.range.maxValue = rule.learning_rate, 1.0
        adam.miniBatchSize.defaultValue = rule.batch_size
        adam.miniBatchSize.set.values.append(rule.batch_size)
        adam.beta1.defaultValue, adam.beta1.range.maxValue = rule.beta1, 1.0
        adam.beta2.defaultValue, adam.beta2.range.maxValue = rule.beta2, 1.0
        adam.eps.defaultValue, adam.eps.range.maxValue = rule.eps, 1.0
    params.epochs.defaultValue = rule.epochs
    params.epochs.set.values.append(rule.epochs)
    params.shuffle.defaultValue = rule.shuffle
    params.seed.defaultValue = rule.seed
    del spec.description.trainingInput[:]
    spec.description.trainingInput.add().CopyFrom(spec.description.input[0])
    target = spec.description.trainingInput.add()
    target.name = label
    target.type.stringType.SetInParent()
    spec.specificationVersion = max(spec.specificationVersion, 4)
    spec.isUpdatable = True


def _activation(params, x: np.ndarray) -> np.ndarray:
    kind = params.WhichOneof("NonlinearityType")
    if kind == "ReLU":
        return np.maximum(x, 0)
    if kind == "leakyReLU":
        return np.where(x >= 0, x, params.leakyReLU.alpha * x)
    return params.linear.alpha * x + params.linear.beta


def _activation_slope(params, x: np.ndarray) -> np.ndarray:
    kind = params.WhichOneof("NonlinearityType")
    if kind == "ReLU":
        return (x > 0).astype(x.dtype)
    if kind == "leakyReLU":
        return np.where(x >= 0, 1.0, params.leakyReLU.alpha).astype(x.dtype)
    return np.full_like(x, params.linear.alpha)
