using System.Globalization;
using System.Text;

namespace Gensor.Etir;

/// <summary>
/// The schedule half of ETIR: how an operator runs on a GPU. It is a small value
/// with value equality and a stable text form, because the construction graph
/// merges states that reach the same schedule by different primitives.
/// </summary>
/// <param name="BlockTile">Outputs per thread block, per spatial axis.</param>
/// <param name="ThreadTile">Outputs per thread, per spatial axis; divides <paramref name="BlockTile"/>.</param>
/// <param name="VirtualThreads">
/// Strided sub-tiles per thread, per spatial axis; divides <paramref name="ThreadTile"/>.
/// With v sub-tiles, a thread's outputs along the axis are v chunks of
/// ThreadTile/v consecutive outputs, BlockTile/v apart (TVM's virtual threads):
/// neighbouring threads then touch neighbouring addresses, which coalesces
/// global accesses and spreads shared-memory accesses across banks.
/// </param>
/// <param name="ReduceStep">Reduce-axis points per stage, per reduce axis (the reduction tile).</param>
/// <param name="SharedInputs">Inputs whose stage tile is staged in shared memory, in input order.</param>
/// <param name="VectorWidth">Elements per load in the cooperative global-to-shared copy (1, 2 or 4).</param>
public sealed record Schedule(
    ValueArray<int> BlockTile,
    ValueArray<int> ThreadTile,
    ValueArray<int> VirtualThreads,
    ValueArray<int> ReduceStep,
    ValueArray<string> SharedInputs,
    int VectorWidth)
{
    /// <summary>
    /// Extra elements at the end of every row of each staged box in shared
    /// memory (0 or 4). A row length that is a multiple of the 32 banks puts
    /// the same column of different rows in the same bank; padding by 4 words
    /// moves them to different banks and keeps rows 16-byte aligned for
    /// 128-bit accesses.
    /// </summary>
    public int SharedPadding { get; init; }

    /// <summary>
    /// Threads that share the reduction of each output (text <c>rthreads=N</c>,
    /// default 1): a power of two that divides the reduce step of the innermost
    /// reduce axis. Reduce lane l of a thread takes that axis's points l, l+N, ...
    /// of every stage, so neighbouring lanes read neighbouring addresses; at the
    /// end the lanes combine their partial results with warp shuffles, and
    /// across warps through shared memory when N exceeds a warp. This is how a
    /// matrix-vector product or a row reduction with few outputs still keeps
    /// thousands of threads busy.
    /// </summary>
    public int ReduceThreads { get; init; } = 1;

    /// <summary>
    /// Consecutive points of the innermost reduce axis each thread (each reduce lane) takes at once
    /// (text <c>run=4</c>, default 1), and with it the layout of the staged boxes of inputs that are
    /// contiguous along that axis in memory: they keep the tensor's order in shared memory, the axis
    /// innermost. Without a run a staged box stores the dimensions indexed by reduce axes alone
    /// outermost (k-major, as CUTLASS's SIMT kernels stage A), so that a thread's operands of one
    /// reduce point lie along a row; for a row-major A (a 1x1 convolution's weights W[f,c]) that
    /// transposes the box, and the copy moves it element by element (one cp.async of 4 bytes each).
    /// With a run of four the copy moves 16-byte vectors and a run's four operands of each row load
    /// as one 128-bit shared load, at the price of four points' operands held at once.
    /// </summary>
    public int ReduceRun { get; init; } = 1;

    /// <summary>
    /// Shared-memory buffers per staged input (text <c>buffers=2</c>, default 1).
    /// With two, stage s+1 is stored into the other buffer while stage s is
    /// computed, so a stage needs one barrier instead of two. The next stage's
    /// data arrives through the register prefetch or, on sm_80 and later, by asynchronous
    /// copies (<see cref="AsyncCopy"/>); double buffering needs one of them.
    /// </summary>
    public int SharedBuffers { get; init; } = 1;

    /// <summary>
    /// Register prefetch (text <c>prefetch=1</c>): while a stage is computed
    /// from shared memory, each thread already loads its share of the next
    /// stage's boxes from global memory into registers, so the global latency
    /// overlaps the computation.
    /// </summary>
    public bool RegisterPrefetch { get; init; }

    /// <summary>
    /// Asynchronous copies (text <c>async=1</c>, with <c>buffers=2</c>): the next stage's boxes go from
    /// global memory straight into the other shared buffer with <c>cp.async</c> (sm_80 and later) while
    /// this stage computes, so no register holds them, as the prefetch's do. Float32 inputs only: the
    /// copy moves bytes, where the prefetch widens a 16-bit value on its way. ILGPU's CPU and OpenCL
    /// back ends copy at once instead, into the same buffer.
    /// </summary>
    public bool AsyncCopy { get; init; }

    /// <summary>
    /// The tensor-core operation (text <c>mma=m16n8k16</c> or <c>mma=m16n8k8tf32</c>, default none). With one, the
    /// schedule is a warp-tiled matrix product: <see cref="BlockTile"/> is the block's
    /// tile of the output, <see cref="ThreadTile"/> is each warp's tile (a multiple of the
    /// MMA's m and n), <see cref="ReduceStep"/> the k of a stage (a multiple of the MMA's
    /// k), both operands are staged in shared memory, and a block has one warp per warp tile.
    /// </summary>
    public MmaShape Mma { get; init; }

    /// <summary>
    /// Blocks that share the reduction of each block tile (text <c>split=N</c>, default 1;
    /// split-K). The reduction's stages, in their flat order, are cut into N equal
    /// slices; block b of the grid takes slice b / (blocks per slice) and adds its partial
    /// results into the output atomically, so the output must hold zeros before the launch
    /// (the launch contract says so). An output too small to fill the GPU with blocks but
    /// with a long reduction (a batch-1 convolution, a skinny matrix product, a matrix-vector
    /// product) then still keeps every multiprocessor busy.
    /// </summary>
    public int SplitReduce { get; init; } = 1;

    /// <summary>
    /// Threads per block: the block tile divided by the thread tile over all
    /// spatial axes, times the reduce threads; saturates at <see cref="int.MaxValue"/>,
    /// which exceeds every limit.
    /// </summary>
    public int ThreadsPerBlock => Mma == MmaShape.None
        ? (int)Math.Min(int.MaxValue, (double)SpatialThreads * Math.Max(1, ReduceThreads))
        : (int)Math.Min(int.MaxValue, (double)SpatialThreads * MmaWarpSize);

    /// <summary>Lanes of the warp that runs one MMA (the PTX <c>mma.sync</c> contract).</summary>
    public const int MmaWarpSize = 32;

    /// <summary>Threads per block along the spatial axes alone (each with its own outputs).</summary>
    public int SpatialThreads => (int)Math.Min(int.MaxValue, ThreadCount(BlockTile.AsSpan(), ThreadTile.AsSpan()));

    /// <summary>
    /// Threads of a block with tiles <paramref name="block"/> and <paramref name="thread"/>
    /// along the spatial axes (the one thread formula); <paramref name="block"/> may go on
    /// with reduce axes, which take no threads.
    /// </summary>
    public static long ThreadCount(ReadOnlySpan<int> block, ReadOnlySpan<int> thread)
    {
        long threads = 1;
        for (var i = 0; i < thread.Length; i++)
        {
            long factor = block[i] / Math.Max(1, thread[i]);
            threads = factor != 0 && threads > long.MaxValue / factor ? long.MaxValue : threads * factor;
        }
        return threads;
    }

    /// <summary>Threads along one spatial axis.</summary>
    public int ThreadsAlong(int spatialAxis) => BlockTile[spatialAxis] / ThreadTile[spatialAxis];

    /// <summary>Outputs each thread accumulates (its registers for accumulators).</summary>
    public int OutputsPerThread
    {
        get
        {
            long outputs = 1;
            for (var i = 0; i < ThreadTile.Count; i++)
            {
                outputs = Math.Min(int.MaxValue, outputs * ThreadTile[i]);
            }
            return (int)outputs;
        }
    }

    public bool IsShared(string tensor) => SharedInputs.Contains(tensor);

    // Equality and hashing are written out rather than generated by the compiler: the generated ones
    // go through the framework's EqualityComparer<ValueArray<int>>, which no ReadyToRun image holds,
    // so a fresh process runs them in the JIT's unoptimised first tier for the whole construction,
    // whose table of states calls them tens of thousands of times per operator.

    /// <summary>Whether <paramref name="other"/> is the same schedule: every tile, staged input and option equal.</summary>
    public bool Equals(Schedule? other) =>
        ReferenceEquals(this, other) || other is not null
        && VectorWidth == other.VectorWidth && SharedPadding == other.SharedPadding && ReduceThreads == other.ReduceThreads
        && SharedBuffers == other.SharedBuffers && RegisterPrefetch == other.RegisterPrefetch && Mma == other.Mma
        && SplitReduce == other.SplitReduce && AsyncCopy == other.AsyncCopy && ReduceRun == other.ReduceRun
        && SameItems(BlockTile, other.BlockTile) && SameItems(ThreadTile, other.ThreadTile)
        && SameItems(VirtualThreads, other.VirtualThreads) && SameItems(ReduceStep, other.ReduceStep)
        && SameItems(SharedInputs, other.SharedInputs);

    public override int GetHashCode()
    {
        var hash = (uint)VectorWidth;
        hash = Mix(hash, SharedPadding, ReduceThreads, SharedBuffers);
        hash = Mix(hash, RegisterPrefetch ? 1 : 0, (int)Mma, SplitReduce);
        if (AsyncCopy || ReduceRun != 1)
        {
            hash = Mix(hash, AsyncCopy ? 1 : 0, ReduceRun, 0);
        }
        hash = MixItems(MixItems(MixItems(MixItems(hash, BlockTile), ThreadTile), VirtualThreads), ReduceStep);
        foreach (var name in SharedInputs.AsSpan())
        {
            hash = Mix(hash, name.GetHashCode(), 0, 0);
        }
        return (int)hash;
    }

    private static uint MixItems(uint hash, ValueArray<int> items)
    {
        hash = Mix(hash, items.Count, 0, 0);
        foreach (var value in items.AsSpan())
        {
            hash = Mix(hash, value, 0, 0);
        }
        return hash;
    }

    private static uint Mix(uint hash, int a, int b, int c) =>
        ((((hash * 31) + (uint)a) * 31 + (uint)b) * 31 + (uint)c) * 0x9E3779B1u;

    /// <summary>Element by element, with no framework comparer (see above).</summary>
    private static bool SameItems<T>(ValueArray<T> left, ValueArray<T> right) where T : IEquatable<T>
    {
        ReadOnlySpan<T> a = left.AsSpan(), b = right.AsSpan();
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].Equals(b[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The stable text form, e.g. <c>block=64x64 thread=4x4 vthread=1x2 reduce=8 shared=A,B vector=4</c>.
    /// <see cref="Parse"/> reads it back.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("block=").Append(Dims(BlockTile));
        text.Append(" thread=").Append(Dims(ThreadTile));
        text.Append(" vthread=").Append(Dims(VirtualThreads));
        text.Append(" reduce=").Append(Dims(ReduceStep));
        text.Append(" shared=").Append(SharedInputs.Count == 0 ? "-" : string.Join(",", SharedInputs));
        text.Append(" vector=").Append(VectorWidth.ToString(CultureInfo.InvariantCulture));
        // Written only when set, so schedules without them keep their text.
        if (SharedPadding != 0)
        {
            text.Append(" pad=").Append(SharedPadding.ToString(CultureInfo.InvariantCulture));
        }
        if (RegisterPrefetch)
        {
            text.Append(" prefetch=1");
        }
        if (SharedBuffers != 1)
        {
            text.Append(" buffers=").Append(SharedBuffers.ToString(CultureInfo.InvariantCulture));
        }
        if (AsyncCopy)
        {
            text.Append(" async=1");
        }
        if (ReduceThreads != 1)
        {
            text.Append(" rthreads=").Append(ReduceThreads.ToString(CultureInfo.InvariantCulture));
        }
        if (ReduceRun != 1)
        {
            text.Append(" run=").Append(ReduceRun.ToString(CultureInfo.InvariantCulture));
        }
        if (SplitReduce != 1)
        {
            text.Append(" split=").Append(SplitReduce.ToString(CultureInfo.InvariantCulture));
        }
        if (Mma != MmaShape.None)
        {
            text.Append(" mma=").Append(MmaName(Mma));
        }
        return text.ToString();
    }

    /// <summary>The text of an MMA shape in a schedule (<c>m16n8k16</c>).</summary>
    public static string MmaName(MmaShape shape) => shape switch
    {
        MmaShape.M16N8K16 => "m16n8k16",
        MmaShape.M16N8K8Tf32 => "m16n8k8tf32",
        _ => "-",
    };

    private static string Dims(ValueArray<int> values) =>
        values.Count == 0 ? "-" : string.Join("x", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads the text form. Fields may come in any order; <c>vthread</c>
    /// (default all 1), <c>shared</c> (default none), <c>vector</c> (default 1),
    /// <c>pad</c> (default 0), <c>prefetch</c> and <c>async</c> (0 or 1, default 0), <c>buffers</c> (default 1)
    /// <c>rthreads</c>, <c>run</c> and <c>split</c> (default 1) may be left out. Throws <see cref="FormatException"/>
    /// with a message naming the problem.
    /// </summary>
    public static Schedule Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        // Fields are separated by any white space (a tab pasted from a table too).
        foreach (var part in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"schedule field '{part}' is not of the form name=value");
            }
            var name = part[..equals];
            if (name is not ("block" or "thread" or "vthread" or "reduce" or "shared" or "vector" or "pad" or "prefetch" or "buffers" or "async" or "rthreads" or "run" or "split" or "mma"))
            {
                throw new FormatException($"unknown schedule field '{name}' (expected block, thread, vthread, reduce, shared, vector, pad, prefetch, buffers, async, rthreads, run, split, mma)");
            }
            if (!fields.TryAdd(name, part[(equals + 1)..]))
            {
                throw new FormatException($"schedule field '{name}' is given twice");
            }
        }
        foreach (var required in new[] { "block", "thread", "reduce" })
        {
            if (!fields.ContainsKey(required))
            {
                throw new FormatException($"schedule lacks the field '{required}'");
            }
        }
        var block = ParseDims("block", fields["block"]);
        var thread = ParseDims("thread", fields["thread"]);
        var vthread = fields.TryGetValue("vthread", out var v) ? ParseDims("vthread", v) : ValueArray.From(block.Select(_ => 1));
        var reduce = ParseDims("reduce", fields["reduce"]);
        var shared = fields.TryGetValue("shared", out var s) && s != "-" && s.Length > 0
            ? ValueArray.From(s.Split(','))
            : ValueArray<string>.Empty;
        if (shared.GroupBy(name => name).FirstOrDefault(group => group.Count() > 1) is { } twice)
        {
            throw new FormatException($"schedule field 'shared' names '{twice.Key}' twice");
        }
        var vector = fields.TryGetValue("vector", out var w) ? ParsePositive("vector", w) : 1;
        var pad = fields.TryGetValue("pad", out var p) ? ParseNonNegative("pad", p) : 0;
        var prefetch = ParseFlag(fields, "prefetch");
        var asyncCopy = ParseFlag(fields, "async");
        var buffers = fields.TryGetValue("buffers", out var b) ? ParsePositive("buffers", b) : 1;
        var reduceThreads = fields.TryGetValue("rthreads", out var rt) ? ParsePositive("rthreads", rt) : 1;
        var split = fields.TryGetValue("split", out var sp) ? ParsePositive("split", sp) : 1;
        var run = fields.TryGetValue("run", out var ru) ? ParsePositive("run", ru) : 1;
        var mma = !fields.TryGetValue("mma", out var mm) ? MmaShape.None : mm switch
        {
            "m16n8k16" => MmaShape.M16N8K16,
            "m16n8k8tf32" => MmaShape.M16N8K8Tf32,
            "-" => MmaShape.None,
            _ => throw new FormatException($"schedule field 'mma' has '{mm}' (expected m16n8k16, m16n8k8tf32 or -)"),
        };
        return new Schedule(block, thread, vthread, reduce, shared, vector)
        {
            SharedPadding = pad,
            RegisterPrefetch = prefetch,
            SharedBuffers = buffers,
            AsyncCopy = asyncCopy,
            ReduceThreads = reduceThreads,
            ReduceRun = run,
            SplitReduce = split,
            Mma = mma,
        };
    }

    /// <summary>A field that is 0 or 1 (false when absent).</summary>
    private static bool ParseFlag(Dictionary<string, string> fields, string field) =>
        fields.TryGetValue(field, out var text) && ParseNonNegative(field, text) switch
        {
            0 => false,
            1 => true,
            _ => throw new FormatException($"schedule field '{field}' has '{text}', not 0 or 1"),
        };

    private static ValueArray<int> ParseDims(string field, string text) =>
        text == "-" ? ValueArray<int>.Empty : ValueArray.From(text.Split('x').Select(part => ParsePositive(field, part)));

    private static int ParseNonNegative(string field, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"schedule field '{field}' has '{text}', not a non-negative integer");

    private static int ParsePositive(string field, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new FormatException($"schedule field '{field}' has '{text}', not a positive integer");
}
