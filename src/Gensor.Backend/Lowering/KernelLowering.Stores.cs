using System.Collections.Immutable;
using Gensor.Analysis;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

public static partial class KernelLowering
{
    private sealed partial class Lowerer
    {
        // ---- Reduction across threads ------------------------------------------------------

        private IEnumerable<IrStmt> CrossThreadReduction()
        {
            if (_lane is null)
            {
                yield break;
            }
            IrExpr Combine(IrExpr x, IrExpr y) => new IrExpr.Binary(_op.Reduction == Reduction.Max ? BinaryOperator.Max : BinaryOperator.Add, x, y);
            // Butterfly within each warp's share of the lanes: afterwards every lane holds the warp's result.
            for (var mask = Math.Min(Lanes, WarpSize) / 2; mask >= 1; mask /= 2)
            {
                foreach (var acc in _acc)
                {
                    yield return new IrStmt.Assign(acc, Combine(IrExpr.Of(acc), new IrExpr.ShuffleXor(IrExpr.Of(acc), mask)));
                }
            }
            if (Lanes <= WarpSize)
            {
                yield break;
            }
            // Across warps: the first lane of each warp leaves its result in shared memory.
            var warps = Lanes / WarpSize;
            var scratch = new KernelBuffer("g_red", BufferScope.Shared, OperatorAnalysis.ReductionScratchElements(_s, WarpSize), "");
            _sharedBuffers.Add(scratch);
            var ts = Int("g_ts");
            var warp = Int("g_rw");
            yield return new IrStmt.Declare(warp, new IrExpr.Binary(BinaryOperator.IndexDivide, IrExpr.Of(_lane), new IrExpr.Int(WarpSize)));
            var first = new IrExpr.InRange(new IrExpr.Binary(BinaryOperator.IndexRemainder, IrExpr.Of(_lane), new IrExpr.Int(WarpSize)), 1);
            var writes = _acc.Select((acc, e) => (IrStmt)new IrStmt.Store(scratch,
                IrExpr.Sum([((long)_acc.Length * warps, ts), (1, warp)], (long)e * warps), IrExpr.Of(acc), 1));
            yield return new IrStmt.If(first, new IrStmt.Seq([.. writes]));
            yield return new IrStmt.Barrier();
            var sums = new List<IrStmt>();
            for (var e = 0; e < _acc.Length; e++)
            {
                for (var w = 1; w < warps; w++)
                {
                    sums.Add(new IrStmt.Assign(_acc[e], Combine(IrExpr.Of(_acc[e]),
                        new IrExpr.Load(scratch, IrExpr.Sum([((long)_acc.Length * warps, ts)], (long)e * warps + w), 1))));
                }
            }
            yield return new IrStmt.If(new IrExpr.InRange(IrExpr.Of(_lane), 1), new IrStmt.Seq([.. sums]));
        }

        // ---- Epilogue and stores -----------------------------------------------------------

        /// <summary>Where the thread's tile starts along spatial axis <paramref name="a"/> of the output.</summary>
        private IrExpr.Linear OutputOrigin(int a) => IrExpr.Sum([((long)_s.BlockTile[a], _blockIndex[a]), (Chunk(a), _threadIndex[a])]);

        private IEnumerable<IrStmt> Stores()
        {
            var output = _op.Output;
            var strides = RowMajorStrides(output.Shape);
            var stores = new List<IrStmt>();
            var done = new HashSet<int>();
            // The thread's origin in the output, per axis and flat, once: every store is that plus a
            // constant. Written out in each store, ptxas recomputes it inside every guarded branch
            // (three IMADs per store of a split-K convolution's 32 outputs).
            var origins = new IrExpr.Linear[Rank];
            for (var a = 0; a < Rank; a++)
            {
                origins[a] = OutputOrigin(a);
                if (_spatial[a].Extent % _s.BlockTile[a] != 0 && _elements.Length > 1)
                {
                    var variable = Int($"g_oc{a}");
                    stores.Add(new IrStmt.Declare(variable, origins[a]));
                    origins[a] = IrExpr.Lin(variable);
                }
            }
            var origin = IrExpr.Sum([.. Enumerable.Range(0, Rank).Select(a => (strides[a], OutputOrigin(a)))]);
            var target = _parameter[output.Name];
            // Split-K blocks add their partial sums one element at a time: no vectors.
            var storeWidth = Split > 1 ? 1 : StoreWidth();
            if (_elements.Length > 1 && Enumerable.Range(0, Rank).All(a => _spatial[a].Extent % _s.BlockTile[a] == 0))
            {
                // Every output of every thread exists, so a window of the output at the thread's origin
                // stays inside it, and each store is the window plus a constant.
                target = new KernelBuffer("g_ow", BufferScope.Global, output.ElementCount, output.Name) { Element = output.Type };
                // Of vectors as wide as the stores (VectorGroup's rules make the origin a whole number of them);
                // a 16-bit output has no vector view and stores its lanes one by one.
                var unit = output.Type == ElementType.F32 ? storeWidth : 1;
                stores.Add(new IrStmt.DeclareWindow(target, _parameter[output.Name], DividedBy(origin, unit), unit));
                origin = IrExpr.Lin(0);
            }
            else if (_elements.Length > 1)
            {
                // In vectors when the stores are (they index vectors): that many times the variable.
                // VectorGroup's rules make the origin a whole number of them.
                var variable = Int(storeWidth == 1 ? "g_ob" : $"g_ob{storeWidth}");
                stores.Add(new IrStmt.Declare(variable, DividedBy(origin, storeWidth)));
                origin = IrExpr.Lin(variable, storeWidth);
            }
            for (var e = 0; e < _elements.Length; e++)
            {
                if (done.Contains(e))
                {
                    continue;
                }
                var group = Split > 1 ? [e] : VectorGroup(e);
                foreach (var member in group)
                {
                    done.Add(member);
                }
                var element = _elements[e];
                var coordinates = Enumerable.Range(0, Rank).Select(a => IrExpr.Sum((1, origins[a]), (1, IrExpr.Lin(LocalOffset(a, element[a]))))).ToArray();
                IrExpr? guard = null;
                for (var a = 0; a < Rank; a++)
                {
                    if (_spatial[a].Extent % _s.BlockTile[a] != 0)
                    {
                        IrExpr check = new IrExpr.Binary(BinaryOperator.Less, coordinates[a], new IrExpr.Int(_spatial[a].Extent));
                        guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
                    }
                }
                var offset = Enumerable.Range(0, Rank).Sum(a => strides[a] * LocalOffset(a, element[a]));
                var flat = IrExpr.Sum((1, origin), (1, IrExpr.Lin(offset)));
                IrStmt store;
                if (group.Length > 1)
                {
                    var values = group.Select(member => EpilogueValue(member)).ToArray();
                    store = new IrStmt.Store(target, DividedBy(flat, group.Length), new IrExpr.Pack([.. values]), group.Length);
                }
                else if (Split > 1)
                {
                    store = new IrStmt.AtomicAdd(target, flat, IrExpr.Of(_acc[e]));
                }
                else
                {
                    store = new IrStmt.Store(target, flat, EpilogueValue(e), 1);
                }
                stores.Add(guard is null ? store : new IrStmt.If(guard, store));
            }
            IrStmt all = new IrStmt.Seq([.. stores]);
            if (_lane is not null)
            {
                // Every reduce lane holds the result (lane 0 after the warps' combination); lane 0 stores it.
                all = new IrStmt.If(new IrExpr.InRange(IrExpr.Of(_lane), 1), all);
            }
            yield return all;
        }

        /// <summary>The width of the thread's vector stores (<see cref="VectorGroup"/>), 1 when it has none.</summary>
        private int StoreWidth() => Enumerable.Range(0, _elements.Length).Max(e => VectorGroup(e).Length);

        /// <summary>
        /// The thread-tile positions stored together with position <paramref name="e"/>: four (else
        /// two) consecutive outputs along the innermost axis that start an aligned vector of the
        /// output and fall inside or outside it together; else <paramref name="e"/> alone.
        /// </summary>
        private int[] VectorGroup(int e)
        {
            var last = Rank - 1;
            var element = _elements[e];
            foreach (var width in new[] { 4, 2 })
            {
                if (last < 0 || Chunk(last) % width != 0 || _spatial[last].Extent % width != 0 || _s.BlockTile[last] % width != 0 || LocalOffset(last, element[last]) % width != 0)
                {
                    continue;
                }
                // Positions are row-major with the innermost axis fastest, so the next ones follow.
                if (e + width - 1 < _elements.Length && Enumerable.Range(1, width - 1).All(i => _elements[e + i][last] == element[last] + i))
                {
                    return [.. Enumerable.Range(e, width)];
                }
            }
            return [e];
        }

        /// <summary>
        /// The epilogue at thread-tile position <paramref name="e"/>: a read of the output tensor is the
        /// accumulated value; other tensors are read from global memory at the output's coordinates.
        /// </summary>
        private IrExpr EpilogueValue(int e)
        {
            if (_op.Epilogue is null)
            {
                return IrExpr.Of(_acc[e]);
            }
            var element = _elements[e];
            var coordinate = Enumerable.Range(0, Rank).ToDictionary(a => _spatial[a].Name,
                a => OutputOrigin(a) with { Constant = LocalOffset(a, element[a]) });
            return Convert(_op.Epilogue, read =>
            {
                if (read.Tensor == _op.Output.Name)
                {
                    return IrExpr.Of(_acc[e]);
                }
                var tensor = _tensor[read.Tensor];
                var strides = RowMajorStrides(tensor.Shape);
                var index = read.Indices.Select(index => IrExpr.Sum([.. index.Terms.Select(t => ((long)t.Coefficient, coordinate[t.Axis])), (1, IrExpr.Lin(index.Constant))])).ToArray();
                IrExpr load = new IrExpr.Load(_parameter[read.Tensor], IrExpr.Sum(Enumerable.Range(0, index.Length).Select(d => (strides[d], index[d])).ToArray()), 1);
                IrExpr? guard = null;
                for (var d = 0; d < index.Length; d++)
                {
                    if (EpilogueNeedsCheck(read, d))
                    {
                        IrExpr check = new IrExpr.InRange(index[d], tensor.Shape[d]);
                        guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
                    }
                }
                return guard is null ? load : new IrExpr.Select(guard, load, new IrExpr.Float(0));
            }, () => { });
        }
    }
}
