"""The deployment solver's internals: what :func:`optimizer.deployment.model.solve` orchestrates.

* ``aggregate``      recruits grouped into interchangeable classes; plans disaggregated back to named people;
* ``formulation``    the class x hospital MIP as arrays (one function per row family, column blocks);
* ``mip``            the MIP back ends (HiGHS, CBC via PuLP, CP-SAT) and the LP relaxation;
* ``greedy``         a fast feasible start; ``dual_heuristic`` plans guided by LP duals;
* ``pricing``        the LP over a priced subset of arcs (column generation); ``lagrangian`` the bound.

Nothing here is part of the model contract; import the contract from :mod:`optimizer.deployment`.
"""
