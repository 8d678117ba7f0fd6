"""The interactive app: a Mesa `SolaraViz` page of the centre (``binnenstad viz``).

- `sim.viz.adapter`: every read of the model's internals (one place to edit when the core
  changes);
- `sim.viz.settings`: the controls and how they become a town, a scenario and levers;
- `sim.viz.model`: `CentreApp`, the Mesa model the page drives;
- `sim.viz.components`: the map and the charts;
- `sim.viz.app`: the page; `sim.viz.server`: serving it offline.

Importing this package does not import Solara; `sim.viz.app` and `sim.viz.components` do.
"""
