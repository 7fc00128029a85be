using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Construction.Analysis;

/// <summary>
/// Facts about an operator that every schedule of it shares, computed once:
/// extents in axis order, and for each body read the axis slots and
/// coefficients of its indices and its row-major strides. The cost model,
/// legality and the policies evaluate thousands of schedules per operator, so
/// footprints are computed here over plain arrays instead of through
/// <see cref="TileFootprint"/>'s dictionaries (the two agree; a test checks it).
/// </summary>
public sealed class OperatorAnalysis
{
    // Keyed by reference: an Operator is an immutable record, and a policy
    // reuses the same instance for every schedule it looks at.
    private static readonly ConditionalWeakTable<Operator, OperatorAnalysis> Cache = [];

    private readonly int[] _extents;
    private readonly ReadInfo[] _reads;

    // The body in postorder for RegistersPerThread: a read's index (>= 0), a
    // leaf that needs no register (-1: a constant), a unary (-2) or a binary (-3) node.
    private readonly int[] _bodyPostorder;

    private OperatorAnalysis(Operator op)
    {
        Operator = op;
        var axes = op.Axes.ToArray();
        _extents = axes.Select(axis => axis.Extent).ToArray();
        SpatialRank = axes.Count(axis => axis.Kind == AxisKind.Spatial);
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
            var terms = read.Indices
                .Select(index => index.Terms.Select(term => (slotOf[term.Axis], term.Coefficient)).ToArray())
                .ToArray();
            var axisStrides = new long[axes.Length];
            for (var d = 0; d < terms.Length; d++)
            {
                foreach (var (slot, coefficient) in terms[d])
                {
                    axisStrides[slot] += coefficient * strides[d];
                }
            }
            var stageable = bodyReads.Count(other => other.Tensor == read.Tensor) == 1;
            _reads[r] = new ReadInfo(read.Tensor, shape, terms, axisStrides, tensor.ElementCount, stageable);
        }
        OutputElements = op.Output.ElementCount;
        InputElements = op.Inputs.Sum(input => input.ElementCount);
        _bodyPostorder = Postorder(op.Body);
    }

    private static int[] Postorder(Expr body)
    {
        // Reads are numbered left to right, as Expr.Reads() and the code generator number them.
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

    /// <summary>Elements along the tensor's innermost (contiguous) dimension of the same box.</summary>
    public long InnermostRun(int index, ReadOnlySpan<int> tile, bool clamp)
    {
        var read = _reads[index];
        return read.Terms.Length == 0 ? 1 : DimensionExtent(read, read.Terms.Length - 1, tile, clamp);
    }

    /// <summary>How far (in elements) the address of read <paramref name="index"/> moves per unit step of axis <paramref name="slot"/>.</summary>
    public long AddressStride(int index, int slot) => _reads[index].AxisStrides[slot];

    /// <summary>
    /// How far (in elements) a position moves per unit step of axis
    /// <paramref name="slot"/> inside the staged box of <paramref name="tile"/>
    /// (the shared buffer is that box, row-major, unclamped).
    /// </summary>
    public long BoxStride(int index, int slot, ReadOnlySpan<int> tile)
    {
        var read = _reads[index];
        long stride = 1, total = 0;
        for (var d = read.Terms.Length - 1; d >= 0; d--)
        {
            foreach (var (termSlot, coefficient) in read.Terms[d])
            {
                if (termSlot == slot)
                {
                    total += coefficient * stride;
                }
            }
            stride *= DimensionExtent(read, d, tile, clamp: false);
        }
        return total;
    }

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

    /// <summary>Shared bytes of <paramref name="schedule"/>, equal to <see cref="Legality.SharedMemoryBytes"/>.</summary>
    public long SharedMemoryBytes(Schedule schedule)
    {
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        long bytes = 0;
        for (var r = 0; r < _reads.Length; r++)
        {
            if (IsShared(schedule, _reads[r].Tensor))
            {
                bytes = Math.Min(bytes + Saturating(StoredElements(r, tile, schedule.SharedPadding), sizeof(float)), SaturationCap);
            }
        }
        return bytes;
    }

    /// <summary>
    /// Elements of the staged box of read <paramref name="index"/> as laid out in
    /// shared memory: every row longer by <paramref name="padding"/> when the box
    /// has more than one dimension (<see cref="TileFootprint.StoredElements"/>).
    /// </summary>
    public long StoredElements(int index, ReadOnlySpan<int> tile, int padding)
    {
        var elements = Footprint(index, tile, clamp: false);
        var read = _reads[index];
        if (padding == 0 || read.Terms.Length < 2)
        {
            return elements;
        }
        var row = DimensionExtent(read, read.Terms.Length - 1, tile, clamp: false);
        return Saturating(elements / row, row + padding);
    }

    // Sizes of absurd schedules (a 65536x65536 block of a read with huge
    // coefficients) saturate here instead of wrapping to a small or negative
    // number that would pass a limit; 2^53 is beyond every limit and exact in a double.
    private const long SaturationCap = 1L << 53;

    private static long Saturating(long a, long b) =>
        a == 0 || b == 0 ? 0 : a > SaturationCap / b ? SaturationCap : Math.Min(a * b, SaturationCap);

    /// <summary><see cref="BoxStride"/> in the padded layout: strides across rows grow with the padding.</summary>
    public long StoredBoxStride(int index, int slot, ReadOnlySpan<int> tile, int padding)
    {
        var stride = BoxStride(index, slot, tile);
        var read = _reads[index];
        if (padding == 0 || read.Terms.Length < 2)
        {
            return stride;
        }
        var row = DimensionExtent(read, read.Terms.Length - 1, tile, clamp: false);
        return Math.Abs(stride) >= row ? stride / row * (row + padding) : stride;
    }

    /// <summary>
    /// Registers a thread holds for the prefetch of the next stage: its share
    /// of every staged box, in copy chunks (the code generator's copy shape).
    /// </summary>
    public int PrefetchRegisters(Schedule schedule)
    {
        if (!schedule.Prefetch)
        {
            return 0;
        }
        Span<int> tile = stackalloc int[AxisCount];
        BlockStageTile(schedule, tile);
        long threads = Legality.ThreadsPerBlock(schedule), registers = 0;
        for (var r = 0; r < _reads.Length; r++)
        {
            if (IsShared(schedule, _reads[r].Tensor))
            {
                var elements = Footprint(r, tile, clamp: false);
                var row = _reads[r].Terms.Length == 0 ? 1 : DimensionExtent(_reads[r], _reads[r].Terms.Length - 1, tile, clamp: false);
                var width = row % schedule.VectorWidth == 0 ? schedule.VectorWidth : 1;
                registers += (elements + threads * width - 1) / (threads * width) * width;
            }
        }
        return (int)Math.Min(int.MaxValue, registers);
    }

    /// <summary>
    /// Registers per thread of <paramref name="schedule"/>, equal to <see cref="Legality.RegistersPerThread"/>:
    /// the accumulators, the operands live at once, the prefetch registers and a fixed overhead.
    /// </summary>
    /// <remarks>
    /// Operands live at once: a read whose operands are shared by several
    /// outputs of the thread tile (its footprint is smaller than the tile: a
    /// column of A in a matrix product) keeps all of them live through the
    /// reduce point. A read used by one output only is consumed where it is
    /// loaded, so a long expression needs only what evaluating its tree takes
    /// (its Sethi-Ullman number), not a register per read. The estimate is the
    /// smaller of that and every read's footprint (what the generated code
    /// loads up front, and what short expressions such as a matrix product
    /// keep live anyway).
    /// </remarks>
    public int RegistersPerThread(Schedule schedule)
    {
        Span<int> tile = stackalloc int[AxisCount];
        ThreadPointTile(schedule, tile);
        var outputs = Legality.OutputsPerThread(schedule);
        long everyOperand = 0, shared = 0;
        Span<bool> sharedRead = _reads.Length <= 256 ? stackalloc bool[_reads.Length] : new bool[_reads.Length];
        for (var r = 0; r < _reads.Length; r++)
        {
            var footprint = Footprint(r, tile, clamp: false);
            everyOperand = Math.Min(everyOperand + footprint, SaturationCap);
            sharedRead[r] = footprint < outputs;
            if (sharedRead[r])
            {
                shared = Math.Min(shared + footprint, SaturationCap);
            }
        }
        var operands = everyOperand <= shared ? everyOperand : Math.Min(everyOperand, shared + EvaluationRegisters(sharedRead));
        return (int)Math.Min(int.MaxValue, outputs + operands + PrefetchRegisters(schedule) + Legality.BaseRegisters);
    }

    /// <summary>
    /// Registers to evaluate the body once (Sethi-Ullman): a read already live
    /// (<paramref name="live"/>) or a constant needs none, any other read one;
    /// a node needs the larger of its operands' needs, one more when they tie.
    /// </summary>
    private int EvaluationRegisters(ReadOnlySpan<bool> live)
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

    /// <summary><see cref="Schedule.OutputsPerThread"/> without LINQ.</summary>
    public static int OutputsPerThread(Schedule schedule)
    {
        var tile = schedule.ThreadTile;
        var outputs = 1;
        for (var i = 0; i < tile.Count; i++)
        {
            outputs *= tile[i];
        }
        return outputs;
    }

    internal sealed record ReadInfo(
        string Tensor,
        int[] Shape,
        (int Slot, int Coefficient)[][] Terms,
        long[] AxisStrides,
        long TensorElements,
        bool Stageable);
}
