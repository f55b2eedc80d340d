"""Constructed memorization networks (Yu et al. 2024 vs Park et al. 2021 vs Vardi et al. 2022) and a
trained reference MLP; every one labels its whole training set correctly, checked by evaluation.

    from rulesfacts.memorize import YuNetwork, ParkNetwork, VardiNetwork, TrainedMLP, accuracy
    from rulesfacts.memorize import ParkDeepNetwork, VardiSqrtNetwork   # the published deep narrow ones
"""

from rulesfacts.memorize.blocks import BlockMemorizer, ParkDeepNetwork, VardiSqrtNetwork
from rulesfacts.memorize.common import MemorizationError, MemorizationNet, NetInfo, accuracy
from rulesfacts.memorize.park import ParkNetwork
from rulesfacts.memorize.trained import MLPConfig, TrainedMLP
from rulesfacts.memorize.vardi import VardiNetwork
from rulesfacts.memorize.yu import YuNetwork

__all__ = ["BlockMemorizer", "MLPConfig", "MemorizationError", "MemorizationNet", "NetInfo", "ParkDeepNetwork",
           "ParkNetwork", "TrainedMLP", "VardiNetwork", "VardiSqrtNetwork", "YuNetwork", "accuracy"]
