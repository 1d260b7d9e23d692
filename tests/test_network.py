import numpy as np
import pytest


def _trained_looking(network: str, seed: int):
    """A network with random weights and batch-norm statistics far from their
    defaults, so that merging them wrongly shows."""
    import keras

    from model.recipe.network import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(network)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([gamma + rng.random(gamma.shape), beta + rng.normal(0, 0.1, beta.shape),
                               mean + rng.normal(0, 0.1, mean.shape), variance + rng.random(variance.shape)])
    return model


def _geometric_mean(probabilities: list[np.ndarray]) -> np.ndarray:
    log_mean = np.mean([np.log(p.astype(np.float64)) for p in probabilities], axis=0)
    result = np.exp(log_mean - log_mean.max(axis=1, keepdims=True))
    return result / result.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("network", ["vgg4", "mnist_cnn"])
def test_an_ensemble_answers_the_normalised_geometric_mean_of_its_members(network, mnist):
    from model.recipe.network import ensemble

    members = [_trained_looking(network, seed) for seed in (1, 2)]
    images = mnist.x_test[:64, ..., None] / 255.0
    expected = _geometric_mean([member.predict(images, verbose=0) for member in members])
    merged = ensemble(members)
    assert abs(merged.predict(images, verbose=0) - expected).max() < 1e-5
    assert merged.input_shape[1:] == (28, 28, 1) and merged.output_shape[1:] == (10,)


def test_an_ensemble_exports_to_an_ios_11_model_that_agrees_with_keras(tmp_path, mnist):
    from model.coreml.export import Metadata, export
    from model.coreml.runner import CoreMLModel
    from model.recipe.network import ensemble
    from model.runtime.keras_model import load_keras_model

    members = [_trained_looking("vgg4", seed) for seed in (3, 4)]
    keras_path = tmp_path / "pair.keras"
    ensemble(members).save(keras_path)
    exported = export(load_keras_model(keras_path), tmp_path / "pair.mlmodel", Metadata())
    runner = CoreMLModel(exported)
    assert runner.specification_version == 1
    layers = {layer.WhichOneof("layer") for layer in runner.spec.neuralNetworkClassifier.layers}
    assert layers <= {"convolution", "activation", "pooling", "flatten", "innerProduct", "softmax"}
    expected = _geometric_mean([member.predict(mnist.x_test[:64, ..., None] / 255.0, verbose=0)
                                for member in members])
    assert abs(runner.probabilities(mnist.x_test[:64]) - expected).max() < 1e-5


def test_members_of_different_networks_are_refused():
    from model.recipe.network import ensemble

    with pytest.raises(ValueError, match="differ at layer"):
        ensemble([_trained_looking("vgg4", 1), _trained_looking("mnist_cnn", 2)])


def test_an_ensemble_of_one_is_that_network():
    from model.recipe.network import ensemble

    member = _trained_looking("vgg4", 5)
    assert ensemble([member]) is member
