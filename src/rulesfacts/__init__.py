"""rulesfacts: does a network learn the rule, or memorize the facts?"""

__version__ = "0.1.0"

from rulesfacts.errors import ConfigError, DataFileError, RulesfactsError  # noqa: E402
from rulesfacts.train.config import TrainConfig  # noqa: E402
from rulesfacts.train.rundir import Run, load_run  # noqa: E402
from rulesfacts.train.trainer import RunResult, train, train_ensemble  # noqa: E402

__all__ = ["ConfigError", "DataFileError", "Run", "RulesfactsError", "RunResult", "TrainConfig",
           "__version__", "load_run", "train", "train_ensemble"]
