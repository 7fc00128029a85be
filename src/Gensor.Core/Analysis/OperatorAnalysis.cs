using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

/// <summary>
/// Facts about an operator that every schedule of it shares, computed once:
/// extents in axis order, and for each body read the axis slots and
/// coefficients of its indices and its row-major strides; and the facts of a
/// schedule that follow from them: footprints, staged layouts, copy plans,
/// registers, shared memory, structural legality. This is the one place those
/// are computed: the code generator, legality, the cost model and every policy
/// read them here. The cost model evaluates thousands of schedules per
/// operator, so the hot paths work over plain arrays and spans.
/// </summary>
public sealed class OperatorAnalysis
{
    // Keyed by reference: an Operator is an immutable record, and a policy
    // reuses the same instance for every schedule it looks at.
    private static readonly ConditionalWeakTable<Operator, OperatorAnalysis> Cache = [];

    private readonly int[] _extents;
    private readonly ReadInfo[] _reads;

    // The body in postorder, for the registers a long expression needs: a read's
    // index (>= 0), a leaf that needs no register (-1: a constant), a unary (-2)
    // or a binary (-3) node.
    private readonly int[] _bodyPostorder;

    private OperatorAnalysis(Operator op)
    {
        Operator = op;
        // Loops rather than queries here: each query over integers or tuples is a framework generic
        // that no ReadyToRun image holds, compiled by the JIT in every fresh process that constructs.
        var axes = op.Axes.AsSpan();
        _extents = new int[axes.Length];
        var spatialRank = 0;
        for (var i = 0; i < axes.Length; i++)
        {
            _extents[i] = axes[i].Extent;
            spatialRank += axes[i].Kind == AxisKind.Spatial ? 1 : 0;
        }
        SpatialRank = spatialRank;
        ReduceRank = axes.Length - SpatialRank;
        var slotOf = new Dictionary<string, int>();
        for (var i = 0; i < axes.Length; i++)
        {
            slotOf[axes[i].Name] = i;
        }
        var bodyReads = op.BodyReads.ToArray();
        _reads = new ReadInfo[bodyReads.Length];
        for (var r = 0; r < bodyReads.Length; r++)
        {
            var read = bodyReads[r];
            var tensor = op.Inputs.First(input => input.Name == read.Tensor);
            var shape = tensor.Shape.ToArray();
            var strides = new long[shape.Length];
            long stride = 1;
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }
            var terms = new (int Slot, int Coefficient)[read.Indices.Count][];
            var constants = new int[read.Indices.Count];
            for (var d = 0; d < terms.Length; d++)
            {
                var index = read.Indices[d];
                terms[d] = new (int Slot, int Coefficient)[index.Terms.Count];
                for (var t = 0; t < terms[d].Length; t++)
                {
                    terms[d][t] = (slotOf[index.Terms[t].Axis], index.Terms[t].Coefficient);
                }
                constants[d] = index.Constant;
            }
            var axisStrides = new long[axes.Length];
            for (var d = 0; d < terms.Length; d++)
            {
                foreach (var (slot, coefficient) in terms[d])
                {
                    axisStrides[slot] += coefficient * strides[d];
                }
            }
            var stageable = bodyReads.Count(other => other.Tensor == read.Tensor) == 1;
            var order = StoredOrder(terms, SpatialRank);
            var runOrder = RunStoredOrder(order, axisStrides, ReduceRank);
            long flatConstant = 0;
            for (var d = 0; d < shape.Length; d++)
            {
                flatConstant += constants[d] * strides[d];
            }
            _reads[r] = new ReadInfo(read.Tensor, shape, terms, constants, axisStrides, tensor.ElementCount, stageable, order, runOrder)
            {
                FlatConstant = flatConstant,
                Float32 = tensor.Type == ElementType.F32,
                RunReorders = !runOrder.AsSpan().SequenceEqual(order),
            };
        }
        OutputElements = op.Output.ElementCount;
        foreach (var input in op.Inputs)
        {
            InputElements += input.ElementCount;
        }
        _bodyPostorder = Postorder(op.Body);
    }

    private static int[] Postorder(Expr body)
    {
        // Reads are numbered left to right, as Expr.Reads() and the lowering number them.
        var order = new List<int>();
        var read = 0;
        var pending = new Stack<(Expr Node, bool Expanded)>();
        pending.Push((body, false));
        while (pending.Count > 0)
        {
            var (node, expanded) = pending.Pop();
            switch (node)
            {
                case TensorRead:
                    order.Add(read++);
                    break;
                case Unary unary when !expanded:
                    pending.Push((node, true));
                    pending.Push((unary.Operand, false));
                    break;
                case Binary binary when !expanded:
                    pending.Push((node, true));
                    pending.Push((binary.Right, false));
                    pending.Push((binary.Left, false));
                    break;
                case Unary:
                    order.Add(-2);
                    break;
                case Binary:
                    order.Add(-3);
                    break;
                default:
                    order.Add(-1);
                    break;
            }
        }
        return [.. order];
    }

    /// <summary>
    /// The order in which a staged box's dimensions are stored, outermost first:
    /// the dimensions indexed by reduce axes alone come first, the others keep
    /// their order. A thread's operands at one reduce point then lie along the
    /// innermost stored dimension, contiguous, and load as 128-bit vectors (A of
    /// a matrix product is stored k-major, as CUTLASS's SIMT kernels do); lanes
    /// of a warp reading different outputs read neighbouring words, free of bank
    /// conflicts. A reduce run stores some boxes otherwise (<see cref="RunStoredOrder"/>).
    /// </summary>
    private static int[] StoredOrder((int Slot, int Coefficient)[][] terms, int spatialRank)
    {
        bool ReduceOnly(int d)
        {
            foreach (var (slot, _) in terms[d])
            {
                if (slot < spatialRank)
                {
                    return false;
                }
            }
            return terms[d].Length > 0;
        }
        var order = new List<int>(terms.Length);
        for (var d = 0; d < terms.Length; d++)
        {
            if (ReduceOnly(d))
            {
                order.Add(d);
            }
        }
        for (var d = 0; d < terms.Length; d++)
        {
            if (!ReduceOnly(d))
            {
                order.Add(d);
            }
        }
        return [.. order];
    }

    /// <summary>
    /// The storage order of a staged box under a reduce run (<see cref="Schedule.ReduceRun"/>): the
    /// tensor's own, when the tensor is contiguous along the innermost reduce axis, so that the box is
    /// too and a run's operands lie side by side; else <paramref name="order"/> (<see cref="StoredOrder"/>).
    /// </summary>
    private static int[] RunStoredOrder(int[] order, long[] axisStrides, int reduceRank)
    {
        if (reduceRank == 0 || axisStrides[^1] != 1)
        {
            return order;
        }
        var tensorOrder = new int[order.Length];
        for (var d = 0; d < tensorOrder.Length; d++)
        {
            tensorOrder[d] = d;
        }
        return tensorOrder;
    }

    /// <summary>The order in which read <paramref name="read"/>'s staged box is stored under <paramref name="schedule"/>, outermost first.</summary>
    private static int[] OrderOf(ReadInfo read, Schedule schedule) => schedule.ReduceRun > 1 ? read.RunOrder : read.Order;

    /// <summary>
    /// Whether a reduce run (<see cref="Schedule.ReduceRun"/>) stores read <paramref name="index"/>'s
    /// staged box in another order than it stores it without one (the run's reason to exist).
    /// </summary>
    public bool RunReorders(int index) => _reads[index].RunReorders;

    /// <summary>The analysis of <paramref name="op"/>, computed on first use and cached per instance.</summary>
    public static OperatorAnalysis Of(Operator op) => Cache.GetValue(op, static o => new OperatorAnalysis(o));

    public Operator Operator { get; }

    public int SpatialRank { get; }

    public int ReduceRank { get; }

    public int AxisCount => _extents.Length;

    /// <summary>Extent of every axis, spatial axes first, in <see cref="Operator.Axes"/> order.</summary>
    public IReadOnlyList<int> Extents => _extents;

    public int ReadCount => _reads.Length;

    public long OutputElements { get; }

    public long InputElements { get; }

    internal ReadInfo Read(int index) => _reads[index];

    public string ReadTensor(int index) => _reads[index].Tensor;

    /// <summary>Whether a read may be staged in shared memory (the body reads its tensor exactly once).</summary>
    public bool IsStageable(int index) => _reads[index].Stageable;

    /// <summary>
    /// Elements of read <paramref name="index"/> touched by a tile of <paramref name="tile"/> points per axis slot;
    /// with <paramref name="clamp"/> each dimension is clipped to the tensor's size (real traffic), else the raw box (buffer sizes).
    /// </summary>
    public long Footprint(int index, ReadOnlySpan<int> tile, bool clamp)
    {
        var read = _reads[index];
        long elements = 1;
        for (var d = 0; d < read.Terms.Length; d++)
        {
            elements = Saturating(elements, DimensionExtent(read, d, tile, clamp));
        }
        return elements;
    }

    /// <summary>
    /// Distinct elements of read <paramref name="index"/> that one thread loads in one unrolled body
    /// of a stage (its thread tile over the points of the innermost <paramref name="unrolledLoops"/>
    /// reduce loops): the lowering loads each distinct value of straight-line code once (LoadReuse).
    /// Per tensor dimension, the positions the body's axes reach, or the span they cover where that
    /// is fewer: a convolution's four output rows over three filter rows read six input rows, not
    /// twelve. Dimensions are taken as independent.
    /// </summary>
    public long OperandsPerUnrolledBody(int index, Schedule schedule, int unrolledLoops)
    {
        var read = _reads[index];
        var inner = ReduceRank - 1;
        var lanes = Math.Max(1, schedule.ReduceThreads);
        var laneRun = ReduceLaneRun(schedule);
        long elements = 1;
        for (var d = 0; d < read.Terms.Length; d++)
        {
            long count = 1, span = 1;
            foreach (var (slot, coefficient) in read.Terms[d])
            {
                long positions, last;
                if (slot < SpatialRank)
                {
                    // A thread's positions: chunks of ThreadTile / VirtualThreads, one per virtual thread, BlockTile / VirtualThreads apart.
                    var virtualThreads = Math.Max(1, schedule.VirtualThreads[slot]);
                    positions = schedule.ThreadTile[slot];
                    last = (long)(virtualThreads - 1) * (schedule.BlockTile[slot] / virtualThreads) + positions / virtualThreads - 1;
                }
                else
                {
                    var j = slot - SpatialRank;
                    var step = j == inner ? lanes : 1;
                    positions = j >= ReduceRank - unrolledLoops ? (schedule.ReduceStep[j] + step - 1) / step : 1;
                    // A lane's points: runs of laneRun consecutive ones, lanes × laneRun apart (ReduceLaneRun).
                    var run = j == inner && positions % laneRun == 0 ? laneRun : 1;
                    last = (positions / run - 1) * step * run + run - 1;
                }
                count = Saturating(count, positions);
                span += (long)Math.Abs(coefficient) * last;
            }
            elements = Saturating(elements, Math.Min(count, span));
        }
        return elements;
    }

    /// <summary>Elements along the tensor's innermost (contiguous) dimension of the same box.</summary>
    public long InnermostRun(int index, ReadOnlySpan<int> tile, bool clamp)
    {
        var read = _reads[index];
        return read.Terms.Length == 0 ? 1 : DimensionExtent(read, read.Terms.Length - 1, tile, clamp);
    }

    /// <summary>How far (in elements) the address of read <paramref name="index"/> moves per unit step of axis <paramref name="slot"/>.</summary>
    public long AddressStride(int index, int slot) => _reads[index].AxisStrides[slot];

    /// <summary>Elements of the input tensor read by <paramref name="index"/>.</summary>
    public long TensorElements(int index) => _reads[index].TensorElements;

    private static long DimensionExtent(ReadInfo read, int d, ReadOnlySpan<int> tile, bool clamp)
    {
        long extent = 1;
        foreach (var (slot, coefficient) in read.Terms[d])
        {
            extent += (long)Math.Abs(coefficient) * (tile[slot] - 1);
        }
        return clamp ? Math.Min(extent, read.Shape[d]) : extent;
    }

    /// <summary>The tile of one block stage: block tile on spatial slots, reduce step on reduce slots.</summary>
    public void BlockStageTile(Schedule schedule, Span<int> tile)
    {
        for (var i = 0; i < SpatialRank; i++)
        {
            tile[i] = schedule.BlockTile[i];
        }
        for (var j = 0; j < ReduceRank; j++)
        {
            tile[SpatialRank + j] = schedule.ReduceStep[j];
        }
    }

    /// <summary>The tile of one thread at one reduce point: thread tile on spatial slots, 1 on reduce slots.</summary>
    public void ThreadPointTile(Schedule schedule, Span<int> tile)
    {
        for (var i = 0; i < SpatialRank; i++)
        {
            tile[i] = schedule.ThreadTile[i];
        }
        for (var j = 0; j < ReduceRank; j++)
        {
            tile[SpatialRank + j] = 1;
        }
    }

    /// <summary>
    /// The box of read <paramref name="index"/> over a tile of <paramref name="tile"/> points
    /// per axis slot (unclamped): elements per tensor dimension, and where the box starts
    /// relative to the index at the tile's origin (negative where a coefficient is).
    /// </summary>
    public TileFootprint Box(int index, ReadOnlySpan<int> tile)
    {
        var read = _reads[index];
        var extents = new int[read.Terms.Length];
        var offsets = new int[read.Terms.Length];
        for (var d = 0; d < read.Terms.Length; d++)
        {
            extents[d] = (int)Math.Min(int.MaxValue, DimensionExtent(read, d, tile, clamp: false));
            long offset = 0;
            foreach (var (slot, coefficient) in read.Terms[d])
            {
                if (coefficient < 0)
                {
                    offset += (long)coefficient * (tile[slot] - 1);
                }
            }
            offsets[d] = (int)Math.Max(int.MinValue, offset);
        }
        return new TileFootprint(read.Tensor, extents, offsets);
    }

    /// <summary>The box read <paramref name="index"/> touches in one block's stage of <paramref name="schedule"/>.</summary>
    public TileFootprint BlockStageBox(int index, Schedule schedule)
    {
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        return Box(index, tile);
    }

    /// <summary>How the staged box of read <paramref name="index"/> lies in shared memory under <paramref name="schedule"/>.</summary>
    public StagedLayout Layout(int index, Schedule schedule)
    {
        var read = _reads[index];
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        var box = Box(index, tile);
        var strides = new long[read.Terms.Length];
        var elements = StoredStrides(read, tile, schedule, strides);
        return new StagedLayout(box, PaddingOf(read, schedule.SharedPadding), OrderOf(read, schedule), strides, elements);
    }

    /// <summary>
    /// The stride of every tensor dimension in the stored box (storage order,
    /// innermost stored row padded), written to <paramref name="strides"/>; returns
    /// the elements stored. The one layout formula, shared by <see cref="Layout"/>
    /// and the cost model's allocation-free paths.
    /// </summary>
    private static long StoredStrides(ReadInfo read, ReadOnlySpan<int> tile, Schedule schedule, Span<long> strides)
    {
        var pad = PaddingOf(read, schedule.SharedPadding);
        var order = OrderOf(read, schedule);
        long stride = 1;
        for (var i = order.Length - 1; i >= 0; i--)
        {
            var d = order[i];
            strides[d] = stride;
            stride = Saturating(stride, DimensionExtent(read, d, tile, clamp: false) + (i == order.Length - 1 ? pad : 0));
        }
        return stride;
    }

    /// <summary>
    /// How the block copies the staged box of read <paramref name="index"/> (see <see cref="CopyPlan"/>).
    /// Chunks run along the box's innermost copy run (<see cref="CopyRun(int, Schedule, ReadOnlySpan{int})"/>). A chunk loads as one
    /// vector when the run holds whole vectors, the tensor's stride outside the run is whole vectors,
    /// and the run's origin is a multiple of the width for every block and stage: an aligned chunk is
    /// then entirely inside or entirely outside the tensor. It stores as one vector when, besides, the
    /// tensor's innermost dimension is also the innermost stored one and the stored rows keep vectors aligned.
    /// </summary>
    public CopyPlan Copy(int index, Schedule schedule)
    {
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        var (width, vectorLoad, vectorStore, iterations) = CopyShape(index, schedule, tile);
        return new CopyPlan(width, vectorLoad, vectorStore, Footprint(index, tile, clamp: false), iterations);
    }

    /// <summary><see cref="Copy"/> without allocating, over the block-stage tile <paramref name="tile"/>, for the cost model's hot path.</summary>
    public (int Width, bool VectorLoad, bool VectorStore, int IterationsPerThread) CopyShape(int index, Schedule schedule, ReadOnlySpan<int> tile)
    {
        var read = _reads[index];
        var rank = read.Terms.Length;
        // Single-element chunks need no run (the cost model asks for every state: skip the work).
        var (first, row) = schedule.VectorWidth > 1 ? CopyRun(index, schedule, tile) : (rank - 1, 1L);
        var width = rank > 0 && row % schedule.VectorWidth == 0 ? schedule.VectorWidth : 1;
        var vectorLoad = width > 1;
        if (vectorLoad)
        {
            // The run's origin in elements: each dimension's index constant plus its box offset, plus
            // multiples of each term's tile, weighted by the dimension's stride in the tensor.
            long stride = 1, origin = 0;
            for (var d = rank - 1; d >= first; d--)
            {
                long start = read.Constants[d];
                foreach (var (slot, coefficient) in read.Terms[d])
                {
                    // An axis of a single tile (one block or one stage) always starts at 0: the lowering leaves its term out.
                    if (tile[slot] < _extents[slot])
                    {
                        vectorLoad &= Divides(width, stride * coefficient * tile[slot]);
                    }
                    if (coefficient < 0)
                    {
                        start += (long)coefficient * (tile[slot] - 1);
                    }
                }
                origin += stride * start;
                stride *= read.Shape[d];
            }
            // Every dimension outside the run moves by whole vectors (and a checked row holds whole chunks).
            vectorLoad &= Divides(width, stride) && Divides(width, origin);
        }
        var vectorStore = vectorLoad && OrderOf(read, schedule)[^1] == rank - 1
            && StoredElements(index, tile, schedule) % 4 == 0 && (row + (first == rank - 1 ? PaddingOf(read, schedule.SharedPadding) : 0)) % width == 0;
        var elements = Footprint(index, tile, clamp: false);
        var perRound = (long)schedule.ThreadsPerBlock * width;
        return (width, vectorLoad, vectorStore, (int)Math.Min(int.MaxValue, (elements + perRound - 1) / perRound));
    }

    /// <summary>
    /// Where the first warp's copy stores land: for each lane, the stored offset
    /// (<see cref="StagedLayout.Strides"/>, padding included) of the first element of its first chunk
    /// of <paramref name="width"/> elements, the box walked innermost tensor dimension first as the
    /// copy walks it. The chunk's other elements lie one innermost stored stride further each (a chunk
    /// stays inside the copy run, which is evenly strided in shared memory). Writes one offset per lane
    /// that has a chunk into <paramref name="offsets"/> and returns how many. The cost model counts the
    /// bank conflicts of these stores: a transposed box (a convolution's weights stored
    /// filter-innermost) puts consecutive elements a stored row apart, and rows of 20 words put 4
    /// lanes on each bank.
    /// </summary>
    public int CopyStoreOffsets(int index, Schedule schedule, ReadOnlySpan<int> tile, int width, Span<long> offsets)
    {
        var read = _reads[index];
        var rank = read.Terms.Length;
        if (rank == 0 || offsets.Length == 0)
        {
            // A scalar box is one element, stored at 0.
            offsets.Fill(0);
            return Math.Min(1, offsets.Length);
        }
        Span<long> stored = stackalloc long[rank];
        StoredStrides(read, tile, schedule, stored);
        Span<long> extent = stackalloc long[rank];
        Span<long> at = stackalloc long[rank];
        for (var d = 0; d < rank; d++)
        {
            extent[d] = DimensionExtent(read, d, tile, clamp: false);
        }
        var elements = Footprint(index, tile, clamp: false);
        // An odometer over the box's dimensions (innermost fastest), `width` elements per lane, instead
        // of a division per dimension and lane: the cost model asks this for every state.
        long offset = 0;
        var count = 0;
        for (long element = 0; count < offsets.Length && element < elements; element += width)
        {
            offsets[count++] = offset;
            at[rank - 1] += width;
            offset += width * stored[rank - 1];
            for (var d = rank - 1; d > 0 && at[d] >= extent[d]; d--)
            {
                // Carry: past the end of this dimension's row, on to the next row of the one outside it.
                var carries = at[d] / extent[d];
                at[d] -= carries * extent[d];
                offset += carries * (stored[d - 1] - extent[d] * stored[d]);
                at[d - 1] += carries;
            }
        }
        return count;
    }

    /// <summary>
    /// The innermost run of the staged box of read <paramref name="index"/> that a copy walks as one
    /// row (<see cref="CopyRun(int, Schedule, ReadOnlySpan{int}, int)"/> from the tensor's innermost
    /// dimension). A convolution's weights W[f,c,r,s] with whole 3x3 windows copy in runs of c, r and s:
    /// 9 elements per channel instead of rows of 3, so they load as vectors.
    /// </summary>
    public (int First, long Length) CopyRun(int index, Schedule schedule, ReadOnlySpan<int> tile) =>
        _reads[index].Terms.Length == 0 ? (0, 1) : CopyRun(index, schedule, tile, _reads[index].Terms.Length - 1);

    /// <summary>
    /// The run of box dimensions ending at <paramref name="innermost"/> that a copy walks as one: a
    /// dimension joins the run inside it when, in the tensor and in shared memory alike, its stride is
    /// the run's length times the run's stride (the box spans the inner dimensions whole, with no
    /// padding between rows), and neither it nor the run's outermost dimension is bounds-checked (a
    /// check needs its own coordinate). A chunk's coordinate then costs one division per run instead
    /// of one per dimension. Returns the run's outermost dimension and its length in elements. The
    /// lowering walks every box in these runs; the copy plan's vector width divides the innermost.
    /// </summary>
    public (int First, long Length) CopyRun(int index, Schedule schedule, ReadOnlySpan<int> tile, int innermost)
    {
        var read = _reads[index];
        var first = innermost;
        var length = DimensionExtent(read, innermost, tile, clamp: false);
        long innerStride = 1;
        for (var d = innermost + 1; d < read.Terms.Length; d++)
        {
            innerStride = Saturating(innerStride, read.Shape[d]);
        }
        // The tensor stride of the dimension outside the run; the cheap test first: most boxes do not
        // span their innermost dimension whole.
        var tensorStride = Saturating(innerStride, read.Shape[innermost]);
        if (innermost == 0 || tensorStride != length * innerStride)
        {
            return (first, length);
        }
        Span<long> stored = stackalloc long[read.Terms.Length];
        StoredStrides(read, tile, schedule, stored);
        while (first > 0 && !IndexCanLeave(index, first, schedule, reduceGuarded: false))
        {
            var d = first - 1;
            if (tensorStride != length * innerStride || stored[d] != length * stored[innermost] || IndexCanLeave(index, d, schedule, reduceGuarded: false))
            {
                break;
            }
            length = Saturating(length, DimensionExtent(read, d, tile, clamp: false));
            tensorStride = Saturating(tensorStride, read.Shape[d]);
            first = d;
        }
        return (first, length);
    }

    /// <summary>
    /// The carries between copy runs that a thread's copy chunks of read <paramref name="index"/>
    /// can make, summed over its chunks: chunk k lies k × threads × width elements after the
    /// thread's first, and where that step's digit in a run, plus a carry from the run inside it,
    /// can pass the run's extent for some thread, the chunk's offsets take a carry (a condition
    /// bit tested and a constant selected into both offsets in every stage; the lowering's
    /// chunks after the first). A box of one run never carries; a copy the lowering loops over
    /// (<see cref="HoistsCopy"/>) divides instead (<see cref="CopyDivisionInstructions"/>) and is not counted here. <paramref name="width"/> and
    /// <paramref name="iterations"/> are the copy's chunk width and chunks per thread, as
    /// <see cref="CopyShape"/> gives them (its callers have them already: the cost model asks for every state).
    /// </summary>
    public int CopyCarries(int index, Schedule schedule, ReadOnlySpan<int> tile, int width, int iterations) =>
        // A copy that HoistsCopy unrolls by the cp.async rule has no carries by that rule: no need to count them twice.
        schedule.RegisterPrefetch || iterations <= MaxHoistedCopyIterations ? Carries(index, schedule, tile, width, iterations) : 0;

    /// <summary>
    /// Integer instructions per stage that a copy the lowering loops over (<see cref="HoistsCopy"/> false) spends on
    /// each chunk's coordinates, summed over a thread's chunks: per copy run, its digit's quotient by the runs inside
    /// it and remainder by its extent (one shift or mask by a power of two, else a multiply-high and a shift, and a
    /// multiply-add more for a remainder), and a multiply-add into each offset, shared and global; per chunk, its
    /// element and its bounds test. An unrolled copy (0 here) reaches its chunks by constants and carries instead.
    /// Batch-1 ResNet-50's s4_conv3x3 pick for h100 at 7d4c311 (18 chunks of W a stage in runs of 16 and 72): 2,473
    /// SASS instructions and 186 IMAD looped, 2,272 and 42 with the copy unrolled in a trial build (ptxas 11.8, sm_90).
    /// </summary>
    public int CopyDivisionInstructions(int index, Schedule schedule, ReadOnlySpan<int> tile, int width, int iterations)
    {
        if (HoistsCopy(index, schedule, tile, width, iterations))
        {
            return 0;
        }
        var perChunk = 2;
        long after = 1;
        for (var innermost = _reads[index].Terms.Length - 1; innermost >= 0;)
        {
            var (first, length) = CopyRun(index, schedule, tile, innermost);
            if (after > 1)
            {
                perChunk += IsPowerOfTwo(after) ? 1 : 2;
            }
            if (length > 1)
            {
                perChunk += (IsPowerOfTwo(length) ? 1 : 3) + 2;
            }
            after = Saturating(after, length);
            innermost = first - 1;
        }
        return perChunk * iterations;
    }

    private static bool IsPowerOfTwo(long value) => (value & (value - 1)) == 0;

    /// <summary><see cref="CopyCarries"/> of a copy that is unrolled, whether or not the lowering unrolls it.</summary>
    private int Carries(int index, Schedule schedule, ReadOnlySpan<int> tile, int width, int iterations)
    {
        var rank = _reads[index].Terms.Length;
        if (rank < 2 || iterations < 2)
        {
            return 0;
        }
        // The runs innermost first, and the largest digit a thread's first chunk has in each.
        Span<long> extent = stackalloc long[rank];
        Span<long> largest = stackalloc long[rank];
        var runs = 0;
        long after = 1;
        var threads = schedule.ThreadsPerBlock;
        for (var innermost = rank - 1; innermost >= 0; runs++)
        {
            var (first, length) = CopyRun(index, schedule, tile, innermost);
            extent[runs] = length;
            largest[runs] = Math.Min((long)width * (threads - 1) / after, length - 1);
            after = Saturating(after, length);
            innermost = first - 1;
        }
        var carries = 0;
        for (var chunk = 1; chunk < iterations; chunk++)
        {
            var rest = (long)chunk * threads * width;
            var carryIn = false;
            // The outermost run takes what is left: it has no carry out.
            for (var i = 0; i < runs - 1; i++)
            {
                var add = rest % extent[i];
                rest /= extent[i];
                var carried = carryIn ? 1 : 0;
                carryIn = (add > 0 || carryIn) && add + carried + largest[i] >= extent[i];
                carries += carryIn ? 1 : 0;
            }
        }
        return carries;
    }

    private static bool Divides(long divisor, long value) => value % divisor == 0;

    /// <summary>Row padding of a staged box: rows exist only in boxes of two or more dimensions.</summary>
    private static int PaddingOf(ReadInfo read, int padding) => read.Terms.Length >= 2 ? padding : 0;

    /// <summary>
    /// Shared bytes a block of <paramref name="schedule"/> uses: the stored layout
    /// of every staged read, float32, once per buffer, plus the scratch the
    /// reduce threads combine their partial results in across warps. With asynchronous copies each of
    /// these starts on 16 bytes of one allocation (the kernel addresses it from its start, see the lowering).
    /// </summary>
    public long SharedMemoryBytes(Schedule schedule, int warpSize = 32)
    {
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        var quads = schedule.AsyncCopy;
        long bytes = 0;
        for (var r = 0; r < _reads.Length; r++)
        {
            if (IsShared(schedule, _reads[r].Tensor))
            {
                var elements = Saturating(StoredElements(r, tile, schedule), Math.Max(1, schedule.SharedBuffers));
                bytes = Math.Min(bytes + Saturating(Allotted(elements, quads), sizeof(float)), SaturationCap);
            }
        }
        return Math.Min(bytes + Saturating(Allotted(ReductionScratchElements(schedule, warpSize), quads), sizeof(float)), SaturationCap);
    }

    /// <summary>A shared buffer's elements as allocated: whole 16-byte units when it must start on one.</summary>
    private static long Allotted(long elements, bool quads) => quads ? Math.Min((elements + 3) / 4 * 4, SaturationCap) : elements;

    // Sizes of absurd schedules (a 65536x65536 block of a read with huge
    // coefficients) saturate here instead of wrapping to a small or negative
    // number that would pass a limit; 2^53 is beyond every limit and exact in a double.
    private const long SaturationCap = 1L << 53;

    private static long Saturating(long a, long b) =>
        a <= 0 || b <= 0 ? a * b : a > SaturationCap / b ? SaturationCap : Math.Min(a * b, SaturationCap);

    /// <summary>
    /// Elements of the shared scratch for a reduction across warps: one partial
    /// result per warp of reduce lanes, per spatial thread and output; none when
    /// the reduce lanes fit in one warp (shuffles suffice).
    /// </summary>
    public static long ReductionScratchElements(Schedule schedule, int warpSize = 32) =>
        schedule.ReduceThreads > warpSize
            ? (long)(schedule.ReduceThreads / warpSize) * schedule.SpatialThreads * schedule.OutputsPerThread
            : 0;

    /// <summary>
    /// <see cref="StagedLayout.StoredElements"/> without allocating, for the
    /// cost model's hot path: the box with every row longer by the padding.
    /// </summary>
    public long StoredElements(int index, ReadOnlySpan<int> tile, Schedule schedule)
    {
        var read = _reads[index];
        Span<long> strides = stackalloc long[read.Terms.Length];
        return StoredStrides(read, tile, schedule, strides);
    }

    /// <summary>
    /// How far a position moves per unit step of axis <paramref name="slot"/> in the
    /// stored layout (<see cref="StagedLayout.Strides"/>), without allocating.
    /// </summary>
    public long StoredBoxStride(int index, int slot, ReadOnlySpan<int> tile, Schedule schedule)
    {
        var read = _reads[index];
        Span<long> strides = stackalloc long[read.Terms.Length];
        StoredStrides(read, tile, schedule, strides);
        long total = 0;
        for (var d = 0; d < read.Terms.Length; d++)
        {
            foreach (var (termSlot, coefficient) in read.Terms[d])
            {
                if (termSlot == slot)
                {
                    total += coefficient * strides[d];
                }
            }
        }
        return total;
    }

    /// <summary>Reduce points a thread computes in one stage: the stage's points, shared among the reduce threads.</summary>
    public static long PointsPerThreadPerStage(Schedule schedule)
    {
        long points = 1;
        for (var j = 0; j < schedule.ReduceStep.Count; j++)
        {
            points *= schedule.ReduceStep[j];
        }
        return points / Math.Max(1, schedule.ReduceThreads);
    }

    /// <summary>Largest stage, in reduce points per thread, whose loops the lowering unrolls.</summary>
    public const int MaxUnrolledPoints = 128;

    /// <summary>
    /// Largest body of a partly unrolled loop, in reduce points per thread, in a stage with no
    /// barrier inside (double-buffered, or nothing staged): ptxas issued every load of such a
    /// body past 16 points at once when ILGPU's O2 hoisted them (ptxas 11.8, sm_90, spilling
    /// 256x256x256 GEMMs), and longer bodies have not been measured at O1 since.
    /// </summary>
    public const int MaxUnbarredPartialPoints = 16;

    /// <summary>Largest stage, in multiply-adds per thread, whose loops the lowering unrolls.</summary>
    public const int MaxUnrolledUpdates = 4096;

    /// <summary>
    /// Whether the reduce points of a stage are unrolled into straight-line code:
    /// constant shared-memory offsets and no loop overhead, at the price of code
    /// size, so only up to <see cref="MaxUnrolledPoints"/> points and
    /// <see cref="MaxUnrolledUpdates"/> multiply-adds per thread.
    /// </summary>
    public static bool UnrollsStage(Schedule schedule) => UnrolledReduceLoops(schedule) == schedule.ReduceStep.Count;

    /// <summary>
    /// How many of a stage's reduce loops, counted from the innermost, the lowering unrolls:
    /// loops are unrolled from the inside out while the unrolled body stays within
    /// <see cref="MaxUnrolledPoints"/> points and <see cref="MaxUnrolledUpdates"/> multiply-adds
    /// per thread. A stage too long to unroll whole (a 3x3 convolution's 8x3x3 points for 64
    /// outputs) still has its inner loops unrolled: a rolled loop of one point per iteration
    /// costs a compare, a branch and its address arithmetic per 64 multiply-adds, and ptxas
    /// can issue a later point's loads early only within an unrolled body.
    /// </summary>
    public static int UnrolledReduceLoops(Schedule schedule) => StageUnrolling(schedule).Loops;

    /// <summary>
    /// Reduce points per thread in one unrolled body of a stage (see <see cref="UnrolledReduceLoops"/>
    /// and <see cref="PartialUnrollFactor"/>): 1 when nothing is unrolled.
    /// </summary>
    public static long UnrolledPoints(Schedule schedule) => StageUnrolling(schedule).Points;

    /// <summary>
    /// How many trips of the innermost rolled reduce loop one iteration of it runs (1: none, or no
    /// rolled loop): the loop is unrolled by the largest divisor of its trips that keeps the body
    /// within <see cref="MaxUnrolledPoints"/> points (<see cref="MaxUnbarredPartialPoints"/> in a
    /// stage with no barrier inside) and <see cref="MaxUnrolledUpdates"/> multiply-adds per
    /// thread. A 3x3 convolution's stage of 16 staged channels for 32 outputs (4608 multiply-adds,
    /// too long to unroll whole) loops over 8 channels at a time, 72 unrolled points: the loop's
    /// compare and branch are paid an eighth as often, and ptxas can schedule a whole body's
    /// shared loads together, as CUTLASS does with its whole k-group.
    /// </summary>
    public static int PartialUnrollFactor(Schedule schedule) => StageUnrolling(schedule).Factor;

    /// <summary>
    /// <see cref="UnrolledReduceLoops"/>, <see cref="UnrolledPoints"/> and <see cref="PartialUnrollFactor"/>
    /// at once, for callers that need more than one of them on a hot path (legality).
    /// </summary>
    public static (int Loops, long Points, int Factor) StageUnrolling(Schedule schedule)
    {
        var inner = schedule.ReduceStep.Count - 1;
        var lanes = Math.Max(1, schedule.ReduceThreads);
        long points = 1;
        var loops = 0;
        for (var j = inner; j >= 0; j--)
        {
            var loopTrips = Trips(schedule, j, lanes);
            if (!Fits(points * loopTrips, schedule))
            {
                break;
            }
            points *= loopTrips;
            loops++;
        }
        var rolled = inner - loops;
        // The innermost loop steps by the lanes: only whole rounds of them unroll.
        if (rolled < 0 || rolled == inner && schedule.ReduceStep[rolled] % lanes != 0)
        {
            return (loops, points, 1);
        }
        var trips = Trips(schedule, rolled, lanes);
        // With no barrier inside the stage ptxas may issue a whole unrolled body's loads up front
        // (see MaxUnbarredPartialPoints): a longer body that the schedule did not ask for would only
        // cost registers, so such stages take at most MaxUnbarredPartialPoints at a time.
        var unbarred = NoBarrierInStage(schedule);
        for (var factor = trips / 2; factor >= 2; factor--)
        {
            if (trips % factor == 0 && Fits(points * factor, schedule) && (!unbarred || points * factor <= MaxUnbarredPartialPoints))
            {
                return (loops, points * factor, (int)factor);
            }
        }
        return (loops, points, 1);
    }

    /// <summary>Whether a stage runs with no barrier inside it: double-buffered, or nothing staged.</summary>
    public static bool NoBarrierInStage(Schedule schedule) => schedule.SharedBuffers > 1 || schedule.SharedInputs.Count == 0;

    private static long Trips(Schedule schedule, int j, int lanes) =>
        j == schedule.ReduceStep.Count - 1 ? (schedule.ReduceStep[j] + lanes - 1) / lanes : schedule.ReduceStep[j];

    private static bool Fits(long points, Schedule schedule) =>
        points <= MaxUnrolledPoints && points * schedule.OutputsPerThread <= MaxUnrolledUpdates;

    /// <summary>
    /// Whether index <paramref name="dimension"/> of read <paramref name="index"/> can leave its
    /// tensor over the padded iteration space of <paramref name="schedule"/> (whole block tiles,
    /// and whole stages unless <paramref name="reduceGuarded"/>, where points past a reduce
    /// axis are skipped): only then does a load need a bounds check.
    /// </summary>
    public bool IndexCanLeave(int index, int dimension, Schedule schedule, bool reduceGuarded)
    {
        var read = _reads[index];
        long min = read.Constants[dimension], max = min;
        foreach (var (slot, coefficient) in read.Terms[dimension])
        {
            long extent = _extents[slot];
            var step = slot < SpatialRank ? schedule.BlockTile[slot] : schedule.ReduceStep[slot - SpatialRank];
            var padded = slot >= SpatialRank && reduceGuarded ? extent : (extent + step - 1) / step * step;
            var span = coefficient * (padded - 1);
            if (span >= 0)
            {
                max += span;
            }
            else
            {
                min += span;
            }
        }
        return min < 0 || max >= read.Shape[dimension];
    }

    /// <summary>Dimensions of read <paramref name="index"/> whose loads need bounds checks (see <see cref="IndexCanLeave"/>).</summary>
    public int CheckedDimensions(int index, Schedule schedule, bool reduceGuarded)
    {
        var count = 0;
        for (var d = 0; d < _reads[index].Terms.Length; d++)
        {
            if (IndexCanLeave(index, d, schedule, reduceGuarded))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Registers a thread needs whatever the tiles: thread and block coordinates, loop counters, stage indices.</summary>
    public const int BaseRegisters = 12;

    /// <summary>
    /// Whether a thread's offsets into the staged box of read <paramref name="index"/> stay
    /// multiples of 4 whatever its position, reduce lane, stage buffer and reduce point, so
    /// that four operands at offsets 4i..4i+3 load as one 128-bit shared load: four along a
    /// spatial axis of the thread's chunk, or a lane's run of four reduce points where the box
    /// is contiguous along the innermost reduce axis (<see cref="ReduceLaneRun"/>).
    /// </summary>
    public bool QuadAlignedOperands(int index, Schedule schedule) => QuadAlignedOperands(index, schedule, ReduceLaneRun(schedule));

    private bool QuadAlignedOperands(int index, Schedule schedule, int laneRun)
    {
        var read = _reads[index];
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        Span<long> strides = stackalloc long[read.Terms.Length];
        if (StoredStrides(read, tile, schedule, strides) % 4 != 0)
        {
            return false;
        }
        var innerSlot = SpatialRank + ReduceRank - 1;
        long constant = 0;
        for (var d = 0; d < read.Terms.Length; d++)
        {
            foreach (var (slot, coefficient) in read.Terms[d])
            {
                if (coefficient < 0)
                {
                    // The box starts at the most negative point: the offset moves the base.
                    constant -= strides[d] * coefficient * (tile[slot] - 1);
                }
                var step = strides[d] * coefficient;
                if (slot < SpatialRank)
                {
                    step *= schedule.ThreadTile[slot] / schedule.VirtualThreads[slot];
                }
                else if (slot == innerSlot && step == 1)
                {
                    // Contiguous along a lane's run: its places are a quad's elements, lanes and points whole runs apart.
                    step = laneRun;
                }
                if (step % 4 != 0)
                {
                    return false;
                }
            }
        }
        return constant % 4 == 0;
    }

    /// <summary>
    /// Shared loads per reduce point for staged read <paramref name="index"/>: one per four
    /// operands where they lie contiguous along a spatial axis of the thread tile, or along a
    /// lane's run of four reduce points, and stay aligned (<see cref="QuadAlignedOperands(int, Schedule)"/>);
    /// else one per operand. Fractional where a run's quads serve its four points.
    /// </summary>
    public double SharedLoadsPerPoint(int index, Schedule schedule)
    {
        Span<int> point = stackalloc int[AxisCount];
        ThreadPointTile(schedule, point);
        var operands = Footprint(index, point, clamp: false);
        var laneRun = ReduceLaneRun(schedule);
        if (!QuadAlignedOperands(index, schedule, laneRun))
        {
            return operands;
        }
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        for (var a = 0; a < SpatialRank; a++)
        {
            if (schedule.ThreadTile[a] / schedule.VirtualThreads[a] % 4 == 0 && StoredBoxStride(index, a, tile, schedule) == 1)
            {
                return (operands + 3) / 4;
            }
        }
        return laneRun % 4 == 0 && ReduceRank > 0 && StoredBoxStride(index, SpatialRank + ReduceRank - 1, tile, schedule) == 1
            ? operands / 4.0
            : operands;
    }

    /// <summary>
    /// How many elements a thread loads at once from unstaged read <paramref name="index"/>: 4 or 2
    /// where its operands lie in runs of that many consecutive elements (along a spatial axis of
    /// address stride 1 whose thread chunk is a multiple of it) and every address the kernel forms
    /// for the read stays a multiple of it (block, thread and virtual-thread offsets along that
    /// axis, the other axes' strides, which carry the stage, point and lane offsets, and the
    /// indices' constants), with no bound checked; else 1. The lowering loads such runs as 128- or
    /// 64-bit vectors, and the cost model counts one load per run.
    /// </summary>
    public int GlobalVectorWidth(int index, Schedule schedule)
    {
        var read = _reads[index];
        if (!read.Float32 || CheckedDimensions(index, schedule, reduceGuarded: true) > 0)
        {
            return 1;
        }
        // (ReduceLaneRun is not free, and legality and the cost model ask for every read of every state.)
        if ((schedule.ReduceThreads > 1 || schedule.ReduceRun > 1) && ContiguousAlongInnerReduce(read)
            && ReduceLaneRun(schedule) is > 1 and var laneRun && LaneRunLoadsAsVectors(index, schedule, laneRun))
        {
            return laneRun;
        }
        for (var width = 4; width > 1; width /= 2)
        {
            if (read.FlatConstant % width != 0)
            {
                continue;
            }
            var runs = false;
            var aligned = true;
            for (var slot = 0; slot < AxisCount && aligned; slot++)
            {
                var stride = read.AxisStrides[slot];
                if (slot < SpatialRank && stride == 1 && !runs)
                {
                    var chunk = schedule.ThreadTile[slot] / schedule.VirtualThreads[slot];
                    aligned = chunk % width == 0 && schedule.BlockTile[slot] / schedule.VirtualThreads[slot] % width == 0;
                    runs = true;
                }
                else
                {
                    aligned = stride % width == 0;
                }
            }
            if (runs && aligned)
            {
                return width;
            }
        }
        return 1;
    }

    /// <summary>
    /// How many consecutive points of the innermost reduce axis each reduce lane takes before the
    /// next lane's (4 or 2; 1 without reduce lanes): lane l of L reads k = (L·i + l)·run + v, where
    /// with a run of 1 it reads every L-th k. A run lets an unstaged read along whose innermost
    /// reduce axis the tensor is contiguous (a 1x1 convolution's or a GEMV's weight rows) load each
    /// lane's run as one 128- or 64-bit vector (<see cref="GlobalVectorWidth"/>): batch-1 ResNet-50's
    /// s3_downsample pick for h100 read W one float per lane and point, 574 LDG in ptxas 11.8. A run
    /// of four lets a staged read whose box is contiguous along that axis load it as one 128-bit
    /// shared load (<see cref="SharedLoadsPerPoint"/>): a GEMV's x[j] (the h100 pick for a 4096x4096
    /// GEMV stages x and reads it so). Taken when such a read exists and every run fits whole: the stage's step is a whole number of rounds of lanes × run, the innermost reduce loop is unrolled, and no stage runs past the
    /// axis; otherwise 1, the kernel as before. A schedule that asks for a run (<see cref="Schedule.ReduceRun"/>,
    /// with or without reduce lanes) has that run.
    /// </summary>
    public int ReduceLaneRun(Schedule schedule)
    {
        if (schedule.ReduceRun > 1)
        {
            // Asked for (run=4), with the conditions below checked by CheckStructure.
            return schedule.ReduceRun;
        }
        var lanes = schedule.ReduceThreads;
        var inner = ReduceRank - 1;
        // Cheapest tests first: legality and the cost model ask for every state with reduce lanes.
        if (lanes <= 1 || ReduceRank == 0 || schedule.ReduceStep[inner] % (2L * lanes) != 0)
        {
            return 1;
        }
        if (_lastLaneRun is { } last && ReferenceEquals(last.Schedule, schedule))
        {
            return last.Run;
        }
        var run = LaneRunOf(schedule, lanes, schedule.ReduceStep[inner]);
        _lastLaneRun = new ScheduleLaneRun(schedule, run);
        return run;
    }

    /// <summary>
    /// The last schedule <see cref="ReduceLaneRun"/> answered and its run: the cost model, legality, the
    /// register estimate and each read's vector width ask in turn about one state. One immutable pair,
    /// so threads that share the analysis never see a schedule with another's run.
    /// </summary>
    private sealed record ScheduleLaneRun(Schedule Schedule, int Run);

    private volatile ScheduleLaneRun? _lastLaneRun;

    private int LaneRunOf(Schedule schedule, int lanes, int step)
    {
        if (_extents[SpatialRank + ReduceRank - 1] % step != 0 || StageUnrolling(schedule).Loops == 0)
        {
            return 1;
        }
        for (var run = 4; run > 1; run /= 2)
        {
            if (step % ((long)lanes * run) != 0)
            {
                continue;
            }
            for (var r = 0; r < _reads.Length; r++)
            {
                if (LaneRunLoadsAsVectors(r, schedule, run) || run == 4 && LaneRunLoadsAsSharedQuads(r, schedule))
                {
                    return run;
                }
            }
        }
        return 1;
    }

    /// <summary>
    /// Whether unstaged read <paramref name="index"/> loads a lane's run of <paramref name="run"/>
    /// reduce points as one aligned vector: contiguous along the innermost reduce axis and along no
    /// other axis, every other axis's stride and the indices' constant multiples of the run (block,
    /// thread, stage and lane offsets then keep the alignment), float32 and with no bound checked.
    /// </summary>
    private bool LaneRunLoadsAsVectors(int index, Schedule schedule, int run)
    {
        var read = _reads[index];
        var innerSlot = SpatialRank + ReduceRank - 1;
        if (!read.Float32 || IsShared(schedule, read.Tensor) || !ContiguousAlongInnerReduce(read) || read.FlatConstant % run != 0)
        {
            return false;
        }
        for (var slot = 0; slot < AxisCount; slot++)
        {
            if (slot != innerSlot && read.AxisStrides[slot] % run != 0)
            {
                return false;
            }
        }
        // The costliest test last.
        return CheckedDimensions(index, schedule, reduceGuarded: true) == 0;
    }

    /// <summary>
    /// Whether staged read <paramref name="index"/> loads a lane's run of four reduce points as one
    /// 128-bit shared load: its box is contiguous along the innermost reduce axis (a box stores the
    /// dimensions indexed by reduce axes alone outermost, so only where the dimensions after them
    /// hold one element each: a GEMV's x[j], or I[b,c] with one b per block) and every offset a thread adds stays a multiple of four.
    /// </summary>
    private bool LaneRunLoadsAsSharedQuads(int index, Schedule schedule)
    {
        if (!IsShared(schedule, _reads[index].Tensor))
        {
            return false;
        }
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        return StoredBoxStride(index, SpatialRank + ReduceRank - 1, tile, schedule) == 1
            && QuadAlignedOperands(index, schedule, laneRun: 4);
    }

    /// <summary>Most chunks per thread whose copy coordinates a kernel computes once and keeps in registers; more are recomputed per stage.</summary>
    public const int MaxHoistedCopyIterations = 16;

    /// <summary>
    /// Most chunks per thread of an asynchronous copy with no carries between its runs and no bounds check that the
    /// lowering unrolls from its first chunk's coordinates (<see cref="HoistsCopy"/>).
    /// </summary>
    public const int MaxHoistedAsyncCopyIterations = 64;

    /// <summary>
    /// Whether the lowering unrolls read <paramref name="index"/>'s copy from its thread's first chunk, keeping that
    /// chunk's coordinates in registers (else a loop recomputes them per chunk and stage): up to
    /// <see cref="MaxHoistedCopyIterations"/> chunks, every chunk with the prefetch (which holds their values anyway),
    /// and up to <see cref="MaxHoistedAsyncCopyIterations"/> for cp.async with no carries and no bounds check. Such a
    /// copy's chunks are the first one's offsets plus constants, and no register holds a cp.async's value: the loop's
    /// divisions were all its cost (4096³'s 64x256 pick for h100, 32 chunks of A a stage: 115 IMAD and 3,744 SASS
    /// instructions looped, 22 and 2,653 unrolled; ptxas 11.8, sm_90). Unrolled, chunks with carries or checks took
    /// more registers than the loop: batch-32 ResNet-50's s3_conv3x3 pick (72 chunks of W, carries) 128 to 142 (512 to
    /// 384 threads resident), a 64x64 tile of a 500x700x1000 product (32 checked chunks of A and of B) 95 to 221.
    /// <paramref name="tile"/>, <paramref name="width"/> and <paramref name="iterations"/> as for <see cref="CopyCarries"/>.
    /// </summary>
    public bool HoistsCopy(int index, Schedule schedule, ReadOnlySpan<int> tile, int width, int iterations) =>
        schedule.RegisterPrefetch || iterations <= MaxHoistedCopyIterations
        || schedule.AsyncCopy && iterations <= MaxHoistedAsyncCopyIterations && CopyCheckedDimensions(index, schedule).Checked == 0
            && Carries(index, schedule, tile, width, iterations) == 0;

    /// <summary>
    /// An estimate of registers per thread, term by term as the lowering writes the kernel,
    /// fitted to ptxas 11.8 for sm_90 on gensor's leading candidates for the bench suites
    /// (<c>Gensor.Bench registers</c>): see <see cref="RegisterTerms"/>.
    /// </summary>
    public int RegistersPerThread(Schedule schedule) => EstimateRegisters(schedule).Total;

    /// <summary>
    /// The register estimate's terms for <paramref name="schedule"/> (<see cref="RegisterTerms"/>);
    /// <see cref="RegistersPerThread"/> is their total. The bench writes them per kernel to refit them.
    /// </summary>
    public RegisterTerms EstimateRegisters(Schedule schedule)
    {
        Span<int> point = stackalloc int[AxisCount];
        ThreadPointTile(schedule, point);
        Span<int> stage = stackalloc int[AxisCount];
        BlockStageTile(schedule, stage);
        Span<int> body = stackalloc int[AxisCount];
        UnrolledBodyTile(schedule, body);
        var inFlight = _reads.Length <= 256 ? stackalloc long[_reads.Length] : new long[_reads.Length];
        var reused = _reads.Length <= 256 ? stackalloc bool[_reads.Length] : new bool[_reads.Length];
        long coordinates = 0, copyValues = 0;
        double windowChecks = 0;
        // The lowering's register prefetch loads the next stage during this one's multiply-adds; a
        // block of one stage has no next stage, so its copy is done before they start.
        var copyHeld = schedule.RegisterPrefetch && StagesPerBlock(schedule) > 1;
        // A lane's run of reduce points loads all its operands before its multiply-adds (ReduceLaneRun): half a
        // point's operands more per further point of the run, fitted to ptxas 11.8 on the leading candidates of
        // d0472d6 and its successor, where leaving the runs out put the lane-run kernels at 0.65-0.9 of ptxas's
        // registers (GPT-2's MLP down-projection: 120-144 against 167) and the whole run at 1.1-1.4 (batch-1 ResNet-50);
        // some unstaged reads hold more (RunOperandRegisters).
        var laneRun = ReduceLaneRun(schedule);
        for (var r = 0; r < _reads.Length; r++)
        {
            var operands = Footprint(r, point, clamp: false);
            var staged = IsShared(schedule, _reads[r].Tensor);
            reused[r] = operands < schedule.OutputsPerThread;
            inFlight[r] = OperandRegisters(schedule, operands) + RunOperandRegisters(_reads[r], staged, operands, laneRun);
            if (staged)
            {
                var (values, chunkCoordinates) = CopyRegisters(r, schedule, stage, copyHeld && schedule.SharedBuffers == 1);
                copyValues += values;
                coordinates += chunkCoordinates;
            }
            else
            {
                // A global read's window address lives only as long as its operands.
                inFlight[r] += GlobalReadRegisters * (1 + CheckedDimensions(r, schedule, reduceGuarded: true));
                windowChecks += WindowCheckRegisters * CheckedCoordinatesPerBody(r, schedule, body);
            }
        }
        return new RegisterTerms(schedule.OutputsPerThread, BaseRegisters, coordinates, LiveAtOnce(inFlight, reused), copyValues,
            (long)Math.Ceiling(windowChecks), copyHeld);
    }

    /// <summary>
    /// The registers a run of <paramref name="laneRun"/> reduce points (<see cref="ReduceLaneRun"/>) adds to
    /// <paramref name="read"/>'s <paramref name="operands"/> per point (<paramref name="staged"/>: in shared memory): half a point's operands per further point, and a
    /// whole point's for an unstaged read that is not contiguous along the innermost reduce axis, whose points load
    /// apart from global memory (row-major B beside a run of A). Refitted to ptxas 11.8 for sm_90 on the leading 10
    /// candidates of the bench suites at 167b37e (560 kernels, `Gensor.Bench registers --from-rows`): with half a point
    /// for every read, the 161 kernels with run=4 came out at 0.933 of ptxas in geometric mean, 18.1 registers apart
    /// in mean (GPT-2's MLP with A staged and B read from global memory, 8x8 a thread: 138 against 165-167); with a
    /// whole point for such reads, 0.973 and 15.0, and the 147 lane-run kernels without run=4 0.999 and 9.7 (0.946 and
    /// 9.1 before). A whole point for the staged reads as well put the run kernels at 1.05 and above.
    /// </summary>
    private long RunOperandRegisters(ReadInfo read, bool staged, long operands, int laneRun)
    {
        var loadsEachPointApart = !staged && !ContiguousAlongInnerReduce(read);
        return loadsEachPointApart ? operands * (laneRun - 1) : operands * (laneRun - 1) / 2;
    }

    /// <summary>Whether <paramref name="read"/>'s consecutive points of the innermost reduce axis lie next to each other in memory.</summary>
    private bool ContiguousAlongInnerReduce(ReadInfo read) => ReduceRank > 0 && read.AxisStrides[SpatialRank + ReduceRank - 1] == 1;

    /// <summary>
    /// The reduce points of one unrolled body of a stage (<see cref="StageUnrolling"/>) on the
    /// thread's point tile: the unrolled reduce loops' trips, a partly unrolled loop's factor, 1 elsewhere.
    /// </summary>
    private void UnrolledBodyTile(Schedule schedule, Span<int> tile)
    {
        ThreadPointTile(schedule, tile);
        var (loops, _, factor) = StageUnrolling(schedule);
        var lanes = Math.Max(1, schedule.ReduceThreads);
        for (var j = ReduceRank - 1; j >= ReduceRank - loops; j--)
        {
            tile[SpatialRank + j] = (int)Trips(schedule, j, lanes);
        }
        if (ReduceRank - loops - 1 is var rolled and >= 0)
        {
            tile[SpatialRank + rolled] = factor;
        }
    }

    /// <summary>
    /// The coordinates a thread checks along the bounds-checked dimensions of unstaged read
    /// <paramref name="r"/> whose index moves within one unrolled body (<paramref name="body"/>):
    /// a padded window's taps, where each tap of the thread tile tests its own row and column.
    /// Dimensions that no reduce point moves within a body count none (their checks are the
    /// thread's, in <see cref="GlobalReadRegisters"/>).
    /// </summary>
    private long CheckedCoordinatesPerBody(int r, Schedule schedule, ReadOnlySpan<int> body)
    {
        long coordinates = 0;
        var read = _reads[r];
        for (var d = 0; d < read.Terms.Length; d++)
        {
            var movesInBody = false;
            foreach (var (slot, _) in read.Terms[d])
            {
                movesInBody |= slot >= SpatialRank && body[slot] > 1;
            }
            if (movesInBody && IndexCanLeave(r, d, schedule, reduceGuarded: true))
            {
                coordinates += DimensionExtent(read, d, body, clamp: false);
            }
        }
        return coordinates;
    }

    /// <summary>
    /// Registers per coordinate that a padded window checks in an unrolled body
    /// (<see cref="CheckedCoordinatesPerBody"/>): ptxas tests them once per body and keeps the
    /// predicates through the multiply-adds in general registers (P2R; sm_90 has 7 predicate
    /// registers): batch-1 ResNet-50's s4_conv3x3 with a 2×2 tile and 3×3 taps (8 coordinates)
    /// holds 12 registers written by P2R there. Fitted with the terms of <see cref="RegisterTerms"/>
    /// on the leading candidates of 161d073 and febac48, where the 3×3 and 7×7 convolutions'
    /// estimates ran 20-45 registers under ptxas's.
    /// </summary>
    private const double WindowCheckRegisters = 1.5;

    /// <summary>
    /// The operands of the reduce points in flight, <paramref name="perPoint"/> registers per
    /// point: ptxas loads the next points' operands while the current one's multiply-adds run,
    /// more of them the more multiply-adds a point has to hide their latency behind: half a
    /// point's worth at 16 outputs per thread or fewer, three and a half from 112 on (fitted to
    /// ptxas 11.8 for sm_90, where 128-output tiles that it compiles to 255 registers and spills
    /// need the top of the range to be caught; the stage's length hardly matters once shared
    /// loads are a window plus a constant).
    /// </summary>
    private static long OperandRegisters(Schedule schedule, long perPoint) =>
        (long)Math.Ceiling(perPoint * Math.Clamp(schedule.OutputsPerThread / 32.0, 0.5, 3.5));

    /// <summary>
    /// A staged read's copy: the values in flight (ptxas issues every load of an unrolled copy
    /// before its stores, so all of a thread's chunks at once; one chunk when a loop copies
    /// them) and the coordinates: one register per unrolled chunk and checked dimension that a
    /// stage moves, and the first chunk's coordinate and bounds per checked dimension. A chunk's
    /// carries, and its bounds checks where no stage moves them, are bits of a few registers set
    /// before the stage loop (the lowering's condition bits): refitted to them on 2ff8b77's
    /// leading candidates, where a register per chunk and two per checked dimension overrated
    /// ptxas 1.15x (1.25x on batch-1 ResNet-50). With <paramref name="storesHeldValues"/> (a
    /// single-buffered register prefetch: the stage loop opens with the stores of the values
    /// the last stage loaded), ptxas hoists each chunk's shared-memory address out of the loop
    /// and keeps it, a register per chunk (batch-1 ResNet-50's s4_conv3x3 with 36 chunks of W:
    /// 27 such registers live through the multiply-adds).
    /// </summary>
    private (long Values, long Coordinates) CopyRegisters(int r, Schedule schedule, ReadOnlySpan<int> stage, bool storesHeldValues)
    {
        var (width, _, _, iterations) = CopyShape(r, schedule, stage);
        var (checks, moved) = CopyCheckedDimensions(r, schedule);
        var chunks = HoistsCopy(r, schedule, stage, width, iterations) ? iterations : 0;
        var addresses = storesHeldValues ? chunks : 0;
        if (schedule.AsyncCopy)
        {
            // cp.async moves the values without registers; the copy keeps a 64-bit base address of the box.
            return (0, chunks * (long)moved + CopyCheckRegisters * checks + AsyncCopyBaseRegisters);
        }
        return (Math.Max(chunks, 1) * (long)width, chunks * (long)moved + CopyCheckRegisters * checks + addresses);
    }

    /// <summary>
    /// The dimensions of read <paramref name="r"/> whose copy loads need bounds checks, and of
    /// those the ones whose index has a reduce axis that takes more than one stage: the box moves
    /// across the bounds from stage to stage, so a copy checks them in each stage; the lowering
    /// sets the other checks' bits once.
    /// </summary>
    private (int Checked, int Moved) CopyCheckedDimensions(int r, Schedule schedule)
    {
        int count = 0, moved = 0;
        for (var d = 0; d < _reads[r].Terms.Length; d++)
        {
            if (!IndexCanLeave(r, d, schedule, reduceGuarded: false))
            {
                continue;
            }
            count++;
            foreach (var (slot, _) in _reads[r].Terms[d])
            {
                if (slot >= SpatialRank && schedule.ReduceStep[slot - SpatialRank] < _extents[slot])
                {
                    moved++;
                    break;
                }
            }
        }
        return (count, moved);
    }

    /// <summary>Registers of an asynchronous copy's 64-bit base address in the tensor, per staged read.</summary>
    private const int AsyncCopyBaseRegisters = 2;

    /// <summary>Registers of a global read's window address, and as many again per checked dimension (its coordinate and bound).</summary>
    private const int GlobalReadRegisters = 4;

    /// <summary>Registers of a staged read's first copy chunk per bounds-checked dimension.</summary>
    private const int CopyCheckRegisters = 4;

    /// <summary>
    /// The registers of the reads that are live at once (issue 13): a read whose
    /// operands are shared by several outputs of the thread tile (<paramref name="reused"/>:
    /// its footprint is smaller than the tile, a column of A in a matrix product)
    /// keeps them through the reduce point, so all of its registers count. A read
    /// used by one output only is consumed where it is loaded: of those, only as
    /// many are live at once as evaluating the body's tree takes (its
    /// Sethi-Ullman number: two for a sum of any length), each at the cost of
    /// the dearest. This is never more than counting every read, and the same
    /// for bodies of one or two such reads (every operator of the suites).
    /// </summary>
    private long LiveAtOnce(ReadOnlySpan<long> perRead, ReadOnlySpan<bool> reused)
    {
        long total = 0, single = 0, dearest = 0;
        for (var r = 0; r < perRead.Length; r++)
        {
            if (reused[r])
            {
                total += perRead[r];
            }
            else
            {
                single += perRead[r];
                dearest = Math.Max(dearest, perRead[r]);
            }
        }
        return total + Math.Min(single, EvaluationRegisters(reused) * dearest);
    }

    /// <summary>
    /// Registers to evaluate the body once (Sethi-Ullman): a read already live
    /// (<paramref name="live"/>) or a constant needs none, any other read one;
    /// a node needs the larger of its operands' needs, one more when they tie.
    /// </summary>
    private long EvaluationRegisters(ReadOnlySpan<bool> live)
    {
        Span<int> needs = _bodyPostorder.Length <= 512 ? stackalloc int[_bodyPostorder.Length] : new int[_bodyPostorder.Length];
        var top = 0;
        foreach (var entry in _bodyPostorder)
        {
            switch (entry)
            {
                case -1:
                    needs[top++] = 0;
                    break;
                case -2:
                    needs[top - 1] = Math.Max(needs[top - 1], 1);
                    break;
                case -3:
                    var right = needs[--top];
                    var left = needs[top - 1];
                    needs[top - 1] = left == right ? left + 1 : Math.Max(left, right);
                    break;
                default:
                    needs[top++] = live[entry] ? 0 : 1;
                    break;
            }
        }
        return needs[0];
    }

    /// <summary>
    /// Null when <paramref name="schedule"/> fits the operator whatever the
    /// hardware (list lengths, divisibility, what may be staged); otherwise the
    /// reason it does not. Hardware limits are the construction's legality.
    /// </summary>
    public string? CheckStructure(Schedule schedule)
    {
        // Fused axes are named with what they replaced: a schedule written for the spec's axes must say it per fused axis.
        static string AxisList(IEnumerable<Axis> axes) => axes.Any()
            ? string.Join("; ", axes.Select(axis => axis.FusedFrom.Count > 0 ? $"{axis.Name}, fused from {string.Join(" and ", axis.FusedFrom)}" : axis.Name))
            : "none";
        var op = Operator;
        if (schedule.BlockTile.Count != SpatialRank || schedule.ThreadTile.Count != SpatialRank || schedule.VirtualThreads.Count != SpatialRank)
        {
            return $"the schedule needs {SpatialRank} block, thread and vthread sizes, one per spatial axis ({AxisList(op.SpatialAxes)})";
        }
        if (schedule.ReduceStep.Count != ReduceRank)
        {
            return $"the schedule needs {ReduceRank} reduce steps, one per reduce axis ({AxisList(op.ReduceAxes)})";
        }
        for (var i = 0; i < SpatialRank; i++)
        {
            if (schedule.BlockTile[i] <= 0 || schedule.ThreadTile[i] <= 0 || schedule.VirtualThreads[i] <= 0)
            {
                return $"tile sizes along {op.Axes[i].Name} must be positive";
            }
            if (schedule.BlockTile[i] % schedule.ThreadTile[i] != 0)
            {
                return $"block tile {schedule.BlockTile[i]} along {op.Axes[i].Name} is not a multiple of thread tile {schedule.ThreadTile[i]}";
            }
            if (schedule.ThreadTile[i] % schedule.VirtualThreads[i] != 0)
            {
                return $"thread tile {schedule.ThreadTile[i]} along {op.Axes[i].Name} is not a multiple of {schedule.VirtualThreads[i]} virtual threads";
            }
        }
        for (var j = 0; j < ReduceRank; j++)
        {
            if (schedule.ReduceStep[j] <= 0)
            {
                return $"reduce step along {op.Axes[SpatialRank + j].Name} must be positive";
            }
        }
        // Loops, not LINQ: policies check thousands of schedules per operator.
        for (var k = 0; k < schedule.SharedInputs.Count; k++)
        {
            var tensor = schedule.SharedInputs[k];
            var isInput = false;
            for (var i = 0; i < op.Inputs.Count && !isInput; i++)
            {
                isInput = op.Inputs[i].Name == tensor;
            }
            if (!isInput)
            {
                return $"'{tensor}' is not an input of {op.Name}";
            }
            // A staged tile is the box of one access pattern; a tensor read twice
            // (or only in the epilogue) has no single box to stage.
            var stageable = false;
            for (var r = 0; r < _reads.Length && !stageable; r++)
            {
                stageable = _reads[r].Tensor == tensor && _reads[r].Stageable;
            }
            if (!stageable)
            {
                return $"'{tensor}' can be staged in shared memory only when the body reads it exactly once";
            }
        }
        if (schedule.VectorWidth is not (1 or 2 or 4))
        {
            return $"vector width {schedule.VectorWidth} is not 1, 2 or 4";
        }
        if (schedule.SharedBuffers is not (1 or 2))
        {
            return $"{schedule.SharedBuffers} shared buffers: 1 or 2";
        }
        if (schedule.SharedBuffers == 2 && (schedule.SharedInputs.Count == 0 || schedule.RegisterPrefetch == schedule.AsyncCopy))
        {
            return "double buffering (buffers=2) needs staged inputs and one way to fill the second buffer: the register prefetch (prefetch=1) or asynchronous copies (async=1)";
        }
        if (schedule.AsyncCopy && schedule.SharedBuffers != 2)
        {
            return "asynchronous copies (async=1) fill the second of two shared buffers (buffers=2)";
        }
        if (schedule.AsyncCopy)
        {
            for (var k = 0; k < schedule.SharedInputs.Count; k++)
            {
                var staged = op.Inputs.First(input => input.Name == schedule.SharedInputs[k]);
                if (staged.Type != ElementType.F32)
                {
                    return $"asynchronous copies (async=1) move float32 boxes, and '{staged.Name}' is {staged.Type.Name()}";
                }
            }
        }
        // Each shapes the copy into shared memory, so with nothing staged they change nothing: the kernel is the
        // plain one, recorded under another schedule's text (construction never makes one; found by fuzzing --schedule).
        if (schedule.SharedInputs.Count == 0 && (schedule.SharedPadding != 0 || schedule.RegisterPrefetch || schedule.VectorWidth != 1))
        {
            return "padding (pad), register prefetch (prefetch=1) and the copy's vector width (vector) apply to inputs staged in shared memory, and nothing is staged (shared=-)";
        }
        var lanes = schedule.ReduceThreads;
        if (lanes < 1 || (lanes & (lanes - 1)) != 0)
        {
            return $"{lanes} reduce threads: a power of two";
        }
        if (lanes > 1)
        {
            if (ReduceRank == 0 || op.Reduction == Reduction.None)
            {
                return $"{lanes} reduce threads, but {op.Name} has no reduction to share";
            }
            var step = schedule.ReduceStep[ReduceRank - 1];
            if (step % lanes != 0)
            {
                return $"{lanes} reduce threads do not divide the reduce step {step} along {op.Axes[SpatialRank + ReduceRank - 1].Name}";
            }
        }
        return CheckReduceRun(schedule) ?? CheckSplit(schedule);
    }

    /// <summary>
    /// A reduce run (<see cref="Schedule.ReduceRun"/>): four points, each lane's runs whole in every
    /// stage (the step a multiple of lanes × 4, no stage past the axis, the innermost reduce loop
    /// unrolled, as <see cref="ReduceLaneRun"/> takes its own runs), and a staged input whose box it
    /// stores in the tensor's order; with none it would change nothing that it is for.
    /// </summary>
    private string? CheckReduceRun(Schedule schedule)
    {
        var run = schedule.ReduceRun;
        if (run == 1)
        {
            return null;
        }
        if (run != 4)
        {
            return $"run={run}: a reduce run is 1 or 4 points";
        }
        if (ReduceRank == 0)
        {
            return $"run={run}: {Operator.Name} has no reduce axis";
        }
        var inner = ReduceRank - 1;
        var axis = Operator.Axes[SpatialRank + inner].Name;
        var step = schedule.ReduceStep[inner];
        var lanes = Math.Max(1, schedule.ReduceThreads);
        if (step % ((long)lanes * run) != 0)
        {
            return $"run={run}: the reduce step {step} along {axis} is not a multiple of {lanes} reduce threads × {run}";
        }
        if (_extents[SpatialRank + inner] % step != 0)
        {
            return $"run={run}: the reduce step {step} does not divide {axis}'s {_extents[SpatialRank + inner]}, so the last stage would cut runs";
        }
        if (StageUnrolling(schedule).Loops == 0)
        {
            return $"run={run}: the reduce loop along {axis} is too long to unroll, and a run is unrolled";
        }
        for (var r = 0; r < _reads.Length; r++)
        {
            if (IsShared(schedule, _reads[r].Tensor) && RunReorders(r))
            {
                return null;
            }
        }
        return $"run={run} keeps a staged box in its tensor's order, and no staged input is contiguous along {axis} in memory and stored otherwise";
    }

    /// <summary>Stages of the whole reduction (the product over reduce axes of extent / step, rounded up), before any split.</summary>
    public long StageCount(Schedule schedule)
    {
        long stages = 1;
        for (var j = 0; j < ReduceRank; j++)
        {
            var step = Math.Max(1, schedule.ReduceStep[j]);
            stages = Math.Min(long.MaxValue / 2, stages * ((_extents[SpatialRank + j] + (long)step - 1) / step));
        }
        return stages;
    }

    /// <summary>Stages each block runs: its slice of the reduction (<see cref="StageCount"/> over the split), at least one.</summary>
    public long StagesPerBlock(Schedule schedule) => Math.Max(1, StageCount(schedule) / Math.Max(1, schedule.SplitReduce));

    /// <summary>
    /// Whether blocks may add partial sums of the reduction into the output atomically
    /// (<see cref="Schedule.SplitReduce"/>): only a float32 sum with nothing applied after it.
    /// </summary>
    public bool CanSplitReduction => SplitRefusal(2) is null;

    /// <summary>Why this operator's reduction cannot be split among <paramref name="split"/> blocks; null when it can.</summary>
    private string? SplitRefusal(int split)
    {
        var op = Operator;
        if (ReduceRank == 0 || op.Reduction != Reduction.Sum)
        {
            return $"split={split} adds partial sums, but {op.Name} has no sum to split";
        }
        if (op.Epilogue is not null)
        {
            return $"split={split}: an epilogue must see the whole sum, which no block of a split reduction has";
        }
        return op.Output.Type != ElementType.F32
            ? $"split={split} adds partial sums atomically in float32; the output is {op.Output.Type.Name()}"
            : null;
    }

    /// <summary>Split-K (<see cref="Schedule.SplitReduce"/>): an operator that <see cref="CanSplitReduction"/>, each slice the same whole number of stages.</summary>
    private string? CheckSplit(Schedule schedule)
    {
        var split = schedule.SplitReduce;
        if (split == 1)
        {
            return null;
        }
        if (split < 1)
        {
            return $"split={split}: the reduction is split among at least one block";
        }
        if (SplitRefusal(split) is { } refusal)
        {
            return refusal;
        }
        var stages = StageCount(schedule);
        if (stages % split != 0)
        {
            return $"split={split} does not divide the {stages} stages of the reduction";
        }
        // The grid is one-dimensional: every tile's blocks times the split must fit its 2^31 - 1 blocks
        // (the launch contract's int; a larger one was an internal error, exit 1).
        long tiles = 1;
        for (var i = 0; i < SpatialRank; i++)
        {
            tiles *= (_extents[i] + (long)schedule.BlockTile[i] - 1) / schedule.BlockTile[i];
        }
        if (tiles * split > int.MaxValue)
        {
            return $"split={split}: {tiles} tiles of the output times {split} blocks each exceed a grid's 2147483647 blocks";
        }
        return null;
    }

    /// <summary>
    /// <see cref="Schedule.IsShared"/> without LINQ: the hot path of the cost
    /// model must not allocate an enumerator per read.
    /// </summary>
    public static bool IsShared(Schedule schedule, string tensor)
    {
        var shared = schedule.SharedInputs;
        for (var i = 0; i < shared.Count; i++)
        {
            if (shared[i] == tensor)
            {
                return true;
            }
        }
        return false;
    }

    internal sealed record ReadInfo(
        string Tensor,
        int[] Shape,
        (int Slot, int Coefficient)[][] Terms,
        int[] Constants,
        long[] AxisStrides,
        long TensorElements,
        bool Stageable,
        int[] Order,
        int[] RunOrder)
    {
        /// <summary>The indices' constants as one offset into the row-major tensor.</summary>
        public long FlatConstant { get; init; }

        /// <summary>Whether the tensor holds float32 (16-bit tensors are widened element by element).</summary>
        public bool Float32 { get; init; }

        /// <summary>Whether <see cref="RunOrder"/> differs from <see cref="Order"/> (legality asks for every state with a run).</summary>
        public bool RunReorders { get; init; }
    }
}
