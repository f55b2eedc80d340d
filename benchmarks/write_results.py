"""Write benchmarks/RESULTS.md from results/*.json (ours) and results/*.md (other benchmarks).

    python benchmarks/write_results.py
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from rulesfacts.io import write_text

HERE = Path(__file__).parent
RESULTS = HERE / "results"
OTHER_SECTIONS = ("sweep_throughput", "theory_speed", "memorize_scale")


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _same_round_ratio(a: dict, b: dict) -> float:
    """Median over rounds of rate(a) / rate(b), from the per-round seconds per model-epoch."""
    return statistics.median(tb / ta for ta, tb in zip(a["seconds_per_model_epoch"], b["seconds_per_model_epoch"],
                                                       strict=True))


def machine_lines(m: dict) -> list[str]:
    flags = ", ".join(k for k, v in m["flags"].items() if v)
    return [f"- CPU: {m['cpu']}, {m['cores']} cores; flags: {flags}",
            f"- torch {m['torch']} (oneDNN: {m['mkldnn']}), Python {m['python']}",
            f"- 1-minute load average when the run ended: {m['load_avg_1min']:.1f} (the machine is shared)"]


def trainer_section(t: dict) -> list[str]:
    out = ["## Trainer throughput", "", f"Command: `{t['command']}` (torch threads = {t['threads']}).", "",
           "| p | N | variant | model-epochs/s | useful GFLOP/s | % of fp32 peak | × baseline | peak MB |",
           "|---|---|---|---|---|---|---|---|"]
    for r in t["trainer"]:
        peak_mb = r.get("peak_mb")
        out.append(f"| {r['p']} | {r['width']} | {r['variant']} | {r['model_epochs_per_s']:.2f} | "
                   f"{r['gflops_useful']:.2f} | {100 * r['fraction_of_fp32_peak']:.0f}% | "
                   f"{r['speedup_vs_baseline']:.2f} | {'' if peak_mb is None else f'{peak_mb:.0f}'} |")
    out += ["", "Matmul peak measured in the same rounds (1024×1024, median GFLOP/s): " +
            ", ".join(f"{k} {v:.1f}" for k, v in t["matmul_peak_gflops"].items()), ""]
    return out


def targets_section(t: dict, phase: dict | None) -> list[str]:
    rows = {(r["p"], r["variant"]): r for r in t["trainer"]}
    out = ["## Targets of issue #10", ""]
    small = rows.get((23, "fp32 M=64"))
    if small:
        ok = small["speedup_vs_baseline"] >= 10
        out.append(f"- Small size (p=23, N=64), ensemble of 64 vs the baseline: "
                   f"**×{small['speedup_vs_baseline']:.1f}** (target ≥ 10×: {'met' if ok else 'missed'}).")
    ref = [r for (p, v), r in rows.items() if p == 97 and v.startswith("fp32 M=")]
    if ref:
        best = max(ref, key=lambda r: r["model_epochs_per_s"])
        out.append(f"- Reference size (p=97, N=500), fastest fp32 ({best['variant']}): "
                   f"**{100 * best['fraction_of_fp32_peak']:.0f}%** of the fp32 matmul peak in useful GFLOP/s "
                   f"(target ≥ 60%: {'met' if best['fraction_of_fp32_peak'] >= 0.6 else 'missed'}), "
                   f"**×{best['speedup_vs_baseline']:.2f}** the baseline (target ≥ 1.5×: "
                   f"{'met' if best['speedup_vs_baseline'] >= 1.5 else 'missed'}).")
    pairs = [(rows[(97, f"bf16 M={m}")], rows[(97, f"fp32 M={m}")]) for (p, v) in rows
             if p == 97 and v.startswith("fp32 M=") and (m := v.split("=")[1]) and (97, f"bf16 M={m}") in rows]
    if pairs:
        ratios = ", ".join(f"M={f['members']}: ×{_same_round_ratio(b, f):.2f}" for b, f in pairs)
        best = max(_same_round_ratio(b, f) for b, f in pairs)
        out.append(f"- bf16 vs fp32 at the reference size (same-round ratios): {ratios} "
                   f"(target ≥ 2×: {'met' if best >= 2 else 'missed'}).")
    if phase:
        pts = " · ".join(f"wd {a['wd']:g} @ {a['epoch']}: {a['phase']} / {b['phase']}"
                         for a, b in zip(phase["float32"]["points"], phase["bfloat16"]["points"], strict=True))
        ratio = phase["wall_time_ratio_fp32_over_bf16"]
        out.append(f"- Same final phase fp32 / bf16 on the reference points: **{phase['all_same_phase']}** ({pts}); "
                   f"wall time of the two ensemble runs (run side by side) fp32/bf16: ×{ratio:.2f}.")
    est = t.get("diagram_estimate") or {}
    if est:
        out += ["", f"Full weight-decay phase diagram of the paper ({est['runs']} runs × {est['epochs']} epochs, p=97, "
                f"N=500) at the measured throughput: **baseline {est['baseline_hours']} h**, ours fp32 "
                f"{est['ours_fp32_hours']} h, ours bf16 {est['ours_bf16_hours']} h, on one process with one thread "
                "of this shared machine (a sweep runs one such process per core)."]
    return out + [""]


def extra_tables(t: dict) -> list[str]:
    out = ["## Threads and block size", "", "| threads | p | N | M | ms / model-epoch |", "|---|---|---|---|---|"]
    out += [f"| {r['threads']} | {r['p']} | {r['width']} | {r['members']} | {1e3 * r['seconds_per_model_epoch']:.3f} |"
            for r in t["thread_table"]]
    out += ["", "| block (floats) | p | N | M | ms / model-epoch |", "|---|---|---|---|---|"]
    out += [f"| 2^{r['block_log2']} | {r['p']} | {r['width']} | {r['members']} | "
            f"{1e3 * r['seconds_per_model_epoch']:.3f} |" for r in t["block_table"]]
    return out + [""]


def plot_throughput(t: dict, path: Path) -> Path:
    """Model-epochs/s against ensemble size, fp32 and bf16, with the baseline as a line, per size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rulesfacts.report.plots import save_figure

    sizes = sorted({(r["p"], r["width"]) for r in t["trainer"]}, reverse=True)
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 3.6))
    for ax, (p, width) in zip(list(getattr(axes, "flat", [axes])), sizes, strict=True):
        rows = [r for r in t["trainer"] if r["p"] == p]
        for prefix, color in (("fp32 M=", "#1f77b4"), ("bf16 M=", "#ff7f0e")):
            pts = sorted((r["members"], r["model_epochs_per_s"]) for r in rows if r["variant"].startswith(prefix))
            ax.plot(*zip(*pts, strict=True), "o-", color=color, label=f"ours {prefix[:4]}")
        base = next(r["model_epochs_per_s"] for r in rows if r["variant"] == "baseline")
        ax.axhline(base, color="#7f7f7f", ls="--", label="baseline (one model + AdamW per run)")
        ax.set(xscale="log", yscale="log", xlabel="ensemble size M", ylabel="model-epochs / s",
               title=f"p={p}, N={width} (1 thread, shared CPU)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def _demote(markdown: str) -> str:
    """Headings of an included section one level below ours (# → ###, ## → ###)."""
    return "\n".join("### " + line.lstrip("#").lstrip() if line.startswith("#") else line
                     for line in markdown.splitlines())


def main() -> None:
    t, peak, phase = _load("trainer"), _load("matmul_peak"), _load("bf16_phase")
    lines = ["# Benchmark results", "",
             "How to read these numbers: the machine is shared with other busy processes, so every comparison "
             "is measured in one process with the compared variants interleaved round by round (A B A B ...), "
             "and each ratio is the median of the ratios measured in the same round. Absolute rates drift with "
             "the load; ratios are the result. Definitions (useful FLOPs, baseline) are in the docstring of "
             "`rulesfacts.cli.bench`; `rulesfacts bench --json` runs a quick version of all of it.", ""]
    if t:
        lines += ["## Machine", "", *machine_lines(t["machine"]), ""]
        lines += targets_section(t, phase) + trainer_section(t) + extra_tables(t)
        earlier = _load("trainer_high_load")
        if earlier:
            lines += [f"## The same benchmark at higher load (results/trainer_high_load.json, load "
                      f"{earlier['machine']['load_avg_1min']:.1f} at its end)", "",
                      "| p | variant | model-epochs/s | % of fp32 peak | × baseline |", "|---|---|---|---|---|"]
            lines += [f"| {r['p']} | {r['variant']} | {r['model_epochs_per_s']:.2f} | "
                      f"{100 * r['fraction_of_fp32_peak']:.0f}% | {r['speedup_vs_baseline']:.2f} |"
                      for r in earlier["trainer"]]
            lines += ["", f"Diagram estimate at that load: {earlier['diagram_estimate']}", ""]
        fig = plot_throughput(t, HERE.parent / "docs" / "figures" / "performance-throughput.png")
        lines += [f"![throughput](../docs/figures/{fig.name})", ""]
    if peak:
        lines += ["## Matmul peak (`python benchmarks/bench_matmul_peak.py`)", "",
                  "| dtype | threads | n | median GFLOP/s | max GFLOP/s |", "|---|---|---|---|---|"]
        lines += [f"| {r['dtype']} | {r['threads']} | {r['n']} | {r['gflops_median']:.1f} | {r['gflops_max']:.1f} |"
                  for r in peak["rows"]]
        lines.append("")
    lines += ["## Other benchmarks", ""]
    for name in OTHER_SECTIONS:
        md = RESULTS / f"{name}.md"
        if md.is_file():
            lines += [_demote(md.read_text().strip()), ""]
        else:
            lines += [f"- `{name}`: not written yet (results/{name}.md).", ""]
    write_text(HERE / "RESULTS.md", "\n".join(lines))


if __name__ == "__main__":
    main()
