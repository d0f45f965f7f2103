"""Engines that run a compiled plan."""
