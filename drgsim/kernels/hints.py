"""A hint kernels give the CPU: fetch an array's element into the caches before it is read."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the CPU to fetch `array[index]` (one-dimensional, C order) into its caches, for a
    read soon (LLVM's llvm.prefetch): no effect on any value, none at all where the CPU has no
    such instruction; the index is not checked (a fetch never faults)."""
    if (
        not isinstance(array, types.Array)
        or array.ndim != 1
        or not isinstance(index, types.Integer)
    ):
        return None
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        ty = signature.args[0]
        ary = context.make_array(ty)(context, builder, args[0])
        at = cgutils.get_item_pointer(
            context, builder, ty, ary, [args[1]], wraparound=False, boundscheck=False
        )
        byte = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        # a read (0), kept in every cache level (3), of data (1)
        builder.call(fn, [builder.bitcast(at, byte), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
