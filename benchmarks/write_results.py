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


def md_table(head: list[str], rows: list[list[object]]) -> list[str]:
    """A markdown table: a header row, the rule, one line per row (cells already formatted)."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + \
        ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _same_round_ratio(a: dict, b: dict) -> float:
    """Median over rounds of rate(a) / rate(b), from the per-round seconds per model-epoch."""
    ta_s, tb_s = (x.get("rounds", x["seconds_per_model_epoch"]) for x in (a, b))
    return statistics.median(tb / ta for ta, tb in zip(ta_s, tb_s, strict=True))


def machine_lines(m: dict) -> list[str]:
    flags = ", ".join(k for k, v in m["flags"].items() if v)
    return [f"- CPU: {m['cpu']}, {m['cores']} cores; flags: {flags}",
            f"- torch {m['torch']} (oneDNN: {m['mkldnn']}), Python {m['python']}",
            f"- 1-minute load average when the run ended: {m['load_avg_1min']:.1f} (the machine is shared)"]


def trainer_section(t: dict) -> list[str]:
    out = ["## Trainer throughput", "", f"Command: `{t['command']}` (torch threads = {t['threads']}).", ""]
    head = ["p", "N", "variant", "model-epochs/s", "useful GFLOP/s", "% of fp32 peak", "× baseline", "peak MB"]
    out += md_table(head,
                    [[r["p"], r["width"], r["variant"], f"{r['model_epochs_per_s']:.2f}", f"{r['gflops_useful']:.2f}",
                      f"{100 * r['fraction_of_fp32_peak']:.0f}%", f"{r['speedup_vs_baseline']:.2f}",
                      "" if r.get("peak_mb") is None else f"{r['peak_mb']:.0f}"] for r in t["trainer"]])
    out += ["", "Matmul peak measured in the same rounds (1024×1024, median GFLOP/s): " +
            ", ".join(f"{k} {v:.1f}" for k, v in t["matmul_peak_gflops"].items()), ""]
    return out


def targets_section(t: dict, phase: dict | None) -> list[str]:
    rows = {(r["p"], r["variant"]): r for r in t["trainer"]}
    out = ["## Targets of issue #10", ""]
    small = {v: r for (p, v), r in rows.items() if p == 23 and v.endswith(" M=64") and "autograd" not in v}
    if small:
        best = max(small.values(), key=lambda r: r["speedup_vs_baseline"])
        each = ", ".join(f"{v} ×{r['speedup_vs_baseline']:.1f}" for v, r in small.items())
        ok = best["speedup_vs_baseline"] >= 10
        out.append(f"- Small size (p=23, N=64), ensemble of 64 vs the baseline, one core each: "
                   f"**×{best['speedup_vs_baseline']:.1f}** ({best['variant']}; target ≥ 10×: "
                   f"{'met' if ok else 'missed'}). All variants: {each}.")
    pairs = [(o, b) for o, b in thread_pairs(t) if o["p"] == 23]
    best_base = min((b for _, b in pairs), key=lambda b: b["seconds_per_model_epoch"], default=None)
    for o, b in pairs:
        if o["threads"] > 1 and best_base is not None:
            out.append(f"- The same with both cores' threads for both (torch's default here, as the paper's script "
                       f"runs): **×{_same_round_ratio(o, b):.1f}**; against the baseline's faster setting "
                       f"({best_base['threads']} thread{'s' if best_base['threads'] > 1 else ''}): "
                       f"×{best_base['seconds_per_model_epoch'] / o['seconds_per_model_epoch']:.1f} "
                       "(Threads table below; the per-core figure above is the one the target is judged on).")
    ref = [r for (p, v), r in rows.items() if p == 97 and v.startswith("fp32 M=")]
    if ref:
        best = max(ref, key=lambda r: r["model_epochs_per_s"])
        out.append(f"- Reference size (p=97, N=500), fastest fp32 ({best['variant']}): "
                   f"**{100 * best['fraction_of_fp32_peak']:.0f}%** of the fp32 matmul peak in useful GFLOP/s "
                   f"(target ≥ 60%: {'met' if best['fraction_of_fp32_peak'] >= 0.6 else 'missed'}), "
                   f"**×{best['speedup_vs_baseline']:.2f}** the baseline (target ≥ 1.5×: "
                   f"{'met' if best['speedup_vs_baseline'] >= 1.5 else 'missed'}).")
    for kind in ("", "compiled "):
        pairs = [(rows[(97, f"bf16 {kind}M={m}")], r) for (p, v), r in rows.items()
                 if p == 97 and v == f"fp32 {kind}M={(m := r['members'])}" and (97, f"bf16 {kind}M={m}") in rows]
        if pairs:
            ratios = ", ".join(f"M={f['members']}: ×{_same_round_ratio(b, f):.2f}" for b, f in pairs)
            low = [str(f["members"]) for b, f in pairs if _same_round_ratio(b, f) < 2]
            verdict = "met at every M" if not low else "missed" if len(low) == len(pairs) \
                else f"missed at M={', '.join(low)}"
            out.append(f"- bf16 vs fp32 at the reference size, both {kind or 'eager '}(same-round ratios): {ratios} "
                       f"(target ≥ 2×: {verdict}).")
    mixed = [(rows[(97, f"bf16 compiled M={m}")], r) for (p, v), r in rows.items()
             if p == 97 and v == f"fp32 M={(m := r['members'])}" and (97, f"bf16 compiled M={m}") in rows]
    if mixed:
        out.append("- bf16 compiled vs the default fp32 path (eager), for comparison only (not like for like): " +
                   ", ".join(f"M={f['members']}: ×{_same_round_ratio(b, f):.2f}" for b, f in mixed) + ".")
    ceiling = t.get("gemm_ceiling")
    if ceiling:
        out.append(f"- The ceiling of that ratio: the three GEMMs alone on one activation block "
                   f"({ceiling['block_rows']}×{ceiling['width']}, {ceiling['classes']} classes) run "
                   f"×{ceiling['bf16_over_fp32']:.2f} faster in bf16 (the CPU's bf16 matmul peak is about twice "
                   "its fp32 peak); the rest of an epoch (gather, activation, scatter, optimizer) is no faster in "
                   "bf16, so a like-for-like epoch stays below the GEMMs' ratio.")
    if phase:
        pts = " · ".join(f"wd {a['wd']:g} @ {a['epoch']}: {a['phase']} / {b['phase']}"
                         for a, b in zip(phase["float32"]["points"], phase["bfloat16"]["points"], strict=True))
        ratio = phase["wall_time_ratio_fp32_over_bf16"]
        out.append(f"- Same final phase fp32 / bf16 on the reference points: **{phase['all_same_phase']}** ({pts}); "
                   f"wall time of the two ensemble runs (run side by side) fp32/bf16: ×{ratio:.2f}.")
        if "bfloat16_compiled" in phase:
            pts = " · ".join(f"wd {a['wd']:g}: {a['phase']} / {c['phase']} (test {a['test_acc']:.3f} / "
                             f"{c['test_acc']:.3f})" for a, c in zip(phase["float32"]["points"],
                                                                  phase["bfloat16_compiled"]["points"], strict=True))
            same = phase["same_phase_compiled"]
            out.append(f"- The same with bf16 on the compiled path: same phase at **{sum(same)} of {len(same)}** "
                       f"points ({pts}).")
    est = t.get("diagram_estimate") or {}
    if est:
        out += ["", f"Full weight-decay phase diagram of the paper ({est['runs']} runs × {est['epochs']} epochs, p=97, "
                f"N=500) at the measured throughput: **baseline {est['baseline_hours']} h**, ours fp32 "
                f"{est['ours_fp32_hours']} h, ours bf16 {est['ours_bf16_hours']} h, on one process with one thread "
                "of this shared machine (a sweep runs one such process per core)."]
    return out + [""]


def thread_pairs(t: dict) -> list[tuple[dict, dict]]:
    """(ours, baseline) rows of the thread table measured at the same size and thread count."""
    rows = t["thread_table"]
    return [(o, b) for o in rows if o.get("variant") == "ours" for b in rows
            if b.get("variant") == "baseline" and (b["p"], b["threads"]) == (o["p"], o["threads"])]


def extra_tables(t: dict) -> list[str]:
    out = ["## Threads and block size", "",
           "Ours and the baseline with 1 thread and with both cores' threads (torch's default here), "
           "interleaved in the same rounds; × baseline is the median of same-round ratios.", ""]
    out += md_table(["threads", "p", "N", "M", "ours ms / model-epoch", "baseline ms / model-epoch", "× baseline"],
                    [[o["threads"], o["p"], o["width"], o["members"], f"{1e3 * o['seconds_per_model_epoch']:.3f}",
                      f"{1e3 * b['seconds_per_model_epoch']:.3f}", f"{_same_round_ratio(o, b):.2f}"]
                     for o, b in thread_pairs(t)])
    out += ["", "Activation block size (elements of one block's activations; **bold**: the trainer's "
            "default: 2^19, 2^20 on the compiled path):", ""]
    out += md_table(["variant", "block (elements)", "p", "N", "M", "ms / model-epoch"],
                    [[r.get("variant", "fp32"), f"**2^{r['block_log2']}**" if r.get("default", r["block_log2"] == 19)
                      else f"2^{r['block_log2']}", r["p"], r["width"], r["members"],
                      f"{1e3 * r['seconds_per_model_epoch']:.3f}"] for r in t["block_table"]])
    return out + [""]


def shapes_section(sh: dict) -> list[str]:
    out = ["## GEMM shapes and bf16 elementwise (`python benchmarks/bench_shapes.py`)", "",
           "The three GEMMs of one activation block with C = p classes vs C padded to a multiple of 8 "
           "(medians of same-round ratios, 1 thread):", ""]
    out += md_table(["p", "N", "block (members × rows)", "padded C", "speed-up", "padded by the trainer"],
                    [[r["p"], r["width"], f"{r['block_members']} × {r['block_rows']}", r["padded_classes"],
                      f"×{r['speedup_padded']:.2f}", "yes" if r["padded_by_trainer"] else "no"] for r in sh["padding"]])
    e = sh["elementwise"]
    out += ["", f"Elementwise z·z on a {e['rows']}×{e['width']} block: " +
            ", ".join(f"{k} {v} {e['unit']}" for k, v in e.items() if k not in ("unit", "rows", "width")), ""]
    return out


def compile_section(c: dict) -> list[str]:
    out = ["## torch.compile (`python benchmarks/bench_compile.py`)", "",
           "`compile = true` (`--compile`, `--set compile=true`) hands the autograd path to `torch.compile` "
           "(this table) and runs the hand-written path as compiled graphs (`models/fused.py`; the "
           "\"compiled\" rows of the trainer table; \"hand-written\" here is its eager form). "
           "Model-epochs/s, medians of "
           f"{c['rounds']} interleaved rounds, {c['threads']} thread; first epoch + log pass in seconds (compilation "
           "included; inductor's on-disk cache shortens it on later runs).", ""]
    rows = []
    for r in c["cases"]:
        rate, first = r["model_epochs_per_s"], r["first_epoch_and_log_seconds"]
        manual = f"{rate['manual']:.2f}" if "manual" in rate else "n/a"
        vs_manual = f"{r['compiled_vs_manual']:.2f}" if "compiled_vs_manual" in r else "n/a"
        rows.append([r["case"], manual, f"{rate['eager']:.2f}", f"{rate['compiled']:.2f}",
                     f"{r['compiled_vs_eager']:.2f}", vs_manual, f"{first['eager']} / {first['compiled']}"])
    out += md_table(["case", "hand-written", "autograd eager", "autograd compiled", "compiled / eager",
                     "compiled / hand-written", "first epoch + log: eager / compiled (s)"], rows)
    return out + [""]


def plot_throughput(t: dict, path: Path) -> Path:
    """Model-epochs/s against ensemble size, fp32 and bf16, with the baseline as a line, per size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rulesfacts.plotting import save_figure

    sizes = sorted({(r["p"], r["width"]) for r in t["trainer"]}, reverse=True)
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 3.6))
    for ax, (p, width) in zip(list(getattr(axes, "flat", [axes])), sizes, strict=True):
        rows = [r for r in t["trainer"] if r["p"] == p]
        for prefix, color, style in (("fp32 M=", "#1f77b4", "o-"), ("bf16 M=", "#ff7f0e", "o-"),
                                     ("fp32 compiled M=", "#1f77b4", "s--"), ("bf16 compiled M=", "#ff7f0e", "s--")):
            pts = sorted((r["members"], r["model_epochs_per_s"]) for r in rows if r["variant"].startswith(prefix))
            if pts:
                ax.plot(*zip(*pts, strict=True), style, color=color, label=f"ours {prefix[:-3]}")
        base = next(r["model_epochs_per_s"] for r in rows if r["variant"] == "baseline")
        ax.axhline(base, color="#7f7f7f", ls="--", label="baseline (one model + AdamW per run)")
        ax.set(xscale="log", yscale="log", xlabel="ensemble size M", ylabel="model-epochs / s",
               title=f"p={p}, N={width} (1 thread, shared CPU)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def cpu_speed_section(c: dict) -> list[str]:
    """The CPU path's speed before and after a change, alternated in one run (cpu_speed_check.py)."""
    out = ["## The CPU path's speed, re-measured (`benchmarks/cpu_speed_check.py`)", "",
           f"Command: `{c['command']}`; {c['machine']['cpu']}, 1-minute load {c['machine']['load_avg_1min']:.1f} at "
           f"the end. Each run times the trainer and the baseline in the same interleaved rounds; runs of the "
           f"earlier code and of this one alternate. × baseline per run:", ""]
    rows = []
    for name, by_code in c["x_baseline"].items():
        med = c["median_x_baseline"][name]
        ratio = med["now"] / med["before"] if "before" in med else None
        rows.append([name, " / ".join(f"{v:.2f}" for v in by_code.get("before", [])) or "–",
                     " / ".join(f"{v:.2f}" for v in by_code["now"]),
                     "–" if ratio is None else f"{ratio:.2f}"])
    out += md_table(["variant", "before", "now", "median now / before"], rows)
    return out + [""]


GPU_FILES = ("bench_cuda", "gpu_checks")


def gpu_section() -> list[str]:
    """The GPU results (results/gpu/, written by scripts/gpu_check.sh), or how to make them."""
    gpu = RESULTS / "gpu"
    found = {n: json.loads((gpu / f"{n}.json").read_text()) for n in GPU_FILES if (gpu / f"{n}.json").is_file()}
    wd = sorted(gpu.glob("gpu_paper_wd_*.json")) if gpu.is_dir() else []
    out = ["## On a GPU", ""]
    if not found and not wd:
        return out + ["Ready to run; not measured here (no GPU was available where these results were made). "
                      "One command on a CUDA machine writes every GPU result into `benchmarks/results/gpu/`, "
                      "and this script then tables them here:", "",
                      "```bash", "scripts/gpu_check.sh benchmarks/results/gpu            # bench, checks, paperwd",
                      "python benchmarks/write_results.py", "```", "",
                      "Its parts: `rulesfacts bench --device cuda --json` (model-epochs/s against M, fp32 / TF32 / "
                      "bf16 / CUDA graphs / the CPU's blocked layout, against the card's matmul peaks), "
                      "`python benchmarks/gpu_checks.py` (no host sync between log passes, memory per member, "
                      "CUDA graph against eager, the four reference points and the `small` preset against the "
                      "CPU) and `python benchmarks/gpu_paper_wd.py --fraction F` (the paper-wd grid end to end). "
                      "On the CPU, the tests check the GPU path's math and its loop (tests/training/"
                      "test_device_step.py) and the GPU sweep plan (tests/sweep/test_devices.py).", ""]
    if "bench_cuda" in found:
        b = found["bench_cuda"]
        m = b["machine"]
        out += [f"{m['gpu']} ({m['gpu_memory_mb']} MB, {m['gpus']} visible), torch {m['torch']}, CUDA {m['cuda']}.",
                "", "Matmul peaks (TFLOP/s): " + ", ".join(f"{k} {v:.1f}" for k, v in b["matmul_peak_tflops"].items()),
                ""]
        out += md_table(["p", "N", "variant", "model-epochs/s", "useful TFLOP/s", "× fp32 at the smallest M"],
                        [[r["p"], r["width"], r["variant"],
                          f"{r['model_epochs_per_s']:.0f}" if "error" not in r else f"failed: {r['error']}",
                          f"{r['tflops_useful']:.2f}" if "error" not in r else "",
                          f"{r['x_vs_fp32_m1']:.2f}" if "x_vs_fp32_m1" in r else ""] for r in b["trainer"]])
        out += [""]
    if "gpu_checks" in found:
        out += ["Checks (`benchmarks/gpu_checks.py`):", "", "```json",
                json.dumps({k: v for k, v in found["gpu_checks"].items() if k not in ("machine",)}, indent=1)[:6000],
                "```", ""]
    for path in wd:
        r = json.loads(path.read_text())
        out += [f"- paper-wd ({r['dtype']}, {r['runs']} runs × {r['epochs']} epochs, fraction {r['fraction']}) on "
                f"{r['gpu']['gpu']}: {r['seconds']} s, {r['model_epochs_per_s']:.0f} model-epochs/s; phases "
                f"{r['phases']} (`{r['command']}`)"]
    return out + [""]


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
             "`rulesfacts.bench`; `rulesfacts bench --json` runs a quick version of all of it.", ""]
    if t:
        lines += ["## Machine", "", *machine_lines(t["machine"]), ""]
        lines += targets_section(t, phase) + trainer_section(t) + extra_tables(t)
        earlier = _load("trainer_high_load")
        if earlier:
            lines += [f"## The same benchmark at higher load (results/trainer_high_load.json, load "
                      f"{earlier['machine']['load_avg_1min']:.1f} at its end)", ""]
            lines += md_table(["p", "variant", "model-epochs/s", "% of fp32 peak", "× baseline"],
                              [[r["p"], r["variant"], f"{r['model_epochs_per_s']:.2f}",
                                f"{100 * r['fraction_of_fp32_peak']:.0f}%", f"{r['speedup_vs_baseline']:.2f}"]
                               for r in earlier["trainer"]])
            lines += ["", f"Diagram estimate at that load: {earlier['diagram_estimate']}", ""]
        fig = plot_throughput(t, HERE.parent / "docs" / "figures" / "performance-throughput.png")
        lines += [f"![throughput](../docs/figures/{fig.name})", ""]
    shapes = _load("shapes")
    if shapes:
        lines += shapes_section(shapes)
    comp = _load("compile")
    if comp:
        lines += compile_section(comp)
    if peak:
        lines += ["## Matmul peak (`python benchmarks/bench_matmul_peak.py`)", ""]
        lines += md_table(["dtype", "threads", "n", "median GFLOP/s", "max GFLOP/s"],
                          [[r["dtype"], r["threads"], r["n"], f"{r['gflops_median']:.1f}", f"{r['gflops_max']:.1f}"]
                           for r in peak["rows"]])
        lines.append("")
    speed = _load("cpu_speed_check")
    if speed:
        lines += cpu_speed_section(speed)
    lines += gpu_section()
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
