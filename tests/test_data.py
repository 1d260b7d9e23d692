import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.errors import DataError
from model.recipe.data import MNIST_ENV, load_mnist
from tests.fuzz import FUZZ, mutated_bytes, read_or_refused


def write_npz(path, **overrides):
    arrays = {"x_train": np.zeros((5, 28, 28), np.uint8), "y_train": np.arange(5, dtype=np.uint8),
              "x_test": np.zeros((3, 28, 28), np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_real_mnist_loads_with_its_documented_shapes(mnist):
    assert mnist.x_train.shape == (60000, 28, 28) and mnist.x_test.shape == (10000, 28, 28)
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_environment_variable_names_the_file(monkeypatch, mnist_npz):
    monkeypatch.setenv(MNIST_ENV, str(mnist_npz))
    assert load_mnist().x_test.shape == (10000, 28, 28)


def test_a_failed_download_says_how_to_give_a_local_file(monkeypatch):
    import keras

    def offline():  # what Keras raises with no network and no cached copy
        raise Exception("URL fetch failure on https://storage.googleapis.com/.../mnist.npz: None -- "
                        "[Errno -2] Name or service not known")

    monkeypatch.delenv(MNIST_ENV, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError, match=rf"download failed .*Name or service.*--data PATH .*{MNIST_ENV}"):
        load_mnist(None)


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.npz"
    with pytest.raises(DataError, match=f"{missing}: no such file"):
        load_mnist(missing)


def test_an_npz_that_never_ends_is_refused_before_it_is_read(tmp_path):
    endless = tmp_path / "mnist.npz"
    endless.symlink_to("/dev/zero")
    with pytest.raises(DataError, match=f"{endless}: not a regular file"):
        load_mnist(str(endless))


def test_a_file_that_is_not_an_npz_is_named(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_text("not a zip")
    with pytest.raises(DataError, match=f"{bad}: not a readable .npz file \\(it starts with b'not a ', not as a zip"):
        load_mnist(bad)


def test_missing_key(tmp_path):
    path = write_npz(tmp_path / "m.npz", y_test=None)
    with pytest.raises(DataError, match="missing key.*y_test"):
        load_mnist(path)


def test_wrong_image_shape(tmp_path):
    path = write_npz(tmp_path / "m.npz", x_train=np.zeros((5, 32, 32), np.uint8))
    with pytest.raises(DataError, match=r"x_train has shape \(5, 32, 32\), expected \(N, 28, 28\)"):
        load_mnist(path)


def test_wrong_dtype(tmp_path):
    path = write_npz(tmp_path / "m.npz", x_test=np.zeros((3, 28, 28), np.float32))
    with pytest.raises(DataError, match="x_test has dtype float32, expected uint8"):
        load_mnist(path)


def test_label_out_of_range(tmp_path):
    path = write_npz(tmp_path / "m.npz", y_train=np.array([0, 1, 2, 3, 12], np.uint8))
    with pytest.raises(DataError, match="labels from 0 to 12, expected 0-9"):
        load_mnist(path)


def test_label_count_must_match_images(tmp_path):
    path = write_npz(tmp_path / "m.npz", y_test=np.arange(2, dtype=np.uint8))
    with pytest.raises(DataError, match=r"y_test has shape \(2,\), expected \(3,\)"):
        load_mnist(path)


# --- every mutation of a valid .npz is read, or refused by name (hypothesis)



@FUZZ
@given(st.data())
def test_an_npz_mutated_byte_by_byte_is_read_or_refused_by_name(tmp_path_factory, data):
    import io

    from model.errors import DataError
    from model.recipe.data import load_mnist

    rng = np.random.default_rng(0)
    encoded = io.BytesIO()
    np.savez(encoded, x_train=rng.integers(0, 255, (6, 28, 28), dtype=np.uint8), y_train=np.arange(6) % 10,
             x_test=rng.integers(0, 255, (3, 28, 28), dtype=np.uint8), y_test=np.arange(3))
    path = tmp_path_factory.mktemp("fuzz") / "mnist.npz"
    path.write_bytes(data.draw(mutated_bytes(encoded.getvalue())))
    mnist = read_or_refused(load_mnist, path, DataError)
    assert mnist is None or (mnist.x_train.shape[1:] == (28, 28) and mnist.x_train.dtype == np.uint8)
