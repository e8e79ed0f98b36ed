"""Sensor kinds, one package each (``camera/``), and what their readers share: ``Frame``, health
instruments (rates, back-off, grades, state changes) and the drop-oldest queue.
"""
