"""Export and hardware emulation (PyNN, SpiNNaker, NIR)."""
