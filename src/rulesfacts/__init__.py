"""rulesfacts: does a network learn the rule, or memorize the facts?"""

from rulesfacts.config.train import TrainConfig
from rulesfacts.errors import ConfigError, DataFileError, RulesfactsError
from rulesfacts.runtime import package_version
from rulesfacts.training.rundir import Run, load_run
from rulesfacts.training.trainer import RunResult, Trainer, train, train_ensemble

__version__ = package_version()

__all__ = ["ConfigError", "DataFileError", "Run", "RulesfactsError", "RunResult", "TrainConfig", "Trainer",
           "__version__", "load_run", "train", "train_ensemble"]
