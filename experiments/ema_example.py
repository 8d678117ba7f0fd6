"""EMA Workbench example: explore binnenstad with uncertainties, levers and replications.

    pip install -e ".[ema]"
    python experiments/ema_example.py            # about 1 minute on 2 cores

Uncertainties: the scenario (baseline or a Platform31 future), the strength of vacancy contagion
and a multiplier on the online share of fashion spending. Levers: the compaction policy and its
intensity. Outcomes: vacancy, footfall, shop revenue ... (mean over 2 replicates that share
their seeds across experiments: common random numbers). See sim/batch/ema.py.
"""

from ema_workbench import MultiprocessingEvaluator, ema_logging

from sim.batch.ema import ema_model

if __name__ == "__main__":
    ema_logging.log_to_stderr(ema_logging.INFO)
    model = ema_model(
        town="small",
        scenarios=["baseline", "binnenstad_united", "exclusieve_binnenstad"],
        policies=["none", "compaction"],
        uncertainties={"contagion_strength": (0.5, 2.0),
                       "trajectories.online_share_fashion": (0.8, 1.2)},
        levers={"compaction:intensity": (0.5, 2.0)},
        replicates=2, years=3,
    )
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=8, policies=2)
    print(experiments.head())
    for name, values in outcomes.items():
        print(f"{name:20s} mean {values.mean():.4g}  range {values.min():.4g} .. "
              f"{values.max():.4g}")
