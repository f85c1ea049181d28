"""``unmask refactor``: regenerate structurally selected spans across a codebase.

Plans are values until the end: :mod:`~unmask.refactor.discover` finds files, :mod:`~unmask.refactor.selection`
picks places in each parsed file, :mod:`~unmask.refactor.filling` fills them through workers (inline, local
processes or Ray actors) and validates every candidate by reparsing, :mod:`~unmask.refactor.changes` composes a
file's result, :mod:`~unmask.refactor.check` runs the user's ``--check``, :mod:`~unmask.refactor.runner` drives a
run, :mod:`~unmask.refactor.files` writes atomically and :mod:`~unmask.refactor.report` tells the user.
"""
