"""What is computed from the sweeps for the views: paths, steps, trace, Jacobian, check, descent,
the annotated graph, the derived program and the Hessian."""
