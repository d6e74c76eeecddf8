"""Inception Designer: design Inception-style CNNs as a node graph."""

__version__ = "0.1.0"
