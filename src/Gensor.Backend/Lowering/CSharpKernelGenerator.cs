using System.Globalization;
using Gensor.Construction;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>
/// Lowers one ETIR to the C# source of an explicitly grouped ILGPU kernel.
/// Every tile size is a constant in the source, so the thread tile is written
/// out statement by statement (registers, not local arrays) and the C# and
/// ILGPU compilers see constant loop bounds.
/// </summary>
/// <remarks>
/// The kernel's shape, for one block of threads:
/// <list type="number">
/// <item>The block index picks the block tile; the thread index picks the
/// thread's position in it, innermost spatial axis fastest, so neighbouring
/// threads write neighbouring outputs.</item>
/// <item>For each reduction stage (ReduceStep points of every reduce axis),
/// the staged inputs' boxes (<see cref="TileFootprint"/>) are copied into
/// shared memory by all threads together, then a barrier.</item>
/// <item>For each reduce point of the stage, each read's distinct operands
/// over the thread tile are loaded once into registers and every output of
/// the thread tile accumulates: for a matrix product that is the outer
/// product of a column of A and a row of B.</item>
/// <item>The accumulated values pass through the epilogue and are stored.</item>
/// </list>
/// Bounds checks are written only where a static range analysis of the index
/// expressions over the padded iteration space shows that a read can leave
/// its tensor, so interior-only kernels carry none.
/// </remarks>
public static class CSharpKernelGenerator
{
    /// <summary>Generates the kernel for <paramref name="state"/> in a static class named <paramref name="className"/>.</summary>
    /// <exception cref="ArgumentException">The schedule does not fit the operator (see <see cref="Legality.CheckStructure"/>).</exception>
    public static KernelSource Generate(EtirState state, string className)
    {
        var problem = Legality.CheckStructure(state.Operator, state.Schedule);
        if (problem is not null)
        {
            throw new ArgumentException($"cannot lower {state}: {problem}", nameof(state));
        }
        return new Lowering(state, className).Run();
    }

    private sealed class Lowering
    {
        private readonly Operator _op;
        private readonly Schedule _schedule;
        private readonly string _className;
        private readonly Axis[] _spatial;
        private readonly Axis[] _reduce;
        private readonly TensorRead[] _reads;
        private readonly Dictionary<string, string> _parameter = [];
        private readonly Dictionary<string, Tensor> _tensor = [];
        private readonly int[][] _elements;
        private readonly SourceWriter _w = new();

        public Lowering(EtirState state, string className)
        {
            _op = state.Operator;
            _schedule = state.Schedule;
            _className = className;
            _spatial = _op.SpatialAxes.ToArray();
            _reduce = _op.ReduceAxes.ToArray();
            _reads = _op.BodyReads.ToArray();
            var tensors = new[] { _op.Output }.Concat(_op.Inputs).ToArray();
            for (var i = 0; i < tensors.Length; i++)
            {
                _parameter[tensors[i].Name] = ParameterName(tensors[i].Name);
                _tensor[tensors[i].Name] = tensors[i];
            }
            _elements = ThreadTileElements();
        }

        /// <summary>
        /// The C# parameter of a tensor: <c>t_</c> and its name. A user's name is
        /// never an identifier of its own, so it cannot be taken for a type the
        /// kernel uses (<c>Grid</c>, <c>Group</c>, <c>XMath</c>, <c>SharedMemory</c>,
        /// <c>Float4</c>...) nor be a keyword; every local is <c>g_</c>-prefixed
        /// and no ILGPU or System name starts with <c>t_</c>; and tensor names are
        /// distinct identifiers, so their parameters are too.
        /// </summary>
        public static string ParameterName(string tensor) => "t_" + tensor;

        private int Rank => _spatial.Length;

        private int Threads => _schedule.ThreadsPerBlock;

        private int BlocksAlong(int a) => (_spatial[a].Extent + _schedule.BlockTile[a] - 1) / _schedule.BlockTile[a];

        private int GridSize => Enumerable.Range(0, Rank).Aggregate(1, (product, a) => product * BlocksAlong(a));

        private int StagesAlong(int j) => (_reduce[j].Extent + _schedule.ReduceStep[j] - 1) / _schedule.ReduceStep[j];

        private bool Staged(int read) => _schedule.IsShared(_reads[read].Tensor);

        /// <summary>Every position of the thread tile, as one offset per spatial axis, row-major.</summary>
        private int[][] ThreadTileElements()
        {
            IEnumerable<int[]> elements = [[]];
            for (var a = 0; a < Rank; a++)
            {
                var tile = _schedule.ThreadTile[a];
                elements = elements.SelectMany(prefix => Enumerable.Range(0, tile).Select(i => prefix.Append(i).ToArray()));
            }
            return elements.ToArray();
        }

        /// <summary>
        /// The offset of thread-tile position <paramref name="i"/> along spatial axis
        /// <paramref name="a"/> from the thread's base: virtual thread chunk c of
        /// ThreadTile/v consecutive outputs starts BlockTile/v * c into the block.
        /// </summary>
        private int LocalOffset(int a, int i)
        {
            var chunk = _schedule.ThreadTile[a] / _schedule.VirtualThreads[a];
            var chunkStride = _schedule.BlockTile[a] / _schedule.VirtualThreads[a];
            return i / chunk * chunkStride + i % chunk;
        }

        private int SpatialIndex(string axis) => Array.FindIndex(_spatial, a => a.Name == axis);

        private int ReduceIndex(string axis) => Array.FindIndex(_reduce, a => a.Name == axis);

        private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>The padded range of an axis: what the tiled loops visit before guards.</summary>
        private long PaddedExtent(string axis, bool reduceGuarded)
        {
            var a = SpatialIndex(axis);
            if (a >= 0)
            {
                return (long)BlocksAlong(a) * _schedule.BlockTile[a];
            }
            var j = ReduceIndex(axis);
            return reduceGuarded ? _reduce[j].Extent : (long)StagesAlong(j) * _schedule.ReduceStep[j];
        }

        /// <summary>Whether index <paramref name="d"/> of <paramref name="read"/> can leave its tensor.</summary>
        private bool NeedsCheck(TensorRead read, int d, Func<string, long> extent)
        {
            var (min, max) = read.Indices[d].Range(extent);
            return min < 0 || max >= _tensor[read.Tensor].Shape[d];
        }

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
        /// The terms of an affine index as (coefficient x <paramref name="scale"/>, variable):
        /// spatial axis a becomes <paramref name="spatial"/>(a), reduce axis j becomes
        /// <paramref name="reduce"/>(j), and a null namer leaves that kind of axis out.
        /// Every address the kernel computes is a <see cref="Sum"/> of such terms.
        /// </summary>
        private IEnumerable<(long Coefficient, string Term)> Terms(AffineIndex index, long scale, Func<int, string>? spatial, Func<int, string>? reduce)
        {
            foreach (var term in index.Terms)
            {
                var a = SpatialIndex(term.Axis);
                var name = a >= 0 ? spatial?.Invoke(a) : reduce?.Invoke(ReduceIndex(term.Axis));
                if (name is not null)
                {
                    yield return (scale * term.Coefficient, name);
                }
            }
        }

        /// <summary><see cref="Terms"/> over every dimension of staged read <paramref name="r"/>, scaled by its box strides.</summary>
        private IEnumerable<(long Coefficient, string Term)> StagedTerms(int r, Func<int, string>? spatial, Func<int, string>? reduce)
        {
            var strides = BoxStrides(r);
            var indices = _reads[r].Indices;
            return Enumerable.Range(0, indices.Count).SelectMany(d => Terms(indices[d], strides[d], spatial, reduce));
        }

        /// <summary>How far thread-tile position <paramref name="element"/> moves <paramref name="index"/> from the thread's base.</summary>
        private long SpatialOffset(AffineIndex index, int[] element)
        {
            long offset = 0;
            foreach (var term in index.Terms)
            {
                var a = SpatialIndex(term.Axis);
                if (a >= 0)
                {
                    offset += term.Coefficient * LocalOffset(a, element[a]);
                }
            }
            return offset;
        }

        /// <summary>Sum of terms like "3*x", skipping zeros; "0" when empty.</summary>
        private static string Sum(IEnumerable<(long Coefficient, string Term)> terms, long constant = 0)
        {
            var parts = new List<string>();
            foreach (var (coefficient, term) in terms)
            {
                if (coefficient == 0)
                {
                    continue;
                }
                parts.Add(coefficient == 1 ? term : $"{Int(coefficient)} * {term}");
            }
            if (constant != 0 || parts.Count == 0)
            {
                parts.Add(Int(constant));
            }
            return string.Join(" + ", parts).Replace("+ -", "- ", StringComparison.Ordinal);
        }

        public KernelSource Run()
        {
            WriteHeader();
            using (_w.Block($"public static class {_className}"))
            {
                _w.Line($"/// <summary>Blocks in the one-dimensional grid.</summary>");
                _w.Line($"public const int GridSize = {Int(GridSize)};");
                _w.Line($"/// <summary>Threads per block.</summary>");
                _w.Line($"public const int GroupSize = {Int(Threads)};");
                _w.Line();
                var parameters = string.Join(", ", _parameter.Values.Select(p => $"ArrayView1D<float, Stride1D.Dense> {p}"));
                using (_w.Block($"public static void {KernelSource.MethodName}({parameters})"))
                {
                    WriteBody();
                }
            }
            var arguments = new[] { _op.Output }.Concat(_op.Inputs)
                .Select((t, i) => new KernelArgument(t.Name, _parameter[t.Name], t.Shape.ToArray(), i == 0))
                .ToArray();
            var launch = new LaunchConfiguration(GridSize, Threads, Legality.SharedMemoryBytes(_op, _schedule), arguments);
            return new KernelSource(new EtirState(_op, _schedule), _className, _w.ToString(), launch);
        }

        private void WriteHeader()
        {
            _w.Line("// Generated by Gensor. Compiles in any project that references ILGPU and ILGPU.Algorithms.");
            _w.Line($"// Operator: {_op.Output.Name}[{string.Join(",", _spatial.Select(a => a.Name))}] {ReductionText()} {_op.Body}");
            if (_op.Epilogue is not null)
            {
                _w.Line($"// Epilogue: {_op.Epilogue}");
            }
            _w.Line($"// Extents: {string.Join(", ", _op.Axes.Select(a => $"{a.Name}={Int(a.Extent)}"))}");
            _w.Line($"// Schedule: {_schedule}");
            _w.Line($"// Launch: grid {Int(GridSize)} x group {Int(Threads)}; tensors dense row-major float32: " +
                string.Join(", ", new[] { _op.Output }.Concat(_op.Inputs).Select(t => $"{t.Name}[{string.Join(",", t.Shape)}]")));
            _w.Line("// Load with accelerator.LoadStreamKernel<...>(Kernel) and launch with new KernelConfig(GridSize, GroupSize).");
            _w.Line("using ILGPU;");
            _w.Line("using ILGPU.Algorithms;");
            _w.Line("using ILGPU.Runtime;");
            _w.Line("using ILGPU.Util;");
            _w.Line();
        }

        private string ReductionText() => _op.Reduction switch
        {
            Reduction.Sum => "+=",
            Reduction.Max => "max=",
            _ => "=",
        };

        private void WriteBody()
        {
            _w.Line("int g_block = Grid.IdxX;");
            _w.Line("int g_tid = Group.IdxX;");
            // Block and thread coordinates, innermost spatial axis fastest.
            _w.Line("int g_rest = g_block;");
            for (var a = Rank - 1; a >= 0; a--)
            {
                _w.Line($"int g_o{a} = g_rest % {Int(BlocksAlong(a))} * {Int(_schedule.BlockTile[a])}; g_rest /= {Int(BlocksAlong(a))}; // {_spatial[a].Name}");
            }
            _w.Line("int g_trest = g_tid;");
            for (var a = Rank - 1; a >= 0; a--)
            {
                var threads = _schedule.ThreadsAlong(a);
                var chunk = _schedule.ThreadTile[a] / _schedule.VirtualThreads[a];
                _w.Line($"int g_l{a} = g_trest % {Int(threads)} * {Int(chunk)}; g_trest /= {Int(threads)};");
            }
            for (var r = 0; r < _reads.Length; r++)
            {
                if (Staged(r))
                {
                    var box = TileFootprint.OfBlockStage(_op, _schedule, _reads[r]);
                    var comment = $"// {_reads[r]}: box [{string.Join("x", box.Extents)}]";
                    if (QuadAllocated(r))
                    {
                        // Allocated as Float4 so the box is 16-byte aligned for 128-bit shared loads and stores.
                        _w.Line($"var g_s{r}q = SharedMemory.Allocate<Float4>({Int(box.StoredElements(_schedule.SharedPadding) / 4)}); {comment}");
                        _w.Line($"var g_s{r} = g_s{r}q.Cast<float>();");
                    }
                    else
                    {
                        _w.Line($"var g_s{r} = SharedMemory.Allocate<float>({Int(box.StoredElements(_schedule.SharedPadding))}); {comment}");
                    }
                }
            }
            var init = _op.Reduction == Reduction.Max ? "float.NegativeInfinity" : "0f";
            for (var e = 0; e < _elements.Length; e++)
            {
                _w.Line($"float g_acc{e} = {init};");
            }
            WriteThreadBases();
            // With no reduce axes this is a single stage.
            WriteStageLoop();
            WriteStores();
        }

        /// <summary>Per-thread parts of every read's index that do not change over the reduction.</summary>
        private void WriteThreadBases()
        {
            for (var r = 0; r < _reads.Length; r++)
            {
                var read = _reads[r];
                if (Staged(r))
                {
                    // Offset in the staged box of the thread's base position.
                    var box = TileFootprint.OfBlockStage(_op, _schedule, read);
                    var strides = BoxStrides(r);
                    var constant = -Enumerable.Range(0, read.Indices.Count).Sum(d => strides[d] * box.Offsets[d]);
                    _w.Line($"int g_sb{r} = {Sum(StagedTerms(r, a => $"g_l{a}", null), constant)};");
                }
                else
                {
                    for (var d = 0; d < read.Indices.Count; d++)
                    {
                        _w.Line($"int g_gb{r}_{d} = {Sum(Terms(read.Indices[d], 1, a => $"(g_o{a} + g_l{a})", null), read.Indices[d].Constant)};");
                    }
                }
            }
        }

        private int StageCount => Enumerable.Range(0, _reduce.Length).Aggregate(1, (product, j) => product * StagesAlong(j));

        /// <summary>Stages of the reduce axes after <paramref name="j"/>: the stride of axis j in the flat stage index.</summary>
        private int StagesAfter(int j) => Enumerable.Range(j + 1, _reduce.Length - j - 1).Aggregate(1, (product, i) => product * StagesAlong(i));

        /// <summary>The reduce-axis origins of stage <paramref name="stage"/> as variables <paramref name="prefix"/>0, 1, ...</summary>
        private void WriteStageOrigins(string stage, string prefix)
        {
            for (var j = 0; j < _reduce.Length; j++)
            {
                _w.Line($"int {prefix}{j} = {stage} / {Int(StagesAfter(j))} % {Int(StagesAlong(j))} * {Int(_schedule.ReduceStep[j])}; // {_reduce[j].Name}");
            }
        }

        /// <summary>
        /// One flat loop over the reduction stages (all reduce axes together), so
        /// that "the next stage" is simply the next iteration, which the register
        /// prefetch needs.
        /// </summary>
        private void WriteStageLoop()
        {
            var staged = Enumerable.Range(0, _reads.Length).Where(Staged).ToArray();
            var prefetch = _schedule.Prefetch && staged.Length > 0;
            if (prefetch)
            {
                foreach (var r in staged)
                {
                    DeclarePrefetchRegisters(r);
                }
                using (_w.Block(""))
                {
                    WriteStageOrigins("0", "g_n");
                    foreach (var r in staged)
                    {
                        WriteCopy(r, "g_n", CopyPart.LoadToRegisters);
                    }
                }
            }
            using (_w.Block($"for (int g_st = 0; g_st < {Int(StageCount)}; g_st++)"))
            {
                WriteStageOrigins("g_st", "g_k");
                foreach (var r in staged)
                {
                    WriteCopy(r, "g_k", prefetch ? CopyPart.StoreFromRegisters : CopyPart.Whole);
                }
                if (staged.Length > 0)
                {
                    _w.Line("Group.Barrier();");
                }
                if (prefetch)
                {
                    // The next stage's loads are in flight while this stage computes.
                    using (_w.Block($"if (g_st + 1 < {Int(StageCount)})"))
                    {
                        WriteStageOrigins("(g_st + 1)", "g_n");
                        foreach (var r in staged)
                        {
                            WriteCopy(r, "g_n", CopyPart.LoadToRegisters);
                        }
                    }
                }
                WriteInnerLoops(0);
                if (staged.Length > 0)
                {
                    // The next stage overwrites the shared boxes: wait until every thread has read them.
                    _w.Line("Group.Barrier();");
                }
            }
        }

        private enum CopyPart { Whole, LoadToRegisters, StoreFromRegisters }

        /// <summary>How a staged box is copied: elements per chunk, and whether chunks are aligned vectors.</summary>
        private (int Width, bool Vector) CopyShape(int r)
        {
            var read = _reads[r];
            var extents = TileFootprint.OfBlockStage(_op, _schedule, read).Extents;
            var rank = extents.Count;
            // Chunks are `width` consecutive elements of a box row, so the row must hold whole chunks.
            var width = rank > 0 && extents[rank - 1] % _schedule.VectorWidth == 0 ? _schedule.VectorWidth : 1;
            return (width, width > 1 && VectorCopyAligned(r, width));
        }

        /// <summary>Chunks each thread copies per stage (the copy loop's trip count).</summary>
        private int CopyIterations(int r)
        {
            var width = CopyShape(r).Width;
            var elements = TileFootprint.OfBlockStage(_op, _schedule, _reads[r]).Elements;
            return (int)((elements + (long)Threads * width - 1) / ((long)Threads * width));
        }

        private void DeclarePrefetchRegisters(int r)
        {
            var (width, vector) = CopyShape(r);
            for (var it = 0; it < CopyIterations(r); it++)
            {
                if (vector)
                {
                    _w.Line($"{(width == 4 ? "Float4" : "Float2")} g_p{r}_{it} = default;");
                }
                else
                {
                    for (var u = 0; u < width; u++)
                    {
                        _w.Line($"float g_p{r}_{it}_{u} = 0f;");
                    }
                }
            }
        }

        /// <summary>
        /// Copies (part of) the box of staged read <paramref name="r"/> for the stage
        /// whose reduce origins are <paramref name="stagePrefix"/>0, 1, ...: all threads
        /// together, chunk by chunk, global to shared (or to and from the prefetch registers).
        /// </summary>
        private void WriteCopy(int r, string stagePrefix, CopyPart part)
        {
            var read = _reads[r];
            var tensor = _tensor[read.Tensor];
            var box = TileFootprint.OfBlockStage(_op, _schedule, read);
            var rank = read.Indices.Count;
            var elements = box.Elements;
            var (width, vector) = CopyShape(r);
            var type = width == 4 ? "Float4" : "Float2";
            var shift = width == 4 ? 2 : 1;
            if (part != CopyPart.StoreFromRegisters)
            {
                for (var d = 0; d < rank; d++)
                {
                    var terms = Terms(read.Indices[d], 1, a => $"g_o{a}", j => $"{stagePrefix}{j}");
                    _w.Line($"int g_so{r}_{d} = {Sum(terms, read.Indices[d].Constant + box.Offsets[d])};");
                }
                if (vector)
                {
                    _w.Line($"var g_g{r}v = {_parameter[read.Tensor]}.AsContiguous().Cast<{type}>();");
                }
            }
            if (part != CopyPart.LoadToRegisters && vector)
            {
                _w.Line(width == 4 ? $"var g_s{r}v = g_s{r}q;" : $"var g_s{r}v = g_s{r}q.Cast<{type}>();");
            }
            var checks = Enumerable.Range(0, rank).Where(d => NeedsCheck(read, d, axis => PaddedExtent(axis, reduceGuarded: false))).ToArray();
            var strides = RowMajorStrides(tensor.Shape.ToArray());
            var stored = BoxStrides(r);
            var padded = _schedule.SharedPadding != 0 && rank >= 2;

            // The chunk starting at box element `e`: its coordinates in the box and in the tensor.
            void Coordinates(string e)
            {
                var rest = e;
                for (var d = rank - 1; d >= 0; d--)
                {
                    _w.Line(d == 0 ? $"int g_c{d} = {rest};" : $"int g_c{d} = {rest} % {Int(box.Extents[d])};");
                    if (d > 0)
                    {
                        _w.Line($"int g_q{d} = {rest} / {Int(box.Extents[d])};");
                        rest = $"g_q{d}";
                    }
                }
                if (part != CopyPart.StoreFromRegisters)
                {
                    for (var d = 0; d < rank; d++)
                    {
                        _w.Line($"int g_x{d} = g_so{r}_{d} + g_c{d};");
                    }
                }
            }
            string SharedIndex(string e) => padded ? Sum(Enumerable.Range(0, rank).Select(d => (stored[d], $"g_c{d}"))) : e;
            string Guard(int u) => string.Join(" && ", checks.Select(d =>
                $"(uint){(d == rank - 1 && u > 0 ? $"(g_x{d} + {u})" : $"g_x{d}")} < {Int(tensor.Shape[d])}u"));
            string Load(int u)
            {
                var index = Enumerable.Range(0, rank).Select(d => d == rank - 1 && u > 0 ? $"(g_x{d} + {u})" : $"g_x{d}");
                var flat = Sum(index.Select((text, d) => (strides[d], text)));
                return $"{_parameter[read.Tensor]}[{flat}]";
            }
            string VectorLoad() => $"g_g{r}v[({Sum(Enumerable.Range(0, rank).Select(d => (strides[d], $"g_x{d}")))}) >> {shift}]";

            // One chunk: from global (into `target` registers, or straight to shared) and/or into shared.
            void Chunk(string e, string? register)
            {
                Coordinates(e);
                if (vector)
                {
                    // An aligned chunk is entirely inside or outside the tensor: its first element decides.
                    var guard = Guard(0);
                    if (part != CopyPart.StoreFromRegisters)
                    {
                        var target = register ?? "g_w";
                        if (register is null)
                        {
                            _w.Line($"{type} g_w = default;");
                        }
                        _w.Line(guard.Length == 0 ? $"{target} = {VectorLoad()};" : $"{target} = default; if ({guard}) {target} = {VectorLoad()};");
                    }
                    if (part != CopyPart.LoadToRegisters)
                    {
                        _w.Line($"g_s{r}v[({SharedIndex(e)}) >> {shift}] = {register ?? "g_w"};");
                    }
                    return;
                }
                for (var u = 0; u < width; u++)
                {
                    var value = part == CopyPart.StoreFromRegisters ? $"{register}_{u}" : Guard(u) is { Length: > 0 } g ? $"{g} ? {Load(u)} : 0f" : Load(u);
                    if (part == CopyPart.LoadToRegisters)
                    {
                        _w.Line($"{register}_{u} = {value};");
                    }
                    else
                    {
                        var index = SharedIndex(e);
                        _w.Line($"g_s{r}[{(u == 0 ? index : $"{index} + {u}")}] = {value};");
                    }
                }
            }

            var step = (long)Threads * width;
            if (part == CopyPart.Whole)
            {
                using (_w.Block($"for (int g_e = g_tid * {Int(width)}; g_e < {Int(elements)}; g_e += {Int(step)})"))
                {
                    Chunk("g_e", null);
                }
                return;
            }
            // Prefetch: the trip count is a constant, so each chunk gets its own registers.
            for (var it = 0; it < CopyIterations(r); it++)
            {
                var e = $"(g_tid * {Int(width)} + {Int(it * step)})";
                var header = (it + 1) * step > elements ? $"if ({e} < {Int(elements)})" : "";
                using (_w.Block(header))
                {
                    Chunk(e, $"g_p{r}_{it}");
                }
            }
        }

        /// <summary>Row-major strides of the staged box of <paramref name="r"/> as stored in shared memory (with padding).</summary>
        private long[] BoxStrides(int r) =>
            RowMajorStrides(TileFootprint.OfBlockStage(_op, _schedule, _reads[r]).StoredExtents(_schedule.SharedPadding));

        /// <summary>Whether the staged box of <paramref name="r"/> is allocated as Float4 (16-byte aligned).</summary>
        private bool QuadAllocated(int r) => TileFootprint.OfBlockStage(_op, _schedule, _reads[r]).StoredElements(_schedule.SharedPadding) % 4 == 0;

        private static bool Divides(long divisor, long value) => ((value % divisor) + divisor) % divisor == 0;

        /// <summary>
        /// Whether every chunk of <paramref name="width"/> consecutive box elements
        /// is one aligned vector in global memory: the box rows and the tensor rows
        /// are whole vectors, and the box origin along the innermost dimension is a
        /// multiple of the width for every block and stage. An aligned chunk is then
        /// entirely inside or entirely outside the tensor, so one bounds check covers it.
        /// </summary>
        private bool VectorCopyAligned(int r, int width)
        {
            var read = _reads[r];
            var box = TileFootprint.OfBlockStage(_op, _schedule, read);
            var last = read.Indices.Count - 1;
            if (last < 0 || !QuadAllocated(r) || box.StoredExtents(_schedule.SharedPadding)[last] % width != 0
                || box.Extents[last] % width != 0 || _tensor[read.Tensor].Shape[last] % width != 0)
            {
                return false;
            }
            foreach (var term in read.Indices[last].Terms)
            {
                var a = SpatialIndex(term.Axis);
                var tile = a >= 0 ? _schedule.BlockTile[a] : _schedule.ReduceStep[ReduceIndex(term.Axis)];
                if (!Divides(width, (long)term.Coefficient * tile))
                {
                    return false;
                }
            }
            return Divides(width, read.Indices[last].Constant + box.Offsets[last]);
        }

        /// <summary>
        /// Whether the thread's base offset into the staged box of <paramref name="r"/>
        /// is a multiple of 4 at every reduce point, so four operands at offsets
        /// 4i..4i+3 from it can be read as one 128-bit shared load.
        /// </summary>
        private bool OperandBaseAligned(int r)
        {
            var read = _reads[r];
            if (!QuadAllocated(r))
            {
                return false;
            }
            var box = TileFootprint.OfBlockStage(_op, _schedule, read);
            var strides = BoxStrides(r);
            long constant = 0;
            for (var d = 0; d < read.Indices.Count; d++)
            {
                foreach (var term in read.Indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    // g_l is a multiple of the virtual-thread chunk; g_kk takes every value.
                    var step = a >= 0 ? _schedule.ThreadTile[a] / _schedule.VirtualThreads[a] : 1;
                    if (!Divides(4, strides[d] * term.Coefficient * step))
                    {
                        return false;
                    }
                }
                constant -= strides[d] * box.Offsets[d];
            }
            return Divides(4, constant);
        }

        private void WriteInnerLoops(int j)
        {
            if (j == _reduce.Length)
            {
                WriteReducePoint();
                return;
            }
            var step = _schedule.ReduceStep[j];
            var extent = _reduce[j].Extent;
            using (_w.Block($"for (int g_kk{j} = 0; g_kk{j} < {Int(step)}; g_kk{j}++)"))
            {
                _w.Line($"int g_r{j} = g_k{j} + g_kk{j};");
                if (extent % step != 0)
                {
                    // The last stage runs past the axis: the points beyond it do not exist.
                    _w.Line($"if (g_r{j} >= {Int(extent)}) break;");
                }
                WriteInnerLoops(j + 1);
            }
        }

        /// <summary>One reduce point: load each read's distinct operands, then update every accumulator.</summary>
        private void WriteReducePoint()
        {
            var registerOf = new Dictionary<(int Read, string Key), string>();
            for (var r = 0; r < _reads.Length; r++)
            {
                var read = _reads[r];
                // The thread's base (computed once) plus this reduce point's part of the index.
                if (Staged(r))
                {
                    _w.Line($"int g_si{r} = {Sum(StagedTerms(r, null, j => $"g_kk{j}").Prepend((1, $"g_sb{r}")))};");
                }
                else
                {
                    for (var d = 0; d < read.Indices.Count; d++)
                    {
                        _w.Line($"int g_gi{r}_{d} = {Sum(Terms(read.Indices[d], 1, null, j => $"g_r{j}").Prepend((1, $"g_gb{r}_{d}")))};");
                    }
                }
                var operands = new List<(string Register, int[] Element)>();
                foreach (var element in _elements)
                {
                    var key = KeyOf(read, element);
                    if (registerOf.ContainsKey((r, key)))
                    {
                        continue;
                    }
                    var register = $"g_v{r}_{operands.Count}";
                    registerOf[(r, key)] = register;
                    operands.Add((register, element));
                }
                if (Staged(r) && OperandBaseAligned(r))
                {
                    WriteQuadOperandLoads(r, operands);
                }
                else
                {
                    foreach (var (register, element) in operands)
                    {
                        _w.Line($"float {register} = {OperandLoad(r, element)};");
                    }
                }
            }
            for (var e = 0; e < _elements.Length; e++)
            {
                var element = _elements[e];
                var value = CSharpExpression.Write(_op.Body, (read, n) => registerOf[(n, KeyOf(_reads[n], element))]);
                _w.Line(_op.Reduction switch
                {
                    Reduction.Sum => $"g_acc{e} += {value};",
                    Reduction.Max => $"g_acc{e} = XMath.Max(g_acc{e}, {value});",
                    _ => $"g_acc{e} = {value};",
                });
            }
        }

        /// <summary>
        /// Loads a staged read's operands, four at a time with one 128-bit shared
        /// load wherever four of them sit at offsets 4i..4i+3 of the aligned base.
        /// </summary>
        private void WriteQuadOperandLoads(int r, List<(string Register, int[] Element)> operands)
        {
            var byOffset = new Dictionary<long, string>();
            foreach (var (register, element) in operands)
            {
                byOffset[StagedOffset(r, element)] = register;
            }
            var done = new HashSet<string>();
            var quads = 0;
            foreach (var offset in byOffset.Keys.Order())
            {
                if (done.Contains(byOffset[offset]) || !Divides(4, offset) || !Enumerable.Range(1, 3).All(i => byOffset.ContainsKey(offset + i)))
                {
                    continue;
                }
                var quad = $"g_w{r}_{quads++}";
                _w.Line($"Float4 {quad} = g_s{r}q[(g_si{r} + {Int(offset)}) >> 2];");
                var lanes = new[] { "X", "Y", "Z", "W" };
                for (var i = 0; i < 4; i++)
                {
                    _w.Line($"float {byOffset[offset + i]} = {quad}.{lanes[i]};");
                    done.Add(byOffset[offset + i]);
                }
            }
            foreach (var (register, element) in operands)
            {
                if (!done.Contains(register))
                {
                    _w.Line($"float {register} = {OperandLoad(r, element)};");
                }
            }
        }

        /// <summary>The constant offset of a thread-tile position's operand from the thread's base in the staged box.</summary>
        private long StagedOffset(int r, int[] element)
        {
            var strides = BoxStrides(r);
            var indices = _reads[r].Indices;
            return Enumerable.Range(0, indices.Count).Sum(d => strides[d] * SpatialOffset(indices[d], element));
        }

        /// <summary>The thread-tile offsets a read depends on: outputs that agree on them share one operand.</summary>
        private string KeyOf(TensorRead read, int[] element) =>
            string.Join(",", Enumerable.Range(0, Rank).Select(a => read.Indices.Any(index => index.Uses(_spatial[a].Name)) ? element[a] : -1));

        private string OperandLoad(int r, int[] element)
        {
            var read = _reads[r];
            if (Staged(r))
            {
                var offset = StagedOffset(r, element);
                return offset == 0 ? $"g_s{r}[g_si{r}]" : $"g_s{r}[g_si{r} + {Int(offset)}]";
            }
            var index = new string[read.Indices.Count];
            for (var d = 0; d < read.Indices.Count; d++)
            {
                var offset = SpatialOffset(read.Indices[d], element);
                index[d] = offset == 0 ? $"g_gi{r}_{d}" : $"(g_gi{r}_{d} + {Int(offset)})";
            }
            return GlobalLoad(read, index, axis => PaddedExtent(axis, reduceGuarded: true));
        }

        /// <summary>A bounds-checked (where needed) read of a tensor in global memory; outside its bounds it is 0.</summary>
        private string GlobalLoad(TensorRead read, string[] index, Func<string, long> extent)
        {
            var tensor = _tensor[read.Tensor];
            var strides = RowMajorStrides(tensor.Shape.ToArray());
            var flat = Sum(Enumerable.Range(0, index.Length).Select(d => (strides[d], index[d])));
            var load = $"{_parameter[read.Tensor]}[{flat}]";
            var guard = string.Join(" && ", Enumerable.Range(0, index.Length)
                .Where(d => NeedsCheck(read, d, extent))
                .Select(d => $"(uint){index[d]} < {Int(tensor.Shape[d])}u"));
            return guard.Length == 0 ? load : $"({guard} ? {load} : 0f)";
        }

        private void WriteStores()
        {
            var strides = RowMajorStrides(_op.Output.Shape.ToArray());
            for (var e = 0; e < _elements.Length; e++)
            {
                var element = _elements[e];
                using (_w.Block(""))
                {
                    for (var a = 0; a < Rank; a++)
                    {
                        _w.Line($"int g_y{a} = g_o{a} + g_l{a} + {Int(LocalOffset(a, element[a]))};");
                    }
                    var guards = Enumerable.Range(0, Rank)
                        .Where(a => _spatial[a].Extent % _schedule.BlockTile[a] != 0)
                        .Select(a => $"g_y{a} < {Int(_spatial[a].Extent)}")
                        .ToArray();
                    var value = _op.Epilogue is null ? $"g_acc{e}" : EpilogueValue(e);
                    var store = $"{_parameter[_op.Output.Name]}[{Sum(Enumerable.Range(0, Rank).Select(a => (strides[a], $"g_y{a}")))}] = {value};";
                    if (guards.Length == 0)
                    {
                        _w.Line(store);
                    }
                    else
                    {
                        _w.Line($"if ({string.Join(" && ", guards)})");
                        _w.Line("    " + store);
                    }
                }
            }
        }

        /// <summary>
        /// The epilogue at one output: a read of the output tensor is the accumulated
        /// value; other tensors are read from global memory at the output's coordinates.
        /// </summary>
        private string EpilogueValue(int e) =>
            CSharpExpression.Write(_op.Epilogue!, (read, _) =>
            {
                if (read.Tensor == _op.Output.Name)
                {
                    return $"g_acc{e}";
                }
                var index = read.Indices.Select(index => $"({Sum(Terms(index, 1, a => $"g_y{a}", null), index.Constant)})").ToArray();
                // Stores are guarded, so spatial coordinates stay inside their real extents here.
                return GlobalLoad(read, index, axis => _op.AxisNamed(axis).Extent);
            });
    }
}
