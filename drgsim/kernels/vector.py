"""A helper kernels call to add four floats into four neighbouring elements as one vector add."""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def add4(typingctx: Any, acc: Any, at: Any, x0: Any, x1: Any, x2: Any, x3: Any) -> Any:
    """acc[at + i] += x_i for i in 0 … 3 (acc a contiguous float64 array, at an unsigned index
    with at + 3 inside it, unchecked), as one 4-wide load, add and store.

    Each lane of a vector add is the IEEE addition of its two numbers, so the sums are the four
    scalar additions' to the bit; numba does not vectorize these itself (the four numbers come
    from four arrays), and one store instead of four is what a scattered sum is limited by.
    """
    xs = (x0, x1, x2, x3)
    if not (
        isinstance(acc, types.Array)
        and acc.dtype == types.float64
        and acc.layout == "C"
        and isinstance(at, types.Integer)
        and all(x == types.float64 for x in xs)
    ):
        return None  # numba then refuses the call: only float64 adds into float64 arrays
    sig = types.void(acc, at, *xs)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array, index, *xs = args
        data = context.make_array(signature.args[0])(context, builder, array).data
        four = ir.VectorType(ir.DoubleType(), 4)
        where = builder.bitcast(builder.gep(data, [index]), four.as_pointer())
        added = ir.Constant(four, ir.Undefined)
        for lane, x in enumerate(xs):
            added = builder.insert_element(added, x, ir.Constant(ir.IntType(32), lane))
        builder.store(builder.fadd(builder.load(where, align=8), added), where, align=8)
        return context.get_dummy_value()

    return sig, codegen
