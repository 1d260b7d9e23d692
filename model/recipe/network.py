"""The digit networks, in Keras 3, with batch norm.

Contract kept for the phone: input (28, 28, 1) floats in [0, 1], channels_last,
10 softmax outputs; only layers a specification-1 (iOS 11) Core ML model can
hold: convolution, batch norm (folded on export), ReLU, max pooling, flatten,
inner product, softmax.
"""

from __future__ import annotations

import os

import keras
import numpy as np
from keras import layers

from model.contract import INPUT_SHAPE, NUM_CLASSES
from model.recipe.recipe import DEFAULT_NETWORK

BN_MOMENTUM = 0.9  # Keras' 0.99 leaves the statistics unsettled after a short run


def _conv(x, filters: int, name: str):
    # Batch norm after each hidden layer trains faster and copes better with
    # the dimmer, thinner phone inputs; it folds into the convolution on export.
    x = layers.Conv2D(filters, 3, use_bias=False, name=name)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _dense_head(x, units: int, dropout: float):
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(units, use_bias=False, name="dense1")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="dense1_bn")(x)
    x = layers.ReLU(name="dense1_relu")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    return layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)


def mnist_cnn() -> keras.Model:
    """The phone's 2017 network (Keras example mnist_cnn.py): two convolutions,
    one pooling, a 9216 -> 128 dense layer. 1.2 M weights, ~12 M multiply-adds."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = _conv(inputs, 32, "conv1")
    x = _conv(x, 64, "conv2")
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    return keras.Model(inputs, _dense_head(x, 128, 0.5), name="keras_mnist_cnn")


def vgg4() -> keras.Model:
    """Four 3x3 convolutions in two pooled stages, then a 1024 -> 128 dense
    layer: deeper (each output sees 16x16 pixels before the dense layer, not
    5x5), a fifth of the weights (0.26 M) and fewer multiply-adds (~10 M)."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = _conv(inputs, 32, "conv1")
    x = _conv(x, 32, "conv2")
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = _conv(x, 64, "conv3")
    x = _conv(x, 64, "conv4")
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    return keras.Model(inputs, _dense_head(x, 128, 0.4), name="keras_mnist_cnn")


NETWORKS = {"mnist_cnn": mnist_cnn, "vgg4": vgg4}  # by the names model.recipe.recipe.NETWORK_NAMES gives


def build_model(network: str = DEFAULT_NETWORK) -> keras.Model:
    return NETWORKS[network]()


def ensemble(members: list[keras.Model]) -> keras.Model:
    """One network that runs several trained members of the same plain
    architecture side by side and averages their logits: the normalised
    geometric mean of their probabilities, as one model with the same input,
    output and layer kinds (iOS 11 holds it). Members sit in channel groups:
    the first convolution stacks their filters, later ones are grouped
    convolutions, the dense layers block-diagonal, and the last dense layer
    averages."""
    if len(members) == 1:
        return members[0]
    count = len(members)
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x, flat_channels = inputs, None
    dense_layers = [layer for layer in members[0].layers if isinstance(layer, layers.Dense)]
    for position, layer in enumerate(members[0].layers[1:], start=1):
        parts = [member.layers[position] for member in members]
        member_weights = [part.get_weights() for part in parts]
        if {type(part) for part in parts} != {type(layer)} or \
                len({tuple(w.shape for w in weights) for weights in member_weights}) > 1:
            raise ValueError(f"the members differ at layer {position} ({layer.name!r})")
        if isinstance(layer, layers.Conv2D):
            if layer.groups != 1 or layer.use_bias:
                raise ValueError(f"layer {layer.name!r}: only ungrouped convolutions without bias are merged")
            grouped = x is not inputs
            made = layers.Conv2D(layer.filters * count, layer.kernel_size, strides=layer.strides,
                                 groups=count if grouped else 1, use_bias=False, name=layer.name)
            x = made(x)
            made.set_weights([np.concatenate([w[0] for w in member_weights], axis=-1)])
        elif isinstance(layer, layers.BatchNormalization):
            made = layers.BatchNormalization(momentum=layer.momentum, epsilon=layer.epsilon, name=layer.name)
            x = made(x)
            made.set_weights([np.concatenate(values) for values in zip(*member_weights, strict=True)])
        elif isinstance(layer, layers.Flatten):
            flat_channels = x.shape[-1] // count
            x = layers.Flatten(name=layer.name)(x)
        elif isinstance(layer, layers.Dense):
            last = layer is dense_layers[-1]
            kernels = [w[0] for w in member_weights]
            rows, units = kernels[0].shape
            # Rows: Flatten interleaves the members' channels at each pixel; a
            # later dense layer takes them in blocks. Columns: the last layer
            # averages the members' logits, the others keep them side by side.
            pixels = rows // flat_channels if layer is dense_layers[0] and flat_channels is not None else 1
            kernel = np.zeros((rows * count, units if last else units * count), np.float32)
            view = kernel.reshape(pixels, count, rows // pixels, -1)
            for k, member_kernel in enumerate(kernels):
                columns = slice(None) if last else slice(k * units, (k + 1) * units)
                view[:, k, :, columns] = member_kernel.reshape(pixels, rows // pixels, units) / (count if last else 1)
            new = [kernel]
            if layer.use_bias:
                biases = [w[1] for w in member_weights]
                new.append(np.mean(biases, axis=0) if last else np.concatenate(biases))
            made = layers.Dense(units if last else units * count, activation=layer.activation,
                                use_bias=layer.use_bias, name=layer.name)
            x = made(x)
            made.set_weights(new)
        elif isinstance(layer, (layers.ReLU, layers.MaxPooling2D, layers.Dropout)):
            x = layer.__class__.from_config(layer.get_config())(x)
        else:
            raise ValueError(f"layer {layer.name!r}: a {type(layer).__name__} layer cannot be merged")
    return keras.Model(inputs, x, name=members[0].name)


def save_without_optimizer(model: keras.Model, path: str | os.PathLike) -> None:
    """Atomically save weights and architecture only: a few MB, nothing half-written."""
    from model.atomic import atomic_path

    # A model rebuilt from its config has no optimizer; clone_model keeps it.
    inference_model = keras.Model.from_config(model.get_config())
    inference_model.set_weights(model.get_weights())
    with atomic_path(path) as temporary:
        inference_model.save(temporary)
