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
/// </remarks>
public static class KernelLowering
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

    private sealed class Lowerer
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

        // ---- Copies of staged boxes ---------------------------------------------------------

        /// <summary>
        /// Box coordinates of one copy chunk: its offsets in shared memory and in the tensor (for a
        /// copy through a window, from the thread's first chunk on: <see cref="CopiesThroughWindow"/>),
        /// the coordinates its bounds checks need and whether it exists, as variables or expressions;
        /// <paramref name="Setup"/> declares the variables where the chunk is copied (empty when
        /// they are declared once, before the stage loop).
        /// </summary>
        private sealed record ChunkCoordinates(IrExpr SharedOffset, IrExpr GlobalOffset, IrExpr?[] Coordinate, IrExpr? Valid, ImmutableArray<IrStmt> Setup);

        private readonly Dictionary<(int, int), ChunkCoordinates> _chunks = [];

        private bool CopyLooped(int r)
        {
            var tile = new int[_a.AxisCount];
            _a.BlockStageTile(_s, tile);
            var plan = _a.Copy(r, _s);
            return !_a.HoistsCopy(r, _s, tile, plan.Width, plan.IterationsPerThread);
        }

        /// <summary>
        /// A thread's chunks of a box lie a constant number of elements apart (threads × width), so
        /// only its first chunk's box coordinates take divisions, once, before the stage loop. Each
        /// later chunk adds the constant's digits to them where it is copied, digit by digit in the
        /// copy's runs with a carry when a digit passes its run's extent: a comparison and a
        /// selected constant per run, where a division per chunk and run costs multiply-highs and
        /// keeping every chunk's offsets costs two registers per chunk for the whole kernel.
        /// </summary>
        private IEnumerable<IrStmt> CopyCoordinates()
        {
            var tid = Int("g_tid");
            for (var r = 0; r < _reads.Length; r++)
            {
                if (!Staged(r) || CopyLooped(r))
                {
                    continue;
                }
                var plan = _a.Copy(r, _s);
                var first = IrExpr.Sum([(plan.Width, tid)]);
                // The first chunk's digit in each copy run: its coordinates, and where the later chunks start from.
                var runs = CopyRuns(r);
                var digits = new Variable[runs.Count];
                var largestDigit = new long[runs.Count];
                long after = 1;
                for (var i = runs.Count - 1; i >= 0; i--)
                {
                    // The block's threads may not reach a run's last digit (128 threads, 8 chunks of
                    // 16 elements per channel row: the channel digit stays below 8); then the digit
                    // needs no remainder, and ChunkAfterFirst drops the carries it can never make.
                    var reached = (long)plan.Width * (Threads - 1) / after;
                    largestDigit[i] = Math.Min(reached, runs[i].Extent - 1);
                    digits[i] = Int($"g_cd{r}_{i}");
                    yield return new IrStmt.Declare(digits[i], reached == 0 ? new IrExpr.Int(0) : reached < runs[i].Extent ? Quotient(first, after) : DivRem(first, after, runs[i].Extent));
                    after *= runs[i].Extent;
                }
                var (statements, chunk) = Coordinates(r, first, $"{r}", hoist: true, partial: false, digits);
                foreach (var statement in statements)
                {
                    yield return statement;
                }
                _firstChunkOffset[r] = chunk.GlobalOffset;
                for (var it = 0; it < plan.IterationsPerThread; it++)
                {
                    var step = (long)it * Threads * plan.Width;
                    var partial = (long)(it + 1) * Threads * plan.Width > plan.Elements;
                    _chunks[(r, it)] = it == 0 && !partial
                        ? CopiesThroughWindow(r) ? chunk with { GlobalOffset = new IrExpr.Int(0) } : chunk
                        : ChunkAfterFirst(r, runs, chunk, digits, largestDigit, first, step, partial);
                }
                foreach (var statement in ChunkConditionBits(r))
                {
                    yield return statement;
                }
            }
        }

        /// <summary>The bit tests that stand for the bounds checks of copy chunks, by read, chunk and lane (<see cref="ChunkConditionBits"/>).</summary>
        private readonly Dictionary<(int Read, int Chunk, int Lane), IrExpr> _guardBits = [];

        /// <summary>The registers of every staged read's condition bits (<see cref="ChunkConditionBits"/>).</summary>
        private readonly List<Variable> _conditionRegisters = [];

        /// <summary>Registers of condition bits at most, per staged read (<see cref="ChunkConditionBits"/>).</summary>
        private const int MaxConditionRegisters = 4;

        /// <summary>
        /// The conditions of a thread's copy chunks that are the same in every stage, computed once
        /// before the stage loop into the bits of a few registers, so that each is one bit test in
        /// a stage: the carries between copy runs (they depend only on the first chunk's digits) and,
        /// when no reduce axis moves a checked dimension (a stage holds every filter tap), the bounds
        /// checks of a padded convolution. ptxas has 7 predicate registers: it recomputed such
        /// conditions in every stage from the digits and coordinates, and kept the rest as bits of
        /// a register it updated in the loop (batch-1 ResNet-50's s3_conv3x3_stride2 pick: about
        /// 600 integer and predicate instructions per stage for 2,304 FFMA, 18 chunks of I and 36 of W).
        /// Rewrites the read's chunks so that their carries are the bit tests.
        /// </summary>
        private IEnumerable<IrStmt> ChunkConditionBits(int r)
        {
            var plan = _a.Copy(r, _s);
            var lanes = plan.VectorLoad ? 1 : plan.Width;
            var origin = BoxOrigin(r, _stageIndex);
            var tensor = _tensor[_reads[r].Tensor];
            bool MovesWithStage(IrExpr guard) =>
                guard.Walk().OfType<IrExpr.Linear>().Any(form => form.Terms.Any(term => _stageIndex.Contains(term.Variable)));
            var guards = Enumerable.Range(0, plan.IterationsPerThread)
                .Select(it => Enumerable.Range(0, lanes).Select(u => Guard(_chunks[(r, it)], origin, tensor, u)).ToArray()).ToArray();
            // A reduce axis moves the box across the bounds: the checks are each stage's own.
            var guardsAreBits = guards.All(lane => lane.All(g => g is null || !MovesWithStage(g)));
            var count = 0;
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                count += _chunks[(r, it)].Setup.Count(IsCarry) + (guardsAreBits ? guards[it].Count(g => g is not null) : 0);
            }
            const int bitsPerRegister = 31;
            if (count == 0 || count > MaxConditionRegisters * bitsPerRegister)
            {
                yield break;
            }
            var registers = new Variable[(count + bitsPerRegister - 1) / bitsPerRegister];
            for (var k = 0; k < registers.Length; k++)
            {
                registers[k] = Int($"g_cb{r}_{k}");
                _conditionRegisters.Add(registers[k]);
                yield return new IrStmt.Declare(registers[k], new IrExpr.Int(0));
            }
            var next = 0;
            // One bit per distinct condition (chunks a whole number of runs apart carry alike): ptxas
            // keeps each bit test it hoists in a register of its own.
            var tests = new Dictionary<IrExpr, IrExpr>();
            // Sets the next bit where the condition holds, unless a bit holds it already; returns its test.
            IrExpr Bit(IrExpr condition, IrExpr key, List<IrStmt> setting)
            {
                if (tests.TryGetValue(key, out var known))
                {
                    return known;
                }
                var register = registers[next / bitsPerRegister];
                var bit = next++ % bitsPerRegister;
                setting.Add(new IrStmt.Assign(register, new IrExpr.Binary(BinaryOperator.Add, IrExpr.Of(register),
                    new IrExpr.Select(condition, new IrExpr.Int(1L << bit), new IrExpr.Int(0)))));
                return tests[key] = new IrExpr.BitSet(IrExpr.Of(register), bit);
            }
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                var chunk = _chunks[(r, it)];
                var setting = new List<IrStmt>();
                var setup = new List<IrStmt>();
                // The setup's values in terms of hoisted names: two chunks' conditions are alike when these are.
                var values = new Dictionary<Variable, IrExpr>();
                foreach (var statement in chunk.Setup)
                {
                    if (statement is IrStmt.Declare { Init: { } init } declare)
                    {
                        values[declare.Variable] = Inlined(init, values);
                    }
                    // The carry's own computation stays before the loop, where its bit is set.
                    setup.Add(statement is IrStmt.Declare carry && IsCarry(carry)
                        ? carry with { Init = Bit(IrExpr.Of(carry.Variable), values[carry.Variable], setting) }
                        : statement);
                }
                if (guardsAreBits)
                {
                    for (var u = 0; u < lanes; u++)
                    {
                        if (guards[it][u] is { } guard)
                        {
                            _guardBits[(r, it, u)] = Bit(guard, Inlined(guard, values), setting);
                        }
                    }
                }
                if (setting.Count > 0)
                {
                    yield return new IrStmt.Seq([.. chunk.Setup, .. setting], Scoped: true);
                }
                _chunks[(r, it)] = chunk with { Setup = [.. setup] };
            }
        }

        /// <summary>
        /// <paramref name="expr"/> with the names of <paramref name="values"/> replaced by their values:
        /// a key for comparing conditions, not code (a name inside an affine form becomes a sum).
        /// </summary>
        private static IrExpr Inlined(IrExpr expr, IReadOnlyDictionary<Variable, IrExpr> values) => expr switch
        {
            IrExpr.Ref reference => values.TryGetValue(reference.Variable, out var value) ? value : reference,
            IrExpr.Linear linear when linear.Terms.Any(term => values.ContainsKey(term.Variable)) => linear.Terms
                .Where(term => values.ContainsKey(term.Variable))
                .Aggregate((IrExpr)IrExpr.Sum(linear.Terms.Where(term => !values.ContainsKey(term.Variable)), linear.Constant),
                    (sum, term) => new IrExpr.Binary(BinaryOperator.Add, sum, new IrExpr.Binary(BinaryOperator.Multiply, new IrExpr.Int(term.Coefficient), values[term.Variable]))),
            IrExpr.Binary binary => binary with { Left = Inlined(binary.Left, values), Right = Inlined(binary.Right, values) },
            IrExpr.Select select => select with { Condition = Inlined(select.Condition, values), Then = Inlined(select.Then, values), Else = Inlined(select.Else, values) },
            IrExpr.InRange range => range with { Index = Inlined(range.Index, values) },
            IrExpr.BitSet bit => bit with { Value = Inlined(bit.Value, values) },
            _ => expr,
        };

        /// <summary>A carry between copy runs in a chunk's setup (<see cref="ChunkAfterFirst"/>).</summary>
        private static bool IsCarry(IrStmt statement) => statement is IrStmt.Declare { Variable.Type: IrType.Bool, Init: not null };

        /// <summary>
        /// The bounds check of lane <paramref name="u"/> of read <paramref name="r"/>'s copy chunk
        /// <paramref name="it"/>: its bit where it has one (<see cref="ChunkConditionBits"/>), else the comparisons.
        /// </summary>
        private IrExpr? CopyGuard(int r, int it, ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, int u) =>
            _guardBits.TryGetValue((r, it, u), out var bit) ? bit : Guard(chunk, origin, tensor, u);

        /// <summary>The tensor offset of each staged read's first copy chunk (a hoisted variable), per read.</summary>
        private readonly Dictionary<int, IrExpr> _firstChunkOffset = [];

        /// <summary>
        /// Whether read <paramref name="r"/>'s copy loads through a window of the tensor at the
        /// thread's first chunk of each stage's box, so that each later chunk loads at a constant
        /// (plus the carries) from it: ptxas folds the constant into the load, where an index into
        /// the whole tensor costs a 64-bit multiply-add per chunk. Only for an unrolled copy with no
        /// bound checked: the first chunk then lies inside the tensor, even when the box is not a
        /// whole number of chunks (its coordinates wrap inside the box), and the CPU accelerator
        /// checks a window's start. Float32 tensors only: a 16-bit tensor has no vector view to cut
        /// a window of vectors from.
        /// </summary>
        private bool CopiesThroughWindow(int r) =>
            !CopyLooped(r) && _tensor[_reads[r].Tensor].Type == ElementType.F32
            && !Enumerable.Range(0, _reads[r].Indices.Count).Any(d => NeedsCheck(r, d, reduceGuarded: false));

        /// <summary>
        /// A copy chunk's load at <paramref name="index"/>. A chunk past a carry between copy runs
        /// loads at a constant plus the carry's jump where it carries (<c>c + (carry ? d : 0)</c>):
        /// as one index that is a variable, which costs a 64-bit multiply-add per load (IMAD.WIDE);
        /// as two loads at constants, one per side of the carry, ptxas folds both into the window's
        /// address and predicates them (batch-1 ResNet-50's s4_conv3x3_stride2 pick, 64 such chunks:
        /// 247 IMAD and 83 IMAD.WIDE for 144 FFMA, against 125 and 19).
        /// </summary>
        private static IrExpr LoadChunk(KernelBuffer buffer, IrExpr index, int width) =>
            ConstantAndCarry(index) is (var constant, { } condition, var jump)
                ? new IrExpr.Select(condition, new IrExpr.Load(buffer, new IrExpr.Int(constant + jump), width), new IrExpr.Load(buffer, new IrExpr.Int(constant), width))
                : new IrExpr.Load(buffer, index, width);

        /// <summary><paramref name="index"/> as a sum of constants and at most one carry (<c>carry ? jump : 0</c>), or null when it is not one.</summary>
        private static (long Constant, IrExpr? Carry, long Jump)? ConstantAndCarry(IrExpr index)
        {
            switch (index)
            {
                case IrExpr.Int constant:
                    return (constant.Value, null, 0);
                case IrExpr.Select { Then: IrExpr.Int jump, Else: IrExpr.Int { Value: 0 } } carry:
                    return (0, carry.Condition, jump.Value);
                case IrExpr.Binary { Op: BinaryOperator.Add } sum when ConstantAndCarry(sum.Left) is var (leftConstant, leftCarry, leftJump)
                    && ConstantAndCarry(sum.Right) is var (rightConstant, rightCarry, rightJump) && (leftCarry is null || rightCarry is null):
                    return (leftConstant + rightConstant, leftCarry ?? rightCarry, leftJump + rightJump);
                default:
                    return null;
            }
        }

        /// <summary>
        /// The coordinates of the chunk <paramref name="step"/> elements after the thread's first
        /// (<paramref name="first"/>, whose digits in the copy <paramref name="runs"/> are <paramref name="digits"/>):
        /// the first chunk's offsets plus the step's digits, with the carries between runs.
        /// </summary>
        private ChunkCoordinates ChunkAfterFirst(int r, List<CopyRun> runs, ChunkCoordinates first, Variable[] digits, long[] largestDigit, IrExpr.Linear element, long step, bool partial)
        {
            var plan = _a.Copy(r, _s);
            var setup = new List<IrStmt>();
            // The step's digits, innermost run last, and the carry out of each run (null: never).
            var add = new long[runs.Count];
            var rest = step;
            for (var i = runs.Count - 1; i >= 0; i--)
            {
                add[i] = rest % runs[i].Extent;
                rest /= runs[i].Extent;
            }
            add[0] += rest * runs[0].Extent;
            var carry = new IrExpr?[runs.Count];
            IrExpr? carryIn = null;
            for (var i = runs.Count - 1; i >= 1; i--)
            {
                // digit + add + carry-in passes the extent when the digit is above extent - add - carry-in - 1.
                var extent = runs[i].Extent;
                IrExpr Passes(long carried) => extent - add[i] - carried <= 0
                    ? new IrExpr.Bool(true)
                    : extent - add[i] - carried - 1 >= largestDigit[i]
                        ? new IrExpr.Bool(false)
                        : new IrExpr.Binary(BinaryOperator.Less, new IrExpr.Int(extent - add[i] - carried - 1), IrExpr.Of(digits[i]));
                IrExpr? passes = carryIn is null
                    ? add[i] == 0 ? null : Passes(0)
                    : (Passes(1), add[i] == 0 ? new IrExpr.Bool(false) : Passes(0)) switch
                    {
                        (IrExpr.Bool { Value: false }, IrExpr.Bool { Value: false }) => new IrExpr.Bool(false),
                        var (ifCarried, otherwise) => new IrExpr.Select(carryIn, ifCarried, otherwise),
                    };
                if (passes is IrExpr.Bool { Value: false })
                {
                    passes = null;
                }
                if (passes is not null)
                {
                    var variable = new Variable($"g_ck{i}", IrType.Bool);
                    setup.Add(new IrStmt.Declare(variable, passes));
                    carry[i] = IrExpr.Of(variable);
                }
                carryIn = carry[i];
            }
            var tensorStrides = RowMajorStrides(_tensor[_reads[r].Tensor].Shape);
            var layout = _a.Layout(r, _s);
            var last = _reads[r].Indices.Count - 1;
            // A digit's share of an offset, in vector units when vectorized (as Coordinates writes it).
            long Share(int i, long digit, Func<int, long> stride, bool vector)
            {
                var s = stride(runs[i].Innermost);
                return vector && runs[i].Innermost == last ? digit / plan.Width : vector ? digit * (s / plan.Width) : digit * s;
            }
            IrExpr Offset(string name, IrExpr? firstOffset, Func<int, long> stride, bool vector)
            {
                long constant = 0;
                for (var i = 0; i < runs.Count; i++)
                {
                    constant += Share(i, add[i], stride, vector);
                }
                // Without a first offset, relative to the first chunk: a constant and the carries, not bound to a variable.
                IrExpr sum = firstOffset is null ? new IrExpr.Int(constant) : IrExpr.Sum((1, Linearize(firstOffset)), (1, IrExpr.Lin(constant)));
                for (var i = 1; i < runs.Count; i++)
                {
                    // A carry out of run i: its digit wraps by the extent, the next run out moves by one.
                    var delta = Share(i - 1, 1, stride, vector) - Share(i, runs[i].Extent, stride, vector);
                    if (carry[i] is { } c && delta != 0)
                    {
                        sum = new IrExpr.Binary(BinaryOperator.Add, sum, new IrExpr.Select(c, new IrExpr.Int(delta), new IrExpr.Int(0)));
                    }
                }
                if (firstOffset is null)
                {
                    return sum;
                }
                var variable = Int(name);
                setup.Add(new IrStmt.Declare(variable, sum));
                return IrExpr.Of(variable);
            }
            var shared = Offset("g_cs", first.SharedOffset, d => layout.Strides[d], plan.VectorStore);
            var global = Offset("g_cg", CopiesThroughWindow(r) ? null : first.GlobalOffset, d => tensorStrides[d], plan.VectorLoad);
            var checks = new IrExpr?[first.Coordinate.Length];
            for (var i = 0; i < runs.Count; i++)
            {
                var d = runs[i].First;
                if (first.Coordinate[d] is null)
                {
                    continue;
                }
                // A checked dimension is a run of its own: its coordinate is its digit.
                IrExpr coordinate = IrExpr.Sum((1, IrExpr.Lin(digits[i])), (1, IrExpr.Lin(add[i])));
                if (i + 1 < runs.Count && carry[i + 1] is { } carried)
                {
                    coordinate = new IrExpr.Binary(BinaryOperator.Add, coordinate, new IrExpr.Select(carried, new IrExpr.Int(1), new IrExpr.Int(0)));
                }
                if (carry[i] is { } wrapped)
                {
                    coordinate = new IrExpr.Binary(BinaryOperator.Subtract, coordinate, new IrExpr.Select(wrapped, new IrExpr.Int(runs[i].Extent), new IrExpr.Int(0)));
                }
                var variable = Int($"g_cc{d}_");
                setup.Add(new IrStmt.Declare(variable, coordinate));
                checks[d] = IrExpr.Of(variable);
            }
            var valid = partial ? new IrExpr.Binary(BinaryOperator.Less, IrExpr.Sum((1, element), (1, IrExpr.Lin(step))), new IrExpr.Int(plan.Elements)) : null;
            return new ChunkCoordinates(shared, global, checks, valid, [.. setup]);
        }

        /// <summary>
        /// The coordinates of the chunk starting at box element <paramref name="element"/> of read
        /// <paramref name="r"/>: its offsets in shared memory and in the tensor (in vector units when
        /// the copy is vectorized), the coordinates the bounds checks need, and whether it exists;
        /// from <paramref name="digits"/>, its coordinate in each copy run, where they are declared already.
        /// </summary>
        private (List<IrStmt> Statements, ChunkCoordinates Chunk) Coordinates(int r, IrExpr.Linear element, string suffix, bool hoist, bool partial, Variable[]? digits = null)
        {
            var read = _reads[r];
            var plan = _a.Copy(r, _s);
            var layout = _a.Layout(r, _s);
            var rank = read.Indices.Count;
            var tensorStrides = RowMajorStrides(_tensor[read.Tensor].Shape);
            var statements = new List<IrStmt>();
            IrExpr Bind(string name, IrType type, IrExpr value)
            {
                if (!hoist)
                {
                    return value;
                }
                var variable = new Variable($"{name}{suffix}", type);
                statements.Add(new IrStmt.Declare(variable, value));
                return IrExpr.Of(variable);
            }
            // Coordinates in the box, innermost dimension fastest, over runs of dimensions (CopyRuns).
            var checkedDimension = Enumerable.Range(0, rank).Select(d => NeedsCheck(r, d, reduceGuarded: false)).ToArray();
            var runs = CopyRuns(r);
            var coordinate = new IrExpr[runs.Count];
            long after = 1;
            for (var i = runs.Count - 1; i >= 0; i--)
            {
                // Already declared (the digits of a thread's first chunk), or divided out here.
                coordinate[i] = digits is null ? DivRem(element, after, runs[i].Extent) : IrExpr.Of(digits[i]);
                after *= runs[i].Extent;
            }
            var checks = new IrExpr?[rank];
            for (var i = 0; i < runs.Count; i++)
            {
                // A checked dimension is a run of its own (CopyRuns).
                var d = runs[i].First;
                if (checkedDimension[d])
                {
                    checks[d] = digits is null ? Bind($"g_cc{d}_", IrType.Int, coordinate[i]) : coordinate[i];
                }
            }
            var last = rank - 1;
            // In vector units when vectorized: every stride but the innermost is a whole number of vectors, and chunks start on one.
            IrExpr Offset(Func<int, long> stride, bool vector)
            {
                IrExpr sum = new IrExpr.Int(0);
                for (var i = 0; i < runs.Count; i++)
                {
                    var (first, innermost, extent) = runs[i];
                    var s = stride(innermost);
                    if (s == 0 || extent == 1)
                    {
                        continue;
                    }
                    // The innermost run has stride 1 in a vectorized copy: its coordinate counts elements.
                    var inner = innermost == last;
                    var scale = vector && !inner ? s / plan.Width : s;
                    IrExpr part = vector && inner
                        ? new IrExpr.Binary(BinaryOperator.IndexDivide, coordinate[i], new IrExpr.Int(plan.Width))
                        : scale == 1 ? coordinate[i] : new IrExpr.Binary(BinaryOperator.Multiply, coordinate[i], new IrExpr.Int(scale));
                    sum = sum is IrExpr.Int { Value: 0 } ? part : new IrExpr.Binary(BinaryOperator.Add, sum, part);
                }
                return sum;
            }
            var shared = Bind("g_cs", IrType.Int, Offset(d => layout.Strides[d], plan.VectorStore));
            var global = Bind("g_cg", IrType.Int, Offset(d => tensorStrides[d], plan.VectorLoad));
            var valid = partial ? Bind("g_cv", IrType.Bool, new IrExpr.Binary(BinaryOperator.Less, element, new IrExpr.Int(plan.Elements))) : null;
            return (statements, new ChunkCoordinates(shared, global, checks, valid, []));
        }

        /// <summary>Neighbouring box dimensions <c>First..Innermost</c> that a copy walks as one, <c>Extent</c> elements long.</summary>
        private readonly record struct CopyRun(int First, int Innermost, long Extent);

        /// <summary>
        /// The box's dimensions of read <paramref name="r"/> in the runs that a copy walks as one
        /// (<see cref="OperatorAnalysis.CopyRun(int, Schedule, ReadOnlySpan{int}, int)"/>), outermost
        /// first: a convolution's weights W[f,c,r,s] copy as f and one run of c, r, s. A checked
        /// dimension is a run of its own.
        /// </summary>
        private List<CopyRun> CopyRuns(int r)
        {
            var tile = new int[_a.AxisCount];
            _a.BlockStageTile(_s, tile);
            var runs = new List<CopyRun>();
            for (var innermost = _reads[r].Indices.Count - 1; innermost >= 0;)
            {
                var (first, length) = _a.CopyRun(r, _s, tile, innermost);
                runs.Add(new CopyRun(first, innermost, length));
                innermost = first - 1;
            }
            runs.Reverse();
            return runs;
        }

        /// <summary>The origin of read <paramref name="r"/>'s box in the stage whose indices are <paramref name="stage"/>, per tensor dimension.</summary>
        private IrExpr.Linear[] BoxOrigin(int r, Variable[] stage)
        {
            var read = _reads[r];
            var box = _a.Layout(r, _s).Box;
            return [.. Enumerable.Range(0, read.Indices.Count).Select(d =>
            {
                var terms = new List<(long, Variable)>();
                foreach (var term in read.Indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    var tile = a >= 0 ? _s.BlockTile[a] : _s.ReduceStep[ReduceIndex(term.Axis)];
                    if (tile >= _op.AxisNamed(term.Axis).Extent)
                    {
                        // One block or one stage along the axis: its index is always 0, and the copy plan's
                        // vector alignment (OperatorAnalysis.CopyShape) does not count on its term.
                        continue;
                    }
                    terms.Add((term.Coefficient * (long)tile, a >= 0 ? _blockIndex[a] : stage[ReduceIndex(term.Axis)]));
                }
                return IrExpr.Sum(terms, (long)read.Indices[d].Constant + box.Offsets[d]);
            })];
        }

        private enum CopyPart { Whole, Load, Store, Async }

        /// <summary>
        /// The copy of read <paramref name="r"/>'s box for the stage whose indices are
        /// <paramref name="stage"/>: from global memory into shared memory (at buffer offset
        /// <paramref name="buffer"/>, in elements), or only into the prefetch registers, or only from them,
        /// or by asynchronous copies (<see cref="AsyncChunk"/>).
        /// </summary>
        private IEnumerable<IrStmt> Copy(int r, Variable[] stage, CopyPart part, IrExpr.Linear buffer, string suffix)
        {
            var read = _reads[r];
            var plan = _a.Copy(r, _s);
            var tensor = _tensor[read.Tensor];
            var rank = read.Indices.Count;
            var width = plan.Width;
            var tensorStrides = RowMajorStrides(tensor.Shape);
            var statements = new List<IrStmt>();
            var origin = BoxOrigin(r, stage);
            IrExpr.Linear? flatOrigin = null;
            KernelBuffer? window = null;
            if (part != CopyPart.Store)
            {
                var sum = IrExpr.Sum([.. Enumerable.Range(0, rank).Select(d => (tensorStrides[d], origin[d]))]);
                // In vector units when the load is vectorized: the origin is a whole vector (CopyPlan).
                flatOrigin = plan.VectorLoad ? DividedBy(sum, width) : sum;
                var variable = Int($"g_so{r}{suffix}");
                statements.Add(new IrStmt.Declare(variable, flatOrigin));
                flatOrigin = IrExpr.Lin(variable);
                if (CopiesThroughWindow(r) && part != CopyPart.Async)
                {
                    window = new KernelBuffer($"g_cw{r}{suffix}", BufferScope.Global, tensor.ElementCount, read.Tensor) { Element = tensor.Type };
                    var start = IrExpr.Sum((1, flatOrigin), (1, Linearize(_firstChunkOffset[r])));
                    statements.Add(new IrStmt.DeclareWindow(window, _parameter[read.Tensor], start, plan.VectorLoad ? width : 1));
                }
            }
            // Where a chunk's loads start: its offset in the window, or in the whole tensor.
            IrExpr LoadIndex(ChunkCoordinates chunk, int lane) => window is null
                ? IrExpr.Sum((1, flatOrigin!), (1, Linearize(chunk.GlobalOffset)), (1, IrExpr.Lin(lane)))
                : chunk.GlobalOffset is IrExpr.Int offset ? new IrExpr.Int(offset.Value + lane)
                : lane == 0 ? chunk.GlobalOffset : new IrExpr.Binary(BinaryOperator.Add, chunk.GlobalOffset, new IrExpr.Int(lane));

            IrStmt Chunk(ChunkCoordinates chunk, int it, string register)
            {
                if (part == CopyPart.Async)
                {
                    // Where a window would have been cut at the thread's first chunk, the chunks' offsets are from it.
                    var from = CopiesThroughWindow(r) ? IrExpr.Sum((1, flatOrigin!), (1, Linearize(_firstChunkOffset[r]))) : flatOrigin!;
                    var async = new IrStmt.Seq([.. chunk.Setup, .. AsyncChunk(r, it, chunk, origin, tensor, from, buffer)], Scoped: true);
                    return chunk.Valid is null ? async : new IrStmt.If(chunk.Valid, async);
                }
                var body = new List<IrStmt>();
                var guard = part == CopyPart.Store ? null : CopyGuard(r, it, chunk, origin, tensor, 0);
                if (plan.VectorLoad)
                {
                    var type = IrTypes.FloatOfWidth(width);
                    var value = new Variable(register, type);
                    if (part != CopyPart.Store)
                    {
                        var load = LoadChunk(window ?? _parameter[read.Tensor], LoadIndex(chunk, 0), width);
                        IrExpr loaded = guard is null ? load : new IrExpr.Select(guard, load, new IrExpr.Pack([.. Enumerable.Repeat<IrExpr>(new IrExpr.Float(0), width)]));
                        body.Add(part == CopyPart.Load ? new IrStmt.Assign(value, loaded) : new IrStmt.Declare(value, loaded));
                    }
                    if (part != CopyPart.Load)
                    {
                        body.AddRange(StoreChunk(r, chunk, buffer, u => width == 1 ? IrExpr.Of(value) : new IrExpr.Lane(IrExpr.Of(value), u), IrExpr.Of(value)));
                    }
                }
                else
                {
                    var values = new Variable[width];
                    for (var u = 0; u < width; u++)
                    {
                        values[u] = new Variable($"{register}_{u}", IrType.Float);
                        if (part != CopyPart.Store)
                        {
                            var laneGuard = CopyGuard(r, it, chunk, origin, tensor, u);
                            IrExpr load = LoadChunk(window ?? _parameter[read.Tensor], LoadIndex(chunk, u), 1);
                            var loaded = laneGuard is null ? load : new IrExpr.Select(laneGuard, load, new IrExpr.Float(0));
                            body.Add(part == CopyPart.Load ? new IrStmt.Assign(values[u], loaded) : new IrStmt.Declare(values[u], loaded));
                        }
                    }
                    if (part != CopyPart.Load)
                    {
                        body.AddRange(StoreChunk(r, chunk, buffer, u => IrExpr.Of(values[u]), null));
                    }
                }
                var scoped = new IrStmt.Seq([.. chunk.Setup, .. body], Scoped: part != CopyPart.Load || chunk.Setup.Length > 0);
                return chunk.Valid is null ? scoped : new IrStmt.If(chunk.Valid, scoped);
            }

            if (CopyLooped(r))
            {
                // Too many chunks per thread to keep their coordinates: a loop computes them per stage.
                var it = Int($"g_it{r}");
                var element = IrExpr.Sum([(width, Int("g_tid")), ((long)Threads * width, it)]);
                var (coordinates, chunk) = Coordinates(r, element, "", hoist: true, partial: true);
                // No chunk number: a looped copy's chunks have no condition bits (ChunkConditionBits).
                statements.Add(new IrStmt.For(it, 0, plan.IterationsPerThread, 1, Unroll: false, new IrStmt.Seq([.. coordinates, Chunk(chunk, -1, $"g_w{r}")])));
                return statements;
            }
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                statements.Add(Chunk(_chunks[(r, it)], it, $"g_p{r}_{it}"));
            }
            return statements;
        }

        /// <summary>
        /// One chunk of read <paramref name="r"/>'s box by asynchronous copies from the tensor (its box origin
        /// <paramref name="from"/>, in the copy's vectors when it loads vectors) into shared buffer offset
        /// <paramref name="buffer"/>: one copy of the chunk where it is stored whole, else one per element at its
        /// stored place (a transposed box), each with the bounds check of its load, where it copies zeros.
        /// </summary>
        private IEnumerable<IrStmt> AsyncChunk(int r, int it, ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, IrExpr.Linear from, IrExpr.Linear buffer)
        {
            var plan = _a.Copy(r, _s);
            var width = plan.Width;
            var global = _parameter[_reads[r].Tensor];
            var shared = _shared[r]!;
            var start = new IrExpr.Binary(BinaryOperator.Add, from, chunk.GlobalOffset);
            if (plan.VectorLoad && plan.VectorStore)
            {
                var index = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, DividedBy(buffer, width)));
                yield return new IrStmt.AsyncCopy(shared, index, global, start, width, CopyGuard(r, it, chunk, origin, tensor, 0));
                yield break;
            }
            // Element by element: a vector load's elements share its check.
            var step = _a.Layout(r, _s).Strides[^1];
            for (var u = 0; u < width; u++)
            {
                var element = plan.VectorLoad
                    ? new IrExpr.Binary(BinaryOperator.Add, new IrExpr.Binary(BinaryOperator.Multiply, start, new IrExpr.Int(width)), new IrExpr.Int(u))
                    : new IrExpr.Binary(BinaryOperator.Add, start, new IrExpr.Int(u));
                var to = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, buffer), (1, IrExpr.Lin(u * step)));
                yield return new IrStmt.AsyncCopy(shared, to, global, element, 1, CopyGuard(r, it, chunk, origin, tensor, plan.VectorLoad ? 0 : u));
            }
        }

        private static IrExpr.Linear Linearize(IrExpr expr) => expr switch
        {
            IrExpr.Linear linear => linear,
            IrExpr.Ref r => IrExpr.Lin(r.Variable),
            IrExpr.Int i => IrExpr.Lin(i.Value),
            _ => throw new InvalidOperationException("a chunk offset is hoisted into a variable before it is added to"),
        };

        /// <summary>The bounds check of lane <paramref name="u"/> of a chunk: null when no dimension can leave the tensor.</summary>
        private IrExpr? Guard(ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, int u)
        {
            IrExpr? guard = null;
            var last = origin.Length - 1;
            for (var d = 0; d < origin.Length; d++)
            {
                if (chunk.Coordinate[d] is not { } coordinate)
                {
                    continue;
                }
                var index = IrExpr.Sum((1, origin[d]), (1, Linearize(coordinate)), (1, IrExpr.Lin(d == last ? u : 0)));
                IrExpr check = new IrExpr.InRange(index, tensor.Shape[d]);
                guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
            }
            return guard;
        }

        /// <summary>Stores one chunk into the staged box: one vector store when the layout keeps it contiguous, else one store per element.</summary>
        private IEnumerable<IrStmt> StoreChunk(int r, ChunkCoordinates chunk, IrExpr.Linear buffer, Func<int, IrExpr> lane, IrExpr? vector)
        {
            var plan = _a.Copy(r, _s);
            var layout = _a.Layout(r, _s);
            var shared = _shared[r]!;
            if (plan.VectorStore && vector is not null)
            {
                var index = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, DividedBy(buffer, plan.Width)));
                yield return new IrStmt.Store(shared, index, vector, plan.Width);
                yield break;
            }
            // A transposed box: consecutive elements of a tensor row are a stored stride apart.
            var step = layout.Strides[^1];
            for (var u = 0; u < plan.Width; u++)
            {
                yield return new IrStmt.Store(shared, IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, buffer), (1, IrExpr.Lin(u * step))), lane(u), 1);
            }
        }

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

        // ---- Reduce points -----------------------------------------------------------------

        /// <summary>
        /// The loops over the points of one stage. The innermost one counts rounds of the reduce
        /// lanes' runs (a point is a lane's run: <see cref="ReducePoint"/>), so that every offset
        /// it adds is a whole multiple of the round, in vectors too.
        /// </summary>
        private IrStmt ReducePoints()
        {
            var rolled = Rolled;
            IrStmt body = ReducePoint();
            for (var j = _reduce.Length - 1; j >= 0; j--)
            {
                if (j == rolled - 1)
                {
                    body = WithWindows(body);
                }
                if (_reduce[j].Extent % _s.ReduceStep[j] != 0)
                {
                    // The last stage runs past the axis: the points beyond it do not exist.
                    // (With lane runs every stage is whole: OperatorAnalysis.ReduceLaneRun.)
                    var position = IrExpr.Sum([(_s.ReduceStep[j], _stageIndex[j]), (PointScale(j), _point[j]), .. (j == Inner && _lane is not null ? new[] { (1L, _lane) } : [])]);
                    body = new IrStmt.If(new IrExpr.Binary(BinaryOperator.Less, position, new IrExpr.Int(_reduce[j].Extent)), body);
                }
                var unrollBy = j == rolled - 1 ? OperatorAnalysis.PartialUnrollFactor(_s) : 1;
                body = new IrStmt.For(_point[j], 0, _s.ReduceStep[j] / PointScale(j), 1, Unroll: j >= rolled, body, unrollBy);
            }
            return rolled == 0 ? WithWindows(body) : body;
        }

        /// <summary>Reduce loops that stay loops (the outer ones); the inner ones are unrolled.</summary>
        private int Rolled { get; }

        /// <summary>Whether <paramref name="point"/> is a reduce loop variable that stays a variable in the printed kernel (not unrolled to constants).</summary>
        private bool RolledPoint(Variable point) => Array.IndexOf(_point, point) is var j && j >= 0 && j < Rolled;

        private readonly Dictionary<int, KernelBuffer> _windows = [];

        /// <summary>
        /// <paramref name="body"/> (the unrolled points of an iteration of the innermost rolled reduce
        /// loop, or of the whole stage) after a window of each unstaged read at its first operand (the
        /// stage's base plus the rolled loops' part), and of each staged read whose window fits
        /// (<see cref="SharedWindowFits"/>) in shared memory: the thread's base, the stage's buffer and
        /// the rolled loops' part, in elements and, for 128-bit loads, in quads. Each load is then the
        /// window plus a constant.
        /// </summary>
        private IrStmt WithWindows(IrStmt body)
        {
            var windows = new List<IrStmt>();
            foreach (var (r, window) in _windows.OrderBy(pair => pair.Key))
            {
                var rolled = IrExpr.Sum(GlobalOperandOffset(r, _elements[0]).Terms.Where(t => RolledPoint(t.Variable)));
                // A window of the read's vectors when it loads vectors: in their units, so it stays aligned.
                windows.Add(_globalVectors.TryGetValue(r, out var vectors)
                    ? new IrStmt.DeclareWindow(window, _parameter[_reads[r].Tensor], IrExpr.Sum((1, IrExpr.Lin(_stageVectorBase[r])), (1, DividedBy(rolled, vectors.Width))), vectors.Width, !WindowStaysInside(r))
                    : new IrStmt.DeclareWindow(window, _parameter[_reads[r].Tensor], IrExpr.Sum((1, IrExpr.Lin(_stageBase[r])), (1, rolled)), 1, !WindowStaysInside(r)));
            }
            foreach (var (r, (scalar, quad)) in _sharedWindows.OrderBy(pair => pair.Key))
            {
                // The thread's base in the stage's buffer plus the rolled loops' part: its first operand here.
                var rolled = IrExpr.Sum(StagedPointPart(r).Terms.Where(t => RolledPoint(t.Variable)));
                var shared = _shared[r]!;
                windows.Add(new IrStmt.DeclareWindow(scalar, shared, IrExpr.Sum((1, IrExpr.Lin(_sharedBase[r])), (1, SharedBufferPart(r)), (1, rolled)), 1));
                if (quad is not null)
                {
                    // In 4-element units: base, buffer and point parts are whole quads (StagedBase checked).
                    windows.Add(new IrStmt.DeclareWindow(quad, shared,
                        IrExpr.Sum((1, IrExpr.Lin(_sharedQuadBase[r])), (1, DividedBy(SharedBufferPart(r), 4)), (1, DividedBy(rolled, 4))), 4));
                }
            }
            return windows.Count == 0 ? body : new IrStmt.Seq([.. windows, body], Scoped: true);
        }

        /// <summary>
        /// Whether the windows of unstaged read <paramref name="r"/> (<see cref="WithWindows"/>) start
        /// inside its tensor and every load through them lies at or after their start: no bound
        /// checked, every stage whole, no negative offset. Otherwise a window
        /// <see cref="IrStmt.DeclareWindow.MayStartOutside"/>.
        /// </summary>
        private bool WindowStaysInside(int r)
        {
            if (Enumerable.Range(0, _reads[r].Indices.Count).Any(d => NeedsCheck(r, d, reduceGuarded: true))
                || Enumerable.Range(0, _reduce.Length).Any(j => _reduce[j].Extent % _s.ReduceStep[j] != 0))
            {
                return false;
            }
            return OperandOffsets(r).All(offset => offset.Constant >= 0 && offset.Terms.All(t => RolledPoint(t.Variable) || t.Coefficient >= 0));
        }

        /// <summary>
        /// One reduce point, a lane's run of consecutive ones with lane runs (<see cref="OperatorAnalysis.ReduceLaneRun"/>):
        /// load each read's distinct operands of the whole run, then update every accumulator point by point.
        /// </summary>
        private IrStmt ReducePoint()
        {
            var statements = new List<IrStmt>();
            var registerOf = new Dictionary<(int Read, string Key), IrExpr>();
            for (var r = 0; r < _reads.Length; r++)
            {
                var operands = new List<(Variable Register, int[] Element)>();
                foreach (var position in OperandPositions())
                {
                    var key = KeyOf(_reads[r], position);
                    if (registerOf.ContainsKey((r, key)))
                    {
                        continue;
                    }
                    var register = new Variable($"g_v{r}_{operands.Count}", IrType.Float);
                    registerOf[(r, key)] = IrExpr.Of(register);
                    operands.Add((register, position));
                }
                statements.AddRange(Staged(r) ? StagedOperands(r, operands) : GlobalOperands(r, operands));
            }
            for (var place = 0; place < _laneRun; place++)
            {
                for (var e = 0; e < _elements.Length; e++)
                {
                    var position = InRunAt(_elements[e], place);
                    var read = 0;
                    var value = Convert(_op.Body, _ => registerOf[(read, KeyOf(_reads[read], position))], () => read++);
                    var acc = IrExpr.Of(_acc[e]);
                    statements.Add(new IrStmt.Assign(_acc[e], _op.Reduction switch
                    {
                        Reduction.Sum => new IrExpr.Binary(BinaryOperator.Add, acc, value),
                        Reduction.Max => new IrExpr.Binary(BinaryOperator.Max, acc, value),
                        _ => value,
                    }));
                }
            }
            return new IrStmt.Seq([.. statements], Scoped: true);
        }

        /// <summary>
        /// The thread-tile positions of one reduce point's operands, each at every place of a lane's
        /// run: the place follows the position's spatial offsets in the array (<see cref="InRun"/>).
        /// </summary>
        private IEnumerable<int[]> OperandPositions() =>
            Enumerable.Range(0, _laneRun).SelectMany(place => _elements.Select(element => InRunAt(element, place)));

        private int[] InRunAt(int[] element, int place) => _laneRun == 1 ? element : [.. element, place];

        /// <summary>An operand position's place in its lane's run of reduce points (0 without lane runs).</summary>
        private int InRun(int[] position) => position.Length > Rank ? position[Rank] : 0;

        /// <summary>
        /// Where an operand position's element lies from the thread's first, index by index: positions that
        /// agree read one element and share one register. Offsets, not positions: with indices such as
        /// x[h+w] or x[w+k], different positions (or places in a lane's run) reach the same element.
        /// </summary>
        private string KeyOf(TensorRead read, int[] position) =>
            string.Join(",", read.Indices.Select(index => index.Terms.Sum(term =>
                SpatialIndex(term.Axis) is var a and >= 0 ? term.Coefficient * LocalOffset(a, position[a])
                : ReduceIndex(term.Axis) == Inner ? (long)term.Coefficient * InRun(position) : 0)));

        /// <summary>The constant offset of a thread-tile position's operand (at its place in a lane's run) from the thread's base in the staged box.</summary>
        private long StagedOffset(int r, int[] element)
        {
            var strides = _a.Layout(r, _s).Strides;
            var indices = _reads[r].Indices;
            long offset = 0;
            for (var d = 0; d < indices.Count; d++)
            {
                foreach (var term in indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    if (a >= 0)
                    {
                        offset += strides[d] * term.Coefficient * LocalOffset(a, element[a]);
                    }
                    else if (ReduceIndex(term.Axis) == Inner)
                    {
                        offset += strides[d] * term.Coefficient * InRun(element);
                    }
                }
            }
            return offset;
        }

        /// <summary>
        /// Whether staged read <paramref name="r"/>'s loads can go through a window (<see cref="WithWindows"/>)
        /// that starts at the thread's first operand of an unrolled body: every operand then lies at or after
        /// it (no tile position or point moves backwards in the box), so the window starts inside the buffer
        /// and is indexed by constants from 0 on.
        /// </summary>
        private bool SharedWindowFits(int r) =>
            StagedPointPart(r).Terms.All(t => t.Coefficient >= 0) && _elements.All(element => StagedOffset(r, element) >= 0);

        /// <summary>The offset of the buffer a double-buffered stage reads (0 when single-buffered).</summary>
        private IrExpr.Linear SharedBufferPart(int r) =>
            _parity is null ? IrExpr.Lin(0) : IrExpr.Lin(_parity, _a.Layout(r, _s).StoredElements);

        /// <summary>The reduce points' part of a staged read's offset in its box.</summary>
        private IrExpr.Linear StagedPointPart(int r)
        {
            var strides = _a.Layout(r, _s).Strides;
            var indices = _reads[r].Indices;
            var terms = new List<(long, Variable)>();
            for (var d = 0; d < indices.Count; d++)
            {
                foreach (var term in indices[d].Terms)
                {
                    var j = ReduceIndex(term.Axis);
                    if (j >= 0)
                    {
                        terms.Add((strides[d] * term.Coefficient * PointScale(j), _point[j]));
                    }
                }
            }
            return IrExpr.Sum(terms);
        }

        /// <summary>
        /// A staged read's operands, four at a time with one 128-bit shared load wherever four of
        /// them sit at offsets 4i..4i+3 from the thread's aligned base.
        /// </summary>
        private IEnumerable<IrStmt> StagedOperands(int r, List<(Variable Register, int[] Element)> operands)
        {
            var shared = _shared[r]!;
            var buffer = SharedBufferPart(r);
            var points = StagedPointPart(r);
            // Through the read's windows (WithWindows), each load is the window plus a constant, which
            // ptxas folds into the load: indexing the whole buffer costs an add and a shift per load.
            var window = _sharedWindows.TryGetValue(r, out var windows) ? windows : default;
            var byOffset = operands.ToDictionary(o => StagedOffset(r, o.Element), o => o.Register);
            var done = new HashSet<Variable>();
            if (_sharedQuadBase.TryGetValue(r, out var quadBase))
            {
                var quads = 0;
                foreach (var offset in byOffset.Keys.Order())
                {
                    if (done.Contains(byOffset[offset]) || offset % 4 != 0 || !Enumerable.Range(1, 3).All(i => byOffset.ContainsKey(offset + i)))
                    {
                        continue;
                    }
                    var quad = new Variable($"g_w{r}_{quads++}", IrType.Float4);
                    // In 4-element units: base, buffer and point parts are whole quads (StagedBase checked).
                    var load = window.Quad is { } quadWindow
                        ? new IrExpr.Load(quadWindow, IrExpr.Sum((1, DividedBy(Unrolled(points), 4)), (1, IrExpr.Lin(offset / 4))), 4)
                        : new IrExpr.Load(shared, IrExpr.Sum(
                            (1, IrExpr.Lin(quadBase)),
                            (1, DividedBy(buffer, 4)),
                            (1, DividedBy(points, 4)),
                            (1, IrExpr.Lin(offset / 4))), 4);
                    yield return new IrStmt.Declare(quad, load);
                    for (var i = 0; i < 4; i++)
                    {
                        yield return new IrStmt.Declare(byOffset[offset + i], new IrExpr.Lane(IrExpr.Of(quad), i));
                        done.Add(byOffset[offset + i]);
                    }
                }
            }
            foreach (var (register, element) in operands)
            {
                if (!done.Contains(register))
                {
                    var load = window.Scalar is { } scalarWindow
                        ? new IrExpr.Load(scalarWindow, IrExpr.Sum((1, Unrolled(points)), (1, IrExpr.Lin(StagedOffset(r, element)))), 1)
                        : new IrExpr.Load(shared, IrExpr.Sum((1, IrExpr.Lin(_sharedBase[r])), (1, buffer), (1, points), (1, IrExpr.Lin(StagedOffset(r, element)))), 1);
                    yield return new IrStmt.Declare(register, load);
                }
            }
        }

        /// <summary>
        /// A linear form in units of <paramref name="divisor"/> elements (vectors, quads); exact only where
        /// every coefficient and the constant are multiples of it, which the callers have established.
        /// </summary>
        private static IrExpr.Linear DividedBy(IrExpr.Linear form, long divisor) =>
            IrExpr.Sum(form.Terms.Select(t => (t.Coefficient / divisor, t.Variable)), form.Constant / divisor);

        private IEnumerable<IrStmt> GlobalOperands(int r, List<(Variable Register, int[] Element)> operands) =>
            _globalVectors.TryGetValue(r, out var vectors) ? GlobalVectorOperands(r, operands, vectors) : GlobalScalarOperands(r, operands);

        /// <summary>Every operand as a lane of one of the read's vector loads.</summary>
        private IEnumerable<IrStmt> GlobalVectorOperands(int r, List<(Variable Register, int[] Element)> operands, GlobalVectors vectors)
        {
            var width = vectors.Width;
            var byConstant = operands.ToDictionary(o => GlobalOperandOffset(r, o.Element).Constant, o => o.Register);
            var points = IrExpr.Sum(GlobalOperandOffset(r, operands[0].Element).Terms);
            var count = 0;
            var window = _windows[r];
            foreach (var start in vectors.Starts.Order())
            {
                var vector = new Variable($"g_w{r}_{count++}", width == 4 ? IrType.Float4 : IrType.Float2);
                // In units of the vector, from the window (WithWindows): the point parts are whole vectors (PlanGlobalVectors checked).
                var index = IrExpr.Sum((1, DividedBy(Unrolled(points), width)), (1, IrExpr.Lin(start / width)));
                yield return new IrStmt.Declare(vector, new IrExpr.Load(window, index, width));
                for (var i = 0; i < width; i++)
                {
                    yield return new IrStmt.Declare(byConstant[start + i], new IrExpr.Lane(IrExpr.Of(vector), i));
                }
            }
        }

        /// <summary>Each operand by its own load, guarded where its index can leave the tensor.</summary>
        private IEnumerable<IrStmt> GlobalScalarOperands(int r, List<(Variable Register, int[] Element)> operands)
        {
            var read = _reads[r];
            var tensor = _tensor[read.Tensor];
            var window = _windows[r];
            foreach (var (register, element) in operands)
            {
                // Address: the window (the stage's base and the rolled loops' part) plus this point's and this position's constant parts.
                var perDimension = GlobalOperandIndices(r, element);
                var offset = GlobalOperandOffset(r, element);
                IrExpr load = new IrExpr.Load(window, Unrolled(offset), 1);
                IrExpr? guard = null;
                for (var d = 0; d < read.Indices.Count; d++)
                {
                    if (_stageCoordinate.TryGetValue((r, d), out var coordinate))
                    {
                        IrExpr check = new IrExpr.InRange(IrExpr.Sum((1, IrExpr.Lin(coordinate)), (1, perDimension[d])), tensor.Shape[d]);
                        guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
                    }
                }
                yield return new IrStmt.Declare(register, guard is null ? load : new IrExpr.Select(guard, load, new IrExpr.Float(0)));
            }
        }

        /// <summary>A form without its rolled loops' terms (a window's origin holds them).</summary>
        private IrExpr.Linear Unrolled(IrExpr.Linear form) => IrExpr.Sum(form.Terms.Where(t => !RolledPoint(t.Variable)), form.Constant);

        /// <summary>Per index of global read <paramref name="r"/>, the part that varies inside a thread's stage for tile position <paramref name="element"/>.</summary>
        private IrExpr.Linear[] GlobalOperandIndices(int r, int[] element) =>
            [.. _reads[r].Indices.Select(index => PointAndLocal(Index(index, withThread: true, withStage: false, withPoint: true, a => LocalOffset(a, element[a]), inRun: InRun(element))))];

        /// <summary>The flat offset of tile position <paramref name="element"/>'s operand from the stage's base: the points' terms and a constant.</summary>
        private IrExpr.Linear GlobalOperandOffset(int r, int[] element)
        {
            var strides = RowMajorStrides(_tensor[_reads[r].Tensor].Shape);
            var indices = GlobalOperandIndices(r, element);
            return IrExpr.Sum([.. Enumerable.Range(0, indices.Length).Select(d => (strides[d], indices[d]))]);
        }

        /// <summary>The offsets of read <paramref name="r"/>'s distinct operands of the thread tile from the stage's base (<see cref="GlobalOperandOffset"/>).</summary>
        private IrExpr.Linear[] OperandOffsets(int r) =>
            [.. OperandPositions().DistinctBy(position => KeyOf(_reads[r], position)).Select(position => GlobalOperandOffset(r, position))];

        /// <summary>
        /// The vector loads of unstaged read <paramref name="r"/> at the width the analysis gives
        /// (<see cref="OperatorAnalysis.GlobalVectorWidth"/>, which the cost model counts): every
        /// run of that many consecutive operands, the first at a multiple of it, is one load. The
        /// addresses' forms are checked again here (thread base <paramref name="threadBase"/>, stage
        /// and point parts); should they disagree with the analysis, the loads stay scalar rather
        /// than misaligned. Buffers are allocated 16-byte aligned, as the staged copies' vector
        /// loads assume too.
        /// </summary>
        private GlobalVectors? PlanGlobalVectors(int r, IrExpr.Linear threadBase)
        {
            var width = _a.GlobalVectorWidth(r, _s);
            if (width == 1)
            {
                return null;
            }
            var offsets = OperandOffsets(r);
            var constants = offsets.Select(offset => offset.Constant).ToHashSet();
            var alignment = threadBase.Terms.Concat(GlobalStagePart(r).Terms).Concat(offsets[0].Terms)
                .Aggregate(threadBase.Constant, (g, term) => Gcd(g, term.Coefficient));
            var starts = constants.Where(c => c % width == 0 && Enumerable.Range(1, width - 1).All(i => constants.Contains(c + i))).ToHashSet();
            return constants.Count == offsets.Length && alignment % width == 0 && starts.Count * width == constants.Count
                ? new GlobalVectors(width, starts)
                : null;
        }

        private static long Gcd(long a, long b) => b == 0 ? Math.Abs(a) : Gcd(b, a % b);

        /// <summary>A global read's vector loads, which load every operand: their width and the first operand offset of each.</summary>
        private sealed record GlobalVectors(int Width, IReadOnlySet<long> Starts);

        /// <summary>The parts of an index that vary inside a thread's stage: the points and the constant of the position in the tile.</summary>
        private IrExpr.Linear PointAndLocal(IrExpr.Linear full) =>
            IrExpr.Sum(full.Terms.Where(t => _point.Contains(t.Variable)), full.Constant);

        /// <summary>
        /// An ETIR expression as an IR float expression: <paramref name="read"/> gives the operand of
        /// each tensor read, <paramref name="next"/> is called after each read (left to right).
        /// </summary>
        private static IrExpr Convert(Expr expr, Func<TensorRead, IrExpr> read, Action next) => expr switch
        {
            Constant c => new IrExpr.Float(c.Value),
            TensorRead t => ReadThen(read(t), next),
            Unary u => new IrExpr.Unary(CSharpExpression.ToIr(u.Op), Convert(u.Operand, read, next)),
            Binary b => ConvertBinary(b, read, next),
            _ => throw new NotSupportedException($"expression node {expr.GetType().Name}"),
        };

        private static IrExpr ReadThen(IrExpr value, Action next)
        {
            next();
            return value;
        }

        private static IrExpr ConvertBinary(Binary b, Func<TensorRead, IrExpr> read, Action next)
        {
            var left = Convert(b.Left, read, next);
            var right = Convert(b.Right, read, next);
            return new IrExpr.Binary(b.Op switch
            {
                BinaryOp.Add => BinaryOperator.Add,
                BinaryOp.Subtract => BinaryOperator.Subtract,
                BinaryOp.Multiply => BinaryOperator.Multiply,
                BinaryOp.Divide => BinaryOperator.Divide,
                BinaryOp.Max => BinaryOperator.Max,
                BinaryOp.Min => BinaryOperator.Min,
                _ => throw new NotSupportedException($"binary {b.Op}"),
            }, left, right);
        }

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
