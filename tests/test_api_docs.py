"""docs/api.md is generated from the library, and every name in it is a torch name."""

import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import gen_api_docs  # noqa: E402

# Names we add on purpose that torch does not have (teaching aids), each with its reason.
NOT_IN_TORCH = {
    "tl.Function": "torch.autograd.Function, exposed at the top level for chapter 4",
    "tl.get_printoptions": "torch keeps it private (torch._tensor_str.get_printoptions)",
}


def test_api_table_is_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_api_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/gen_api_docs.py"


def test_every_listed_name_exists_in_torch():
    missing = []
    for name, *_ in gen_api_docs.package_names():
        if name not in NOT_IN_TORCH and not hasattr(torch, name.removeprefix("tl.")):
            missing.append(name)
    for name, *_ in gen_api_docs.tensor_methods():
        if not hasattr(torch.Tensor, name.removeprefix("Tensor.")):
            missing.append(name)
    assert not missing, f"not torch names (rename, or add to NOT_IN_TORCH with a reason): {missing}"
