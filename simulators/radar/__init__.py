"""The radar simulator: the scenario world rendered as radar plots and tracks, encoded in the protocols
real radars speak (NMEA 0183 TTM/TLL, TI mmWave UART TLV, ASTERIX CAT-048), with noise, clutter,
dropouts and injected link faults; served on a pseudo-terminal (serial) or as UDP datagrams."""
