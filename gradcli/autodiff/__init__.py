"""The sweeps: the forward pass, the reverse sweep, forward mode, and the problem they run on."""
