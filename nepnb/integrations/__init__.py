"""``neptune.integrations``: what Neptune's integration packages import from the client
(``utils``, ``python_logger``), and one redirect module per integration
(``neptune.integrations.optuna`` … give the names of the package that implements it).

Turn the alias on (``nepnb alias enable``) and these packages, which say ``import neptune``,
run unchanged on nepnb.
"""
