"""Radar as a sensor kind: protocol parsers (NMEA 0183 TTM/TLL, TI mmWave UART TLV, ASTERIX CAT-048),
readers (serial, UDP), CFAR on the range-Doppler map, and the point tracker (see docs/radar.md)."""
