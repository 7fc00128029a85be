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
        // ---- The stage loop ----------------------------------------------------------------

        /// <summary>The stage indices along every reduce axis of the flat stage <paramref name="stage"/>.</summary>
        private IEnumerable<IrStmt> StageIndices(IrExpr stage, Variable[] into)
        {
            long after = 1;
            for (var j = _reduce.Length - 1; j >= 0; j--)
            {
                yield return new IrStmt.Declare(into[j], DivRem(stage, after, StagesAlong(j)));
                after *= StagesAlong(j);
            }
        }

        private IEnumerable<IrStmt> StageLoop()
        {
            var staged = Enumerable.Range(0, _reads.Length).Where(Staged).ToArray();
            var st = Int("g_st");
            var next = _stageIndex.Select(v => Int(v.Name.Replace("g_kx", "g_nx", StringComparison.Ordinal))).ToArray();
            var body = new List<IrStmt>();
            var prologue = new List<IrStmt>();
            // Where stage st's boxes are: with two buffers, the one of its parity.
            _parity = _double ? Int("g_par") : null;
            IrExpr.Linear Current(int r) => _parity is null ? IrExpr.Lin(0) : IrExpr.Lin(_parity, _a.Layout(r, _s).StoredElements);
            IrExpr.Linear Other(int r) => IrExpr.Sum([(-_a.Layout(r, _s).StoredElements, _parity!)], _a.Layout(r, _s).StoredElements);
            // The stage after this one; the last stage loads itself again instead, because a
            // conditional load would keep ptxas from overlapping it with the computation (it
            // then holds the next stage's shared loads in registers: 217 registers instead of
            // 129 for a 128x128 GEMM tile). One redundant stage per block is the price.
            var following = new IrExpr.Binary(BinaryOperator.Min, IrExpr.Sum([(1, st)], 1), new IrExpr.Int(StageCount - 1));

            if (_async)
            {
                // The prologue copies stage 0 into buffer 0.
                var first = new List<IrStmt>(StageIndices(FirstStage, next));
                foreach (var r in staged)
                {
                    first.AddRange(Copy(r, next, CopyPart.Async, IrExpr.Lin(0), "n"));
                }
                prologue.Add(new IrStmt.Seq([.. first], Scoped: true));
                prologue.Add(new IrStmt.WaitAsyncCopies());
                prologue.Add(new IrStmt.Barrier());
            }
            if (_prefetch)
            {
                // The prologue fills the registers (and, with two buffers, buffer 0) with stage 0.
                var first = new List<IrStmt>(StageIndices(FirstStage, next));
                foreach (var r in staged)
                {
                    first.AddRange(Copy(r, next, CopyPart.Load, IrExpr.Lin(0), "n"));
                }
                prologue.AddRange(staged.SelectMany(DeclarePrefetchRegisters));
                prologue.Add(new IrStmt.Seq([.. first], Scoped: true));
                if (_double)
                {
                    foreach (var r in staged)
                    {
                        prologue.AddRange(Copy(r, next, CopyPart.Store, IrExpr.Lin(0), "n"));
                    }
                    prologue.Add(new IrStmt.Barrier());
                }
            }

            // With split-K the loop counts this block's stages; st is the stage of the whole reduction.
            var local = Split > 1 ? Int("g_sl") : st;
            if (Split > 1)
            {
                body.Add(new IrStmt.Declare(st, IrExpr.Sum([(StagesPerBlock, _splitIndex), (1, local)])));
            }
            body.AddRange(StageIndices(IrExpr.Of(st), _stageIndex));
            foreach (var register in _conditionRegisters)
            {
                // Adds 0 (a stage index is below 2^31), which ptxas cannot see: the register changes in
                // the loop, so ptxas tests its bits where they are used, one instruction each, instead of
                // hoisting every bit into a register of its own before the loop.
                body.Add(new IrStmt.Assign(register, new IrExpr.Binary(BinaryOperator.Add, IrExpr.Of(register),
                    new IrExpr.Binary(BinaryOperator.IndexDivide, IrExpr.Of(local), new IrExpr.Int(1L << 31)))));
            }
            if (_parity is not null)
            {
                // The block's first stage is in buffer 0 (the prologue's).
                body.Add(new IrStmt.Declare(_parity, new IrExpr.Binary(BinaryOperator.IndexRemainder, IrExpr.Of(local), new IrExpr.Int(2))));
            }
            body.AddRange(StageBases());
            if (!_double)
            {
                foreach (var r in staged)
                {
                    body.AddRange(Copy(r, _stageIndex, _prefetch ? CopyPart.Store : CopyPart.Whole, Current(r), ""));
                }
                if (staged.Length > 0)
                {
                    body.Add(new IrStmt.Barrier());
                }
            }
            var loadNext = new List<IrStmt>(StageIndices(following, next));
            foreach (var r in staged)
            {
                // Asynchronous copies go straight into the other buffer, which every thread finished reading
                // before the last barrier; they land while this stage computes.
                loadNext.AddRange(_async ? Copy(r, next, CopyPart.Async, Other(r), "n") : Copy(r, next, CopyPart.Load, IrExpr.Lin(0), "n"));
            }
            // A block of one stage has no next stage to load: the prologue's loads are all it needs.
            var ahead = (_prefetch || _async) && StagesPerBlock > 1;
            if (ahead)
            {
                // The next stage's global loads are in flight while this stage computes.
                body.Add(new IrStmt.Seq([.. loadNext], Scoped: true));
            }
            body.Add(ReducePoints());
            if (_double && ahead && !_async)
            {
                // Into the other buffer, which every thread finished reading before the last barrier.
                var storeNext = new List<IrStmt>();
                foreach (var r in staged)
                {
                    storeNext.AddRange(Copy(r, next, CopyPart.Store, Other(r), "n"));
                }
                body.Add(new IrStmt.Seq([.. storeNext], Scoped: true));
            }
            if (_async && ahead)
            {
                body.Add(new IrStmt.WaitAsyncCopies());
            }
            if (staged.Length > 0)
            {
                // Single buffer: the next stage overwrites the boxes, so wait until every thread has read them.
                // Two buffers: the stores (or the copies waited for) above must be visible before the next stage reads them.
                body.Add(new IrStmt.Barrier());
            }
            foreach (var statement in prologue)
            {
                yield return statement;
            }
            yield return new IrStmt.For(local, 0, StagesPerBlock, 1, Unroll: false, new IrStmt.Seq([.. body]));
        }

        /// <summary>The block's first stage: 0, or the start of its slice with split-K.</summary>
        private IrExpr FirstStage => Split > 1 ? IrExpr.Sum([(StagesPerBlock, _splitIndex)]) : new IrExpr.Int(0);

        private IEnumerable<IrStmt> DeclarePrefetchRegisters(int r)
        {
            var plan = _a.Copy(r, _s);
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                if (plan.VectorLoad)
                {
                    yield return new IrStmt.Declare(new Variable($"g_p{r}_{it}", IrTypes.FloatOfWidth(plan.Width)), null);
                }
                else
                {
                    for (var u = 0; u < plan.Width; u++)
                    {
                        yield return new IrStmt.Declare(new Variable($"g_p{r}_{it}_{u}", IrType.Float), null);
                    }
                }
            }
        }

        private readonly Dictionary<int, Variable> _stageBase = [];
        private readonly Dictionary<(int, int), Variable> _stageCoordinate = [];

        /// <summary>Per stage, the global reads' addresses and checked coordinates at the stage's first point.</summary>
        private IEnumerable<IrStmt> StageBases()
        {
            for (var r = 0; r < _reads.Length; r++)
            {
                if (Staged(r))
                {
                    continue;
                }
                var read = _reads[r];
                var stagePart = GlobalStagePart(r);
                if (_globalVectors.TryGetValue(r, out var vectors))
                {
                    var vectorStage = Int($"g_gs{r}v");
                    _stageVectorBase[r] = vectorStage;
                    yield return new IrStmt.Declare(vectorStage, IrExpr.Sum((1, IrExpr.Lin(_globalVectorBase[r])), (1, DividedBy(stagePart, vectors.Width))));
                }
                if (!_globalBase.ContainsKey(r))
                {
                    continue;
                }
                var variable = Int($"g_gs{r}");
                _stageBase[r] = variable;
                yield return new IrStmt.Declare(variable, IrExpr.Sum((1, IrExpr.Lin(_globalBase[r])), (1, stagePart)));
                for (var d = 0; d < read.Indices.Count; d++)
                {
                    if (_coordinateBase.TryGetValue((r, d), out var coordinate))
                    {
                        var stageCoordinate = Int($"g_gcs{r}_{d}");
                        _stageCoordinate[(r, d)] = stageCoordinate;
                        yield return new IrStmt.Declare(stageCoordinate, IrExpr.Sum((1, IrExpr.Lin(coordinate)), (1, StageOnly(read.Indices[d]))));
                    }
                }
            }
        }

        /// <summary>The stage origins' part of a global read's flat address.</summary>
        private IrExpr.Linear GlobalStagePart(int r)
        {
            var read = _reads[r];
            var strides = RowMajorStrides(_tensor[read.Tensor].Shape);
            return IrExpr.Sum([.. Enumerable.Range(0, read.Indices.Count).Select(d => (strides[d], StageOnly(read.Indices[d])))]);
        }

        /// <summary>The stage origins' part of an index (reduce axes only).</summary>
        private IrExpr.Linear StageOnly(AffineIndex index) =>
            IrExpr.Sum(index.Terms.Where(t => ReduceIndex(t.Axis) >= 0)
                .Select(t => (t.Coefficient * (long)_s.ReduceStep[ReduceIndex(t.Axis)], _stageIndex[ReduceIndex(t.Axis)])));
    }
}
