"""Helpers shared by the test suites: a real Kubernetes control plane and the tool binaries."""
