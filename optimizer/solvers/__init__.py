"""Solver plumbing shared by every model: output silencing, HiGHS and CP-SAT status words, the lexicographic LP.

- :mod:`.silence`: keep file descriptor 1 clean of C-level solver banners (``--json`` promises one document
  on stdout): :func:`~.silence.quiet_highs`, :func:`~.silence.stdout_to_stderr`, :func:`~.silence.divert_stdout`;
- :mod:`.highs_status`: one mapping of ``highspy.HighsModelStatus`` to the contract's words;
- :mod:`.cpsat`: one CP-SAT set-up (time limit, seed, workers, search fields; the log on stderr) and one
  mapping of ``CpSolverStatus`` to the contract's words, used by rostering, deployment and surgery;
- :mod:`.lexicographic`: one driver for LPs solved tier by tier (each tier's optimum kept while the next
  tier optimises), used by the distribution allocation and the central-supply split.
"""
