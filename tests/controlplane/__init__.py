"""Tests of the control-plane test harness itself."""
