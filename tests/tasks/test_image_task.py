"""--task images against the data set it reads: kept classes renumbered, every training image one
of the data set's with its own label, facts relabelled, normalisation from the training images."""

import numpy as np
import pytest

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError
from rulesfacts.tasks import make_split
from rulesfacts.tasks.image_task import image_split
from rulesfacts.tasks.images import load_dataset


def test_images_and_labels_come_from_the_data_set_with_classes_renumbered():
    raw = load_dataset("digits")
    s = image_split("digits", None, [7, 2], 0.5, 0.25, "wrong", "none", seed=3)
    lookup = {row.tobytes(): int(lab) for row, lab in zip(raw.x_train.astype(np.float32), raw.y_train, strict=True)}
    for x, y_true in zip(s.x_train, s.y_train_true, strict=True):
        assert [7, 2][y_true] == lookup[x.tobytes()]
    n7, n2 = (raw.y_train == 7).sum(), (raw.y_train == 2).sum()
    assert s.n_train == int(0.5 * (n7 + n2)) and s.n_classes == 2
    assert s.n_test == ((raw.y_test == 7) | (raw.y_test == 2)).sum()
    n_facts = int(0.25 * s.n_train)
    assert s.is_fact.sum() == n_facts and s.is_fact[:n_facts].all()
    assert (s.y_train[:n_facts] != s.y_train_true[:n_facts]).all()
    np.testing.assert_array_equal(s.y_train[n_facts:], s.y_train_true[n_facts:])


def test_standard_normalisation_uses_the_training_images():
    s = make_split(TrainConfig(task="images", dataset="digits", train_frac=0.8, fact_frac=0.1, seed=1))
    scale = np.abs(s.x_train).max()
    # per-feature mean 0 (constant pixels stay 0) within float32 rounding of the data's magnitude
    assert np.abs(s.x_train.mean(0)).max() < 1e-5 * scale
    assert s.n_classes == 10


@pytest.mark.parametrize("classes", ["1", "1,1", "a,b", "-1,2"])
def test_bad_class_lists_name_the_field(classes):
    with pytest.raises(ConfigError) as e:
        TrainConfig(task="images", classes=classes)
    assert e.value.field == "classes"


def test_a_class_the_data_set_lacks_is_a_config_error():
    with pytest.raises(ConfigError) as e:
        make_split(TrainConfig(task="images", dataset="digits", classes="3,12"))
    assert e.value.field == "classes"
