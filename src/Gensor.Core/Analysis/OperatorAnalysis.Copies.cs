using System.Runtime.CompilerServices;
using Gensor.Etir;

namespace Gensor.Analysis;

public sealed partial class OperatorAnalysis
{
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
}
