"""Prior (model) side of the RAF state evolution, one module per learner.

A model turns the loss-side conjugates (m̂, q̂, V̂) into its own overlaps, and its overlaps into the
effective (m, q, V) of the predictor the loss sees. State vectors are numpy arrays so the damped
iteration in ``theory.state_evolution`` is model-agnostic.
"""

from rulesfacts.theory.models.base import Model
from rulesfacts.theory.models.kernel import Kernel
from rulesfacts.theory.models.linear import Linear
from rulesfacts.theory.models.random_features import RandomFeatures

__all__ = ["Kernel", "Linear", "Model", "RandomFeatures"]
