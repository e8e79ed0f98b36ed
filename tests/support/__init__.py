"""Helpers the tests share (builders, waits, real service peers); no tests live here."""
