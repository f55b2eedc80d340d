"""How fast this machine runs the science, measured against its own limit: the Python API of
``rulesfacts bench`` and of the scripts in ``benchmarks/`` (which call it with larger settings).

Everything is measured in one process and compared as ratios of interleaved runs (A B A B ...,
medians), because the machines are shared and absolute times drift.

- ``timing``: the one timer (``seconds``);
- ``machine``: what the numbers were measured on (``machine_info``) and the process's memory;
- ``gemm``: the matmul peak (``MatmulPeak``) and the hand-written path's block GEMMs;
- ``trainer``: the trainer and the one-model-at-a-time baseline as clocks, their useful FLOPs and
  peak memory;
- ``suite``: ``BenchConfig``, the tables and ``run_bench`` (what ``rulesfacts bench`` runs).

Useful FLOPs of one full-batch epoch of the paper's network are the model's own count
(``EnsembleModel.train_flops`` and ``eval_flops``, multiply and add counted as two). For n training
and n_test test examples, width N, C = p classes, logging every k epochs:

- output layer, forward h·W_outᵀ and backward (∂W_out = hᵀg, ∂h = g·W_out): 3 · 2nNC;
- first layer as the sum of two weight rows (the one-hot product done without multiplying by
  zeros), forward and its scatter-add backward: nN + 2nN;
- evaluation of the test set every k epochs: (2·n_test·N·C + n_test·N) / k. (The train metrics
  come from the training forward pass, so they cost nothing extra.)

At p = 97, N = 500, α = 0.5 that is 1.42 GFLOP per model-epoch. The one-hot matmul of the
straightforward baseline (2·n·2p·N per product) is *not* useful work: both implementations are
credited with the same useful FLOPs, so GFLOP/s compare honestly.
"""
