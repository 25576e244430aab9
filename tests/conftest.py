"""Shared pytest setup: hypothesis profiles sized for a 2-core CI machine."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile(  # a real GPU: every new dtype/op pair compiles a CuPy kernel (~0.5 s), so fewer cases
    "gpu", max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# TL_TEST_DEVICE=cuda runs the whole parity suite with tensors made on the GPU (with
# TINYGRAD_LESSONS_SIMULATE_CUDA=1: the simulated one), comparing with torch on the CPU.
if os.environ.get("TL_TEST_DEVICE", "cpu") != "cpu":
    import tinygrad_lessons as tl

    tl.set_default_device(os.environ["TL_TEST_DEVICE"])


# Chapter 1's tests check CPU-side facts (NumPy memory sharing, bfloat16, torch's CPU repr text);
# devices have their own tests (test_ch5_devices.py). The device run covers the operations.
_CPU_ONLY_MODULES = ("test_ch1_", "test_api_docs", "test_torch_names", "test_grading", "test_course", "test_release",
                     "test_browser", "test_instructor")


def pytest_collection_modifyitems(config, items):
    device = os.environ.get("TL_TEST_DEVICE", "cpu")
    if device == "cpu":
        return
    import pytest

    skip = pytest.mark.skip(reason=f"CPU-only test module: not part of the TL_TEST_DEVICE={device} run")
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1].startswith(_CPU_ONLY_MODULES):
            item.add_marker(skip)


@pytest.fixture
def simulated():
    """The simulated CUDA device for one test, yielding ``device('cuda')`` (also on a machine with a real
    GPU: only the simulated one's work can be counted, ``tl.utils.device_work``)."""
    import tinygrad_lessons as tl
    from tinygrad_lessons import backend

    was = backend.simulating()
    backend.simulate_cuda(True)
    yield tl.device("cuda")
    backend.simulate_cuda(was)
