"""The sensor seam: the protocol a sensor kind implements (``kind``), the registry of kinds
(``registry``), and the one service that runs every sensor whatever its kind (``service``, ``emitter``).
"""
