"""Local simulator of the Azure services the onboarding app calls (ARM over HTTPS).

Start it in-process with :class:`simulator.runner.Simulator` or standalone with
``python -m simulator``. It imports nothing of the app.
"""

from simulator.runner import Simulator

__all__ = ["Simulator"]
