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
/// operator, so the hot paths work over plain arrays and spans. One file per kind of
/// fact: this one (the reads, tiles and footprints), <c>.Copies</c> (staged layouts,
/// copy plans, shared memory), <c>.Unrolling</c>, <c>.Operands</c> (bounds checks,
/// vector loads, the reduce lanes' runs), <c>.Registers</c> and <c>.Structure</c>.
/// </summary>
public sealed partial class OperatorAnalysis
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
