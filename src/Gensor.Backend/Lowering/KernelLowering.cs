using System.Collections.Immutable;
using Gensor.Analysis;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>
/// Lowers one ETIR to a <see cref="KernelIr"/>: the kernel every thread of a
/// block runs, with every size a constant.
/// </summary>
/// <remarks>
/// The kernel's shape, for one block:
/// <list type="number">
/// <item>The block index picks the block tile; the thread index picks a reduce
/// lane (fastest, when reduce threads share each output) and the thread's
/// position in the tile, innermost spatial axis next, so neighbouring threads
/// touch neighbouring addresses.</item>
/// <item>Per reduction stage, the staged inputs' boxes are copied into shared
/// memory by all threads together (<see cref="CopyPlan"/>, laid out as
/// <see cref="StagedLayout"/> says), with the box coordinates of each thread's
/// chunks computed once before the stage loop; with the register prefetch the
/// next stage's chunks are loaded while this one computes, and with two
/// buffers one barrier per stage suffices; asynchronous copies (<c>async=1</c>)
/// send them by <c>cp.async</c> straight into the other buffer instead.</item>
/// <item>Per reduce point of the stage (its inner loops unrolled as far as
/// <see cref="OperatorAnalysis.UnrolledReduceLoops"/> says, the next one by
/// <see cref="OperatorAnalysis.PartialUnrollFactor"/>), each read's distinct operands
/// over the thread tile are loaded once, four at a time where they are
/// contiguous in shared memory, and every output of the thread tile
/// accumulates: for a matrix product the outer product of a column of A and
/// a row of B.</item>
/// <item>Reduce lanes combine their partial results by warp shuffles, then
/// across warps through shared memory.</item>
/// <item>The epilogue, and the stores, four at a time where they are contiguous.</item>
/// </list>
/// Every address is a base computed once per thread or per stage plus a
/// constant, and bounds checks are written only where a static range analysis
/// of the indices over the padded iteration space shows a read can leave its tensor.
/// The lowerer is written in one file per part of that kernel: this one (the thread's
/// coordinates and the reads' bases), <c>.Copies</c>, <c>.Stages</c>, <c>.ReducePoints</c>
/// and <c>.Stores</c> (with the reduction across threads).
/// </remarks>
public static partial class KernelLowering
{
    /// <summary>Lanes of a warp on every target Gensor lowers for (NVIDIA GPUs and ILGPU's CPU accelerator as configured).</summary>
    public const int WarpSize = 32;

    /// <summary>The kernel of <paramref name="state"/>, before any pass.</summary>
    /// <exception cref="ArgumentException">The schedule does not fit the operator (see <see cref="OperatorAnalysis.CheckStructure"/>).</exception>
    public static KernelIr Lower(EtirState state)
    {
        var problem = OperatorAnalysis.Of(state.Operator).CheckStructure(state.Schedule);
        if (problem is not null)
        {
            throw new ArgumentException($"cannot lower {state}: {problem}", nameof(state));
        }
        return new Lowerer(state.Operator, state.Schedule).Run();
    }

    private sealed partial class Lowerer
    {
        private readonly Operator _op;
        private readonly Schedule _s;
        private readonly OperatorAnalysis _a;
        private readonly Axis[] _spatial;
        private readonly Axis[] _reduce;
        private readonly TensorRead[] _reads;
        private readonly Dictionary<string, KernelBuffer> _parameter = [];
        private readonly Dictionary<string, Tensor> _tensor = [];
        private readonly int[][] _elements;
        private readonly KernelBuffer?[] _shared;
        private readonly List<KernelBuffer> _sharedBuffers = [];
        private readonly bool _prefetch;
        private readonly bool _double;
        private readonly bool _async;

        // Thread coordinates: block index and thread index per spatial axis, the reduce lane.
        private readonly Variable[] _blockIndex;
        private readonly Variable[] _threadIndex;
        private readonly Variable? _lane;
        // Per stage: stage index per reduce axis; per point: the point's offset per reduce axis.
        private readonly Variable[] _stageIndex;
        private readonly Variable[] _point;
        private readonly Variable[] _acc;
        private Variable? _parity;
        private readonly Variable _splitIndex = new("g_split", IrType.Int);

        public Lowerer(Operator op, Schedule schedule)
        {
            _op = op;
            _s = schedule;
            _a = OperatorAnalysis.Of(op);
            _spatial = [.. op.SpatialAxes];
            _reduce = [.. op.ReduceAxes];
            _reads = [.. op.BodyReads];
            var tensors = new[] { op.Output }.Concat(op.Inputs).ToArray();
            // Parameter names and order come from the launch contract, which the runner and the launcher share.
            var contract = LaunchContract.Of(new EtirState(op, schedule));
            for (var i = 0; i < tensors.Length; i++)
            {
                _tensor[tensors[i].Name] = tensors[i];
                _parameter[tensors[i].Name] = new KernelBuffer(contract.Tensors[i].Parameter, BufferScope.Global, tensors[i].ElementCount, tensors[i].Name)
                {
                    Element = tensors[i].Type,
                    Address = contract.Addresses.FirstOrDefault(address => address.TensorIndex == i)?.Parameter,
                };
            }
            _elements = ThreadTileElements();
            _prefetch = schedule.RegisterPrefetch && schedule.SharedInputs.Count > 0;
            _async = schedule.AsyncCopy && schedule.SharedInputs.Count > 0;
            _double = (_prefetch || _async) && schedule.SharedBuffers == 2;
            _shared = new KernelBuffer?[_reads.Length];
            for (var r = 0; r < _reads.Length; r++)
            {
                if (_s.IsShared(_reads[r].Tensor))
                {
                    var layout = _a.Layout(r, _s);
                    _shared[r] = new KernelBuffer($"g_s{r}", BufferScope.Shared, layout.StoredElements * (_double ? 2 : 1), _reads[r].Tensor);
                    _sharedBuffers.Add(_shared[r]!);
                }
            }
            _blockIndex = [.. Enumerable.Range(0, Rank).Select(a => Int($"g_b{a}"))];
            _threadIndex = [.. Enumerable.Range(0, Rank).Select(a => Int($"g_t{a}"))];
            _lane = Lanes > 1 ? Int("g_rl") : null;
            _laneRun = _a.ReduceLaneRun(schedule);
            _stageIndex = [.. Enumerable.Range(0, _reduce.Length).Select(j => Int($"g_kx{j}"))];
            _point = [.. Enumerable.Range(0, _reduce.Length).Select(j => Int($"g_kk{j}"))];
            _acc = [.. Enumerable.Range(0, _elements.Length).Select(e => new Variable($"g_acc{e}", IrType.Float))];
            Rolled = _reduce.Length - OperatorAnalysis.UnrolledReduceLoops(schedule);
        }

        private int Rank => _spatial.Length;

        private int Lanes => _s.ReduceThreads;

        /// <summary>Consecutive innermost reduce points a lane takes before the next lane's (<see cref="OperatorAnalysis.ReduceLaneRun"/>).</summary>
        private readonly int _laneRun;

        private int Threads => _s.ThreadsPerBlock;

        private int Inner => _reduce.Length - 1;

        /// <summary>Reduce positions per unit of reduce loop <paramref name="j"/>'s variable: the lanes' runs for the innermost (ReducePoints), else 1.</summary>
        private long PointScale(int j) => j == Inner ? (long)Math.Max(1, Lanes) * _laneRun : 1;

        private static Variable Int(string name) => new(name, IrType.Int);

        private long BlocksAlong(int a) => ((long)_spatial[a].Extent + _s.BlockTile[a] - 1) / _s.BlockTile[a];

        /// <summary>Blocks that cover the output once: one per block tile.</summary>
        private long SpatialGrid => Enumerable.Range(0, Rank).Aggregate(1L, (product, a) => product * BlocksAlong(a));

        /// <summary>Every block: with split-K, the block tiles once per slice of the reduction.</summary>
        private long GridSize => SpatialGrid * Split;

        private int Split => _s.SplitReduce;

        /// <summary>Stages each block runs: its slice of the reduction.</summary>
        private long StagesPerBlock => StageCount / Split;

        private long StagesAlong(int j) => ((long)_reduce[j].Extent + _s.ReduceStep[j] - 1) / _s.ReduceStep[j];

        private long StageCount => _a.StageCount(_s);

        private int Chunk(int a) => _s.ThreadTile[a] / _s.VirtualThreads[a];

        private bool Staged(int r) => _shared[r] is not null;

        private int SpatialIndex(string axis) => Array.FindIndex(_spatial, a => a.Name == axis);

        private int ReduceIndex(string axis) => Array.FindIndex(_reduce, a => a.Name == axis);

        /// <summary>Every position of the thread tile, as one offset per spatial axis, row-major.</summary>
        private int[][] ThreadTileElements()
        {
            IEnumerable<int[]> elements = [[]];
            for (var a = 0; a < Rank; a++)
            {
                var tile = _s.ThreadTile[a];
                elements = elements.SelectMany(prefix => Enumerable.Range(0, tile).Select(i => prefix.Append(i).ToArray()));
            }
            return [.. elements];
        }

        /// <summary>
        /// The offset of thread-tile position <paramref name="i"/> along spatial axis <paramref name="a"/>
        /// from the thread's base: virtual-thread chunk c of ThreadTile/v consecutive outputs starts BlockTile/v * c into the block.
        /// </summary>
        private long LocalOffset(int a, int i) => (long)i / Chunk(a) * (_s.BlockTile[a] / _s.VirtualThreads[a]) + i % Chunk(a);

        private static long[] RowMajorStrides(IReadOnlyList<int> shape)
        {
            var strides = new long[shape.Count];
            long stride = 1;
            for (var d = shape.Count - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }
            return strides;
        }

        /// <summary>
        /// An index of a read as an affine form of the kernel's variables. Spatial axis a is
        /// block a's origin + thread a's base + <paramref name="local"/>(a) when
        /// <paramref name="withThread"/>, else only the block's origin; reduce axis j is the
        /// stage origin (when <paramref name="withStage"/>) + the point (when <paramref name="withPoint"/>)
        /// + the reduce lane's run on the innermost axis (when <paramref name="withThread"/>) and
        /// the place <paramref name="inRun"/> in it (when <paramref name="withPoint"/>).
        /// </summary>
        private IrExpr.Linear Index(AffineIndex index, bool withThread, bool withStage, bool withPoint, Func<int, long>? local = null, long constant = 0, long inRun = 0)
        {
            var terms = new List<(long, Variable)>();
            var c = constant;
            foreach (var term in index.Terms)
            {
                var a = SpatialIndex(term.Axis);
                if (a >= 0)
                {
                    terms.Add((term.Coefficient * (long)_s.BlockTile[a], _blockIndex[a]));
                    if (withThread)
                    {
                        terms.Add((term.Coefficient * (long)Chunk(a), _threadIndex[a]));
                        c += term.Coefficient * (local?.Invoke(a) ?? 0);
                    }
                    continue;
                }
                var j = ReduceIndex(term.Axis);
                if (withStage)
                {
                    terms.Add((term.Coefficient * (long)_s.ReduceStep[j], _stageIndex[j]));
                }
                if (withPoint)
                {
                    terms.Add((term.Coefficient * PointScale(j), _point[j]));
                    c += j == Inner ? term.Coefficient * inRun : 0;
                }
                if (withThread && j == Inner && _lane is not null)
                {
                    terms.Add((term.Coefficient * _laneRun, _lane));
                }
            }
            return IrExpr.Sum(terms, c);
        }

        /// <summary>Whether index <paramref name="d"/> of read <paramref name="r"/> can leave its tensor (<see cref="OperatorAnalysis.IndexCanLeave"/>).</summary>
        private bool NeedsCheck(int r, int d, bool reduceGuarded) => _a.IndexCanLeave(r, d, _s, reduceGuarded);

        /// <summary>
        /// Whether index <paramref name="d"/> of an epilogue read can leave its tensor; stores are
        /// guarded, so the spatial coordinates stay inside their real extents there.
        /// </summary>
        private bool EpilogueNeedsCheck(TensorRead read, int d)
        {
            var (min, max) = read.Indices[d].Range(axis => _op.AxisNamed(axis).Extent);
            return min < 0 || max >= _tensor[read.Tensor].Shape[d];
        }

        public KernelIr Run()
        {
            var body = new List<IrStmt>();
            body.AddRange(ThreadCoordinates());
            var init = _op.Reduction == Reduction.Max ? double.NegativeInfinity : 0.0;
            body.AddRange(_acc.Select(acc => (IrStmt)new IrStmt.Declare(acc, new IrExpr.Float(init))));
            body.AddRange(ThreadBases());
            body.AddRange(CopyCoordinates());
            body.AddRange(StageLoop());
            body.AddRange(CrossThreadReduction());
            body.AddRange(Stores());
            return new KernelIr(
                [.. new[] { _op.Output }.Concat(_op.Inputs).Select(t => _parameter[t.Name])],
                [.. _sharedBuffers],
                new IrStmt.Seq([.. body]),
                GridSize,
                Threads)
            {
                OneSharedAllocation = _async,
            };
        }

        // ---- Thread coordinates -------------------------------------------------------------

        private IEnumerable<IrStmt> ThreadCoordinates()
        {
            var block = Int("g_block");
            var tid = Int("g_tid");
            yield return new IrStmt.Declare(block, new IrExpr.Special(SpecialValue.BlockIndex));
            yield return new IrStmt.Declare(tid, new IrExpr.Special(SpecialValue.ThreadIndex));
            if (Split > 1)
            {
                // The slice is the slowest index: blocks that run together share a slice's inputs.
                yield return new IrStmt.Declare(_splitIndex, new IrExpr.Binary(BinaryOperator.IndexDivide, IrExpr.Of(block), new IrExpr.Int(SpatialGrid)));
            }
            // Innermost spatial axis fastest, for blocks and threads alike.
            long after = 1;
            for (var a = Rank - 1; a >= 0; a--)
            {
                yield return new IrStmt.Declare(_blockIndex[a], DivRem(IrExpr.Of(block), after, BlocksAlong(a)));
                after *= BlocksAlong(a);
            }
            IrExpr spatialThread = IrExpr.Of(tid);
            if (_lane is not null)
            {
                // The reduce lanes of one output are neighbouring threads, inside one warp when they fit.
                yield return new IrStmt.Declare(_lane, new IrExpr.Binary(BinaryOperator.IndexRemainder, IrExpr.Of(tid), new IrExpr.Int(Lanes)));
                var ts = Int("g_ts");
                yield return new IrStmt.Declare(ts, new IrExpr.Binary(BinaryOperator.IndexDivide, IrExpr.Of(tid), new IrExpr.Int(Lanes)));
                spatialThread = IrExpr.Of(ts);
            }
            after = 1;
            for (var a = Rank - 1; a >= 0; a--)
            {
                var along = _s.ThreadsAlong(a);
                yield return new IrStmt.Declare(_threadIndex[a], DivRem(spatialThread, after, along));
                after *= along;
            }
        }

        /// <summary>(value / divisor) % modulus, written without the operations that are identities.</summary>
        private static IrExpr DivRem(IrExpr value, long divisor, long modulus) =>
            modulus == 1 ? new IrExpr.Int(0) : new IrExpr.Binary(BinaryOperator.IndexRemainder, Quotient(value, divisor), new IrExpr.Int(modulus));

        /// <summary>value / divisor, without the division when the divisor is 1.</summary>
        private static IrExpr Quotient(IrExpr value, long divisor) =>
            divisor == 1 ? value : new IrExpr.Binary(BinaryOperator.IndexDivide, value, new IrExpr.Int(divisor));

        // ---- Per-thread bases of every read -------------------------------------------------

        private readonly Dictionary<int, Variable> _sharedBase = [];
        private readonly Dictionary<int, Variable> _sharedQuadBase = [];
        private readonly Dictionary<int, (KernelBuffer Scalar, KernelBuffer? Quad)> _sharedWindows = [];
        private readonly Dictionary<int, Variable> _globalBase = [];
        private readonly Dictionary<int, GlobalVectors> _globalVectors = [];
        private readonly Dictionary<int, Variable> _globalVectorBase = [];
        private readonly Dictionary<int, Variable> _stageVectorBase = [];
        private readonly Dictionary<(int, int), Variable> _coordinateBase = [];

        /// <summary>
        /// What every read's addresses share across the whole reduction: for a staged read the
        /// thread's offset in the box, for a global read its flat address and the coordinates the
        /// bounds checks need, without the stage and point parts.
        /// </summary>
        private IEnumerable<IrStmt> ThreadBases()
        {
            for (var r = 0; r < _reads.Length; r++)
            {
                var read = _reads[r];
                if (Staged(r))
                {
                    var (form, quad) = StagedBase(r);
                    var variable = Int($"g_sb{r}");
                    _sharedBase[r] = variable;
                    yield return new IrStmt.Declare(variable, form);
                    if (quad is not null)
                    {
                        var quadVariable = Int($"g_sb{r}q");
                        _sharedQuadBase[r] = quadVariable;
                        yield return new IrStmt.Declare(quadVariable, quad);
                    }
                    if (SharedWindowFits(r))
                    {
                        var shared = _shared[r]!;
                        _sharedWindows[r] = (
                            shared with { Name = $"g_sw{r}" },
                            quad is null ? null : shared with { Name = $"g_sw{r}q" });
                    }
                    continue;
                }
                var strides = RowMajorStrides(_tensor[read.Tensor].Shape);
                var flat = IrExpr.Sum(Enumerable.Range(0, read.Indices.Count)
                    .Select(d => (strides[d], Index(read.Indices[d], withThread: true, withStage: false, withPoint: false, constant: read.Indices[d].Constant))).ToArray());
                var tensor = _tensor[read.Tensor];
                _windows[r] = new KernelBuffer($"g_gw{r}", BufferScope.Global, tensor.ElementCount, read.Tensor) { Element = tensor.Type };
                if (PlanGlobalVectors(r, flat) is { } vectors)
                {
                    _globalVectors[r] = vectors;
                    var vectorBase = Int($"g_gb{r}v");
                    _globalVectorBase[r] = vectorBase;
                    yield return new IrStmt.Declare(vectorBase, DividedBy(flat, vectors.Width));
                    continue;
                }
                var global = Int($"g_gb{r}");
                _globalBase[r] = global;
                yield return new IrStmt.Declare(global, flat);
                for (var d = 0; d < read.Indices.Count; d++)
                {
                    if (NeedsCheck(r, d, reduceGuarded: true))
                    {
                        var coordinate = Int($"g_gc{r}_{d}");
                        _coordinateBase[(r, d)] = coordinate;
                        yield return new IrStmt.Declare(coordinate, Index(read.Indices[d], withThread: true, withStage: false, withPoint: false, constant: read.Indices[d].Constant));
                    }
                }
            }
        }

        /// <summary>
        /// The thread's offset in the staged box of <paramref name="r"/> (its spatial position and
        /// reduce lane), and the same in 4-element units when every operand offset the kernel adds
        /// to it keeps 128-bit alignment; null otherwise.
        /// </summary>
        private (IrExpr.Linear Form, IrExpr.Linear? Quad) StagedBase(int r)
        {
            var read = _reads[r];
            var layout = _a.Layout(r, _s);
            var terms = new List<(long, Variable)>();
            long constant = 0;
            for (var d = 0; d < read.Indices.Count; d++)
            {
                var stride = layout.Strides[d];
                constant -= stride * layout.Box.Offsets[d];
                foreach (var term in read.Indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    if (a >= 0)
                    {
                        terms.Add((stride * term.Coefficient * Chunk(a), _threadIndex[a]));
                    }
                    else if (ReduceIndex(term.Axis) == Inner && _lane is not null)
                    {
                        terms.Add((stride * term.Coefficient * _laneRun, _lane));
                    }
                }
            }
            var form = IrExpr.Sum(terms, constant);
            var aligned = _a.QuadAlignedOperands(r, _s);
            return (form, aligned ? DividedBy(form, 4) : null);
        }
    }
}
