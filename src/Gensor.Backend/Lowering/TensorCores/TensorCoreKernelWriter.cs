using System.Globalization;
using Gensor.Analysis;
using Gensor.Etir;

namespace Gensor.Backend.Lowering.TensorCores;

/// <summary>
/// Writes the C# ILGPU kernel of a tensor-core schedule (<see cref="TensorCoreTiling"/>):
/// per stage, all threads copy A's and B's boxes into shared memory as pairs of
/// 16-bit values adjacent in k; each warp then loads its fragments with 32-bit
/// shared loads in the layout of <see cref="MmaFragmentLayout"/> and issues one
/// <c>mma.sync.aligned.m16n8k16</c> per 16×8 tile and k-step, as inline PTX
/// (<c>CudaAsm.EmitRef</c>). Where <c>CudaAsm.IsSupported</c> is false (the CPU
/// accelerator, OpenCL) the same fragments go through an emulation of the MMA by
/// warp shuffles and scalar float32 arithmetic, so the kernel computes the same
/// tile everywhere and verifies on the CPU accelerator. A pipelined schedule loads
/// the next stage into registers before the MMAs and stores it into a second
/// buffer after them (<see cref="TensorCoreTiling.Pipelined"/>).
/// </summary>
/// <remarks>
/// The kernel has its own writer rather than passing through the scalar
/// lowering's IR: its unit of work is a warp's fragment, not a thread's
/// register tile, and it needs by-reference inline assembly the IR has no
/// statement for. Element types reach it through the tensors, as everywhere.
/// </remarks>
internal sealed class TensorCoreKernelWriter(TensorCoreTiling tiling, string className, IReadOnlyList<string> parameters)
{
    private readonly SourceWriter _w = new();
    private readonly MatrixProduct _p = tiling.Product;
    private readonly BStore[] _bStores = BStores(tiling).ToArray();

    /// <summary>The shared windows B's stores go through, one per phase (see <see cref="BStore"/>).</summary>
    private IEnumerable<int> BPhases => _bStores.Select(store => store.Phase).Distinct();

    private ElementType Operand => _p.A.Type;

    /// <summary>The kernel's source, after the comment lines <paramref name="header"/>.</summary>
    public string Write(IEnumerable<string> header, ElementType outputType)
    {
        var types = new[] { outputType, _p.A.Type, _p.B.Type };
        using (CSharpPrinter.OpenClass(_w, header, CSharpPrinter.Usings(["ILGPU", "ILGPU.Runtime", "ILGPU.Runtime.Cuda", "ILGPU.Util"], types), className, tiling.Blocks, tiling.Threads))
        {
            var list = CSharpPrinter.Signature(parameters.Select((name, i) => (name, types[i])));
            using (_w.Block($"public static void {KernelSource.MethodName}({list})"))
            {
                Body(outputType);
            }
            _w.Line();
            Mma();
            _w.Line();
            Unpack();
            if (outputType == ElementType.F16)
            {
                _w.Line();
                ElementTypeNames.WriteHalfConversions(_w);
            }
            if (outputType == ElementType.BF16)
            {
                _w.Line();
                ElementTypeNames.WriteBFloat16Conversions(_w);
            }
        }
        return _w.ToString();
    }

    private void Body(ElementType outputType)
    {
        var t = tiling;
        var (c, a, b) = (parameters[0], parameters[1], parameters[2]);
        var rw = t.RowWords;
        var half = t.StageWords;
        var perWord = t.ValuesPerWord;
        var buffers = t.Pipelined ? 2 : 1;
        _w.Line($"var g_sa = SharedMemory.Allocate<uint>({Int(buffers * t.BufferWordsA)});");
        _w.Line($"var g_sb = SharedMemory.Allocate<uint>({Int(buffers * t.BufferWordsB)});");
        if (t.Tf32)
        {
            _w.Line($"var g_a = {a}.AsContiguous();");
            _w.Line($"var g_b = {b}.AsContiguous();");
        }
        else
        {
            _w.Line("// A as 32-bit words (two values adjacent in k), B as 16-bit values.");
            _w.Line($"var g_a = {a}.AsContiguous().Cast<uint>();");
            _w.Line($"var g_b = {b}.AsContiguous().Cast<ushort>();");
        }
        _w.Line("int g_tid = Group.IdxX;");
        _w.Line("int g_lane = g_tid & 31;");
        _w.Line("int g_warp = g_tid >> 5;");
        _w.Line("int g_g = g_lane >> 2;");
        _w.Line("int g_t = g_lane & 3;");
        _w.Line($"int g_bm = Grid.IdxX / {Int(_p.N / t.BlockN)} * {Int(t.BlockM)};");
        _w.Line($"int g_bn = Grid.IdxX % {Int(_p.N / t.BlockN)} * {Int(t.BlockN)};");
        _w.Line($"int g_wm = g_warp / {Int(t.WarpsN)} * {Int(t.WarpM)};");
        _w.Line($"int g_wn = g_warp % {Int(t.WarpsN)} * {Int(t.WarpN)};");
        for (var i = 0; i < t.TilesM; i++)
        {
            for (var j = 0; j < t.TilesN; j++)
            {
                _w.Line($"float {Acc(i, j, 0)} = 0f, {Acc(i, j, 1)} = 0f, {Acc(i, j, 2)} = 0f, {Acc(i, j, 3)} = 0f;");
            }
        }
        // Copy coordinates, once per thread: word u of a thread's share of A's box is word tid%(BK/2) of row
        // CopyRowA(tid + u*T) (rows tid/(BK/2) + u*T/(BK/2), spread within groups of 8); of B's (transposed) box,
        // column n and pair kp.
        // Every access goes through a window (a sub-view) at the thread's base, indexed by constants:
        // ptxas folds a constant into the access, where a 32-bit index into the whole view is widened
        // before it is scaled and costs an address register and a multiply-add per access.
        if (t.SpreadsCopyRowsA)
        {
            // A warp's rows of A spread over its group of 8 (TensorCoreTiling.CopyRowA): their banks do not overlap.
            var perWarp = 32 / half;
            _w.Line($"int g_aitem = g_tid / {Int(half)};");
            _w.Line($"int g_arow = (g_aitem & ~7) + (g_aitem % {Int(perWarp)}) * {Int(half / 4)} + (g_aitem & 7) / {Int(perWarp)};");
        }
        else
        {
            _w.Line($"int g_arow = g_tid / {Int(half)};");
        }
        _w.Line($"int g_acol = g_tid % {Int(half)};");
        _w.Line($"var g_sa_copy = g_sa.SubView(g_arow * {Int(rw)} + g_acol);");
        _w.Line($"int g_aglobal = (g_bm + g_arow) * {Int(_p.K / perWord)} + g_acol;");
        // TensorCoreTiling.CopyColumnB and CopyPairB state this mapping for the cost model, which counts its stores' bank passes.
        var bWide = t.CopiesOneColumnOfB;
        _w.Line(bWide ? $"int g_bcol = g_tid % {Int(t.BlockN)};" : "int g_bcol = g_tid;");
        _w.Line(bWide ? $"int g_bpair = g_tid / {Int(t.BlockN)};" : "int g_bpair = 0;");
        _w.Line("// B's words are swizzled: a column's pair word p lies at p ^ ((column >> 3) & 3), so the copy's 32 columns, a");
        _w.Line("// row apart, fill 32 banks (TensorCoreTiling.SwizzleB); a column's swizzle stays with it across the copy.");
        _w.Line("int g_bswizzle = (g_bcol >> 3) & 3;");
        // Pair p + d lies at ((p + d % 4) ^ swizzle) + d - d % 4: the swizzle touches the low two bits only, so one
        // window per d % 4 serves every word the thread stores.
        foreach (var phase in BPhases)
        {
            _w.Line($"var g_sb_copy{Int(phase)} = g_sb.SubView(g_bcol * {Int(rw)} + ((g_bpair + {Int(phase)}) ^ g_bswizzle));");
        }
        _w.Line($"int g_bglobal = {Int(perWord)} * g_bpair * {Int(_p.N)} + g_bn + g_bcol;");
        // A warp's fragments: lane (g, t) reads row g + 16i (+8) of A at word t (+4), and column g + 8j of B at word
        // t ^ swizzle (+4), one swizzle per tile j % 4 because a tile's 8 columns share it.
        _w.Line($"var g_sa_frag = g_sa.SubView((g_wm + g_g) * {Int(rw)} + g_t);");
        for (var j = 0; j < Math.Min(4, t.TilesN); j++)
        {
            _w.Line($"var g_sb_frag{Int(j)} = g_sb.SubView((g_wn + g_g + {Int(j * TensorCoreTiling.MmaN)}) * {Int(rw)} + (g_t ^ (((g_wn >> 3) + {Int(j)}) & 3)));");
        }
        if (t.Pipelined)
        {
            PipelinedStages();
        }
        else
        {
            using (_w.Block($"for (int g_k0 = 0; g_k0 < {Int(_p.K)}; g_k0 += {Int(t.StageK)})"))
            {
                _w.Line("// Stage: A's and B's boxes into shared memory, then the warps' MMAs.");
                LoadStage("g_k0");
                StoreStage("");
                _w.Line("Group.Barrier();");
                ComputeStage("");
                _w.Line("Group.Barrier();");
            }
        }
        // Accumulator registers 2h and 2h+1 hold row g + 8h, columns 2t and 2t+1 of their tile: one store of
        // the pair (a 64-bit store of two floats, or a 32-bit one of two 16-bit values), through a window at
        // the lane's first pair (even: N, the block's and the warp's columns are multiples of 8).
        var pairs = outputType == ElementType.F32 ? "Float2" : "uint";
        _w.Line($"var g_c_pairs = {c}.AsContiguous().Cast<{pairs}>();");
        _w.Line($"var g_c_out = g_c_pairs.SubView(((g_bm + g_wm + g_g) * {Int(_p.N)} + g_bn + g_wn) / 2 + g_t);");
        for (var i = 0; i < t.TilesM; i++)
        {
            for (var j = 0; j < t.TilesN; j++)
            {
                for (var h = 0; h < 2; h++)
                {
                    var offset = ((((long)i * TensorCoreTiling.MmaM) + (8 * h)) * _p.N / 2) + (j * TensorCoreTiling.MmaN / 2);
                    _w.Line($"g_c_out[{Int(offset)}] = {Pair(outputType, Acc(i, j, 2 * h), Acc(i, j, (2 * h) + 1))};");
                }
            }
        }
    }

    /// <summary>Two accumulators as one element of the output's pair view, the first in the low half.</summary>
    private static string Pair(ElementType outputType, string low, string high) => outputType switch
    {
        ElementType.F32 => $"new Float2({low}, {high})",
        ElementType.F16 => $"(uint)Interop.FloatAsInt(FloatToHalf({low})) | ((uint)Interop.FloatAsInt(FloatToHalf({high})) << 16)",
        ElementType.BF16 => $"(uint)FloatToBFloat16({low}) | ((uint)FloatToBFloat16({high}) << 16)",
        _ => throw new ArgumentOutOfRangeException(nameof(outputType), outputType, null),
    };

    /// <summary>
    /// Pipelined stages over two shared buffers: stage s is read from buffer s &amp; 1 while the next stage's loads,
    /// issued before the MMAs, are in flight; they are stored into the other buffer after the MMAs, and one barrier
    /// ends the stage (every warp is then done reading the buffer the following stage overwrites). The last stage
    /// loads itself again rather than branching: its copy goes into the buffer no one reads.
    /// </summary>
    private void PipelinedStages()
    {
        var t = tiling;
        using (_w.Block(""))
        {
            _w.Line("// Prologue: the first stage into buffer 0.");
            LoadStage("0");
            StoreStage("");
        }
        _w.Line("Group.Barrier();");
        using (_w.Block($"for (int g_k0 = 0; g_k0 < {Int(_p.K)}; g_k0 += {Int(t.StageK)})"))
        {
            _w.Line($"int g_next = g_k0 + {Int(t.StageK)} < {Int(_p.K)} ? g_k0 + {Int(t.StageK)} : g_k0;");
            LoadStage("g_next");
            _w.Line($"int g_read = (g_k0 / {Int(t.StageK)}) & 1;");
            _w.Line($"var g_sa_frag_r = g_sa_frag.SubView(g_read * {Int(t.BufferWordsA)});");
            for (var j = 0; j < Math.Min(4, t.TilesN); j++)
            {
                _w.Line($"var g_sb_frag{Int(j)}_r = g_sb_frag{Int(j)}.SubView(g_read * {Int(t.BufferWordsB)});");
            }
            ComputeStage("_r");
            _w.Line($"var g_sa_copy_w = g_sa_copy.SubView((g_read ^ 1) * {Int(t.BufferWordsA)});");
            foreach (var phase in BPhases)
            {
                _w.Line($"var g_sb_copy{Int(phase)}_w = g_sb_copy{Int(phase)}.SubView((g_read ^ 1) * {Int(t.BufferWordsB)});");
            }
            StoreStage("_w");
            _w.Line("Group.Barrier();");
        }
    }

    /// <summary>
    /// Loads the thread's share of the stage at k <paramref name="k0"/> into registers: A's words, and B's values
    /// (two 16-bit values a word, packed when stored, or one float32 rounded to TF32 when stored).
    /// </summary>
    private void LoadStage(string k0)
    {
        var t = tiling;
        var perWord = t.ValuesPerWord;
        var word = t.Tf32 ? "float" : "uint";
        _w.Line($"var g_a_stage = g_a.SubView(g_aglobal + {(t.Tf32 ? k0 : $"({k0} >> 1)")});");
        _w.Line($"var g_b_stage = g_b.SubView(g_bglobal + {k0} * {Int(_p.N)});");
        for (var u = 0; u < t.CopyWordsA; u++)
        {
            _w.Line($"{word} g_ca{Int(u)} = g_a_stage[{Int((long)t.CopyRowA(u * t.Threads) * (_p.K / perWord))}];");
        }
        for (var u = 0; u < _bStores.Length; u++)
        {
            var global = _bStores[u].Global;
            _w.Line(t.Tf32
                ? $"float g_cb{Int(u)} = g_b_stage[{Int(global)}];"
                : $"uint g_cb{Int(u)} = g_b_stage[{Int(global)}], g_cb{Int(u)}_hi = g_b_stage[{Int(global + _p.N)}];");
        }
    }

    /// <summary>Stores the loaded stage into shared memory through the copy windows named with <paramref name="suffix"/>.</summary>
    private void StoreStage(string suffix)
    {
        var t = tiling;
        for (var u = 0; u < t.CopyWordsA; u++)
        {
            // Thread 0's rows: every thread's word u is as many rows from its first (TensorCoreTiling.SpreadsCopyRowsA).
            _w.Line($"g_sa_copy{suffix}[{Int(t.CopyRowA(u * t.Threads) * t.RowWords)}] = {(t.Tf32 ? $"ToTf32(g_ca{Int(u)})" : $"g_ca{Int(u)}")};");
        }
        for (var u = 0; u < _bStores.Length; u++)
        {
            var (phase, shared, _) = _bStores[u];
            _w.Line($"g_sb_copy{Int(phase)}{suffix}[{Int(shared)}] = {(t.Tf32 ? $"ToTf32(g_cb{Int(u)})" : $"g_cb{Int(u)} | (g_cb{Int(u)}_hi << 16)")};");
        }
    }

    /// <summary>The stage's k-steps: each warp loads its fragments through the windows named with <paramref name="suffix"/> and issues its MMAs.</summary>
    private void ComputeStage(string suffix)
    {
        var t = tiling;
        var rw = t.RowWords;
        for (var step = 0; step < t.StageK / t.StepK; step++)
        {
            using (_w.Block(""))
            {
                var word = step * t.StepWords;
                _w.Line($"// k-step {Int(step)}: fragments (registers r of A: row g + 8(r&1), words t + 4(r>>1); of B: column g, words t + 4r).");
                for (var i = 0; i < t.TilesM; i++)
                {
                    for (var r = 0; r < 4; r++)
                    {
                        var offset = ((i * TensorCoreTiling.MmaM) + (8 * (r & 1))) * rw + word + (4 * (r >> 1));
                        _w.Line($"uint g_a{Int(i)}_{Int(r)} = g_sa_frag{suffix}[{Int(offset)}];");
                    }
                }
                for (var j = 0; j < t.TilesN; j++)
                {
                    for (var r = 0; r < 2; r++)
                    {
                        var offset = ((j - (j % 4)) * TensorCoreTiling.MmaN * rw) + word + (4 * r);
                        _w.Line($"uint g_b{Int(j)}_{Int(r)} = g_sb_frag{Int(j % 4)}{suffix}[{Int(offset)}];");
                    }
                }
                for (var i = 0; i < t.TilesM; i++)
                {
                    for (var j = 0; j < t.TilesN; j++)
                    {
                        _w.Line($"Mma(ref {Acc(i, j, 0)}, ref {Acc(i, j, 1)}, ref {Acc(i, j, 2)}, ref {Acc(i, j, 3)}, " +
                            $"g_a{i}_0, g_a{i}_1, g_a{i}_2, g_a{i}_3, g_b{j}_0, g_b{j}_1);");
                    }
                }
            }
        }
    }

    /// <summary>
    /// A B word a thread stores per stage: the shared window it goes through (its pair's phase d % 4, see the copy's
    /// comments) and the constant offsets into that window and into the stage's global window (the first of the
    /// pair's two rows).
    /// </summary>
    private readonly record struct BStore(int Phase, long Shared, long Global);

    /// <summary>Item tid + u*T of B's copy, for each u: with T a multiple of BN the column stays and the pair advances, else the reverse.</summary>
    private static IEnumerable<BStore> BStores(TensorCoreTiling t)
    {
        for (var u = 0; u < t.CopyWordsB; u++)
        {
            var (dc, dp) = t.CopiesOneColumnOfB ? (0, u * t.Threads / t.BlockN) : (u * t.Threads % t.BlockN, u * t.Threads / t.BlockN);
            yield return new BStore(dp % 4, ((long)dc * t.RowWords) + dp - (dp % 4), ((long)t.ValuesPerWord * dp * t.Product.N) + dc);
        }
    }

    private void Mma()
    {
        var type = tiling.OperandName;
        var shape = tiling.PtxShape;
        _w.Line($"/// <summary>D += A * B for one {shape} tile of the warp: tensor cores on CUDA, the same fragments by shuffles elsewhere.</summary>");
        _w.Line("[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (_w.Block("public static void Mma(ref float d0, ref float d1, ref float d2, ref float d3, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1)"))
        {
            using (_w.Block("if (CudaAsm.IsSupported)"))
            {
                _w.Line("// EmitRef takes each operand as Ref (read and written), Input or Output.");
                _w.Line("Ref<float> e0 = d0, e1 = d1, e2 = d2, e3 = d3;");
                _w.Line("Input<uint> f0 = a0, f1 = a1, f2 = a2, f3 = a3, f4 = b0, f5 = b1;");
                _w.Line($"CudaAsm.EmitRef(\"mma.sync.aligned.{shape}.row.col.f32.{type}.{type}.f32 {{%0, %1, %2, %3}}, {{%4, %5, %6, %7}}, {{%8, %9}}, {{%0, %1, %2, %3}};\",");
                _w.Line("    ref e0, ref e1, ref e2, ref e3, ref f0, ref f1, ref f2, ref f3, ref f4, ref f5);");
                _w.Line("d0 = e0.Value;");
                _w.Line("d1 = e1.Value;");
                _w.Line("d2 = e2.Value;");
                _w.Line("d3 = e3.Value;");
            }
            using (_w.Block("else"))
            {
                _w.Line(tiling.Tf32
                    ? "// Lane g*4+j holds A's rows g and g+8 at k j (a0, a1) and j+4 (a2, a3);"
                    : "// Lane g*4+j holds A's rows g and g+8 at k 2j,2j+1 (a0, a1) and 2j+8,2j+9 (a2, a3);");
                _w.Line("// lane n*4+j holds B's column n at the same k (b0, b1). Each lane gathers its two rows and two columns.");
                _w.Line("int lane = Warp.LaneIdx;");
                _w.Line("int g = lane >> 2;");
                _w.Line("int t = lane & 3;");
                using (_w.Block("for (int j = 0; j < 4; j++)"))
                {
                    _w.Line("uint x0 = Warp.Shuffle(a0, g * 4 + j);");
                    _w.Line("uint x1 = Warp.Shuffle(a1, g * 4 + j);");
                    _w.Line("uint x2 = Warp.Shuffle(a2, g * 4 + j);");
                    _w.Line("uint x3 = Warp.Shuffle(a3, g * 4 + j);");
                    _w.Line("uint y0 = Warp.Shuffle(b0, 8 * t + j);");
                    _w.Line("uint y1 = Warp.Shuffle(b1, 8 * t + j);");
                    _w.Line("uint z0 = Warp.Shuffle(b0, 8 * t + 4 + j);");
                    _w.Line("uint z1 = Warp.Shuffle(b1, 8 * t + 4 + j);");
                    _w.Line("d0 += Dot(x0, y0) + Dot(x2, y1);");
                    _w.Line("d1 += Dot(x0, z0) + Dot(x2, z1);");
                    _w.Line("d2 += Dot(x1, y0) + Dot(x3, y1);");
                    _w.Line("d3 += Dot(x1, z0) + Dot(x3, z1);");
                }
            }
        }
    }

    private void Unpack()
    {
        if (tiling.Tf32)
        {
            _w.Line("/// <summary>The product of two TF32 values (float32 bits with the low 13 bits zero), in float32.</summary>");
            _w.Line("public static float Dot(uint x, uint y) => Interop.IntAsFloat(x) * Interop.IntAsFloat(y);");
            _w.Line();
            _w.Line("/// <summary>A float rounded to TF32 (10 significand bits), to nearest with ties away from zero: cvt.rna.tf32.f32 on CUDA, integer code elsewhere.</summary>");
            using (_w.Block("public static uint ToTf32(float value)"))
            {
                using (_w.Block("if (CudaAsm.IsSupported)"))
                {
                    _w.Line("Output<uint> rounded = default;");
                    _w.Line("Input<float> input = value;");
                    _w.Line("CudaAsm.EmitRef(\"cvt.rna.tf32.f32 %0, %1;\", ref rounded, ref input);");
                    _w.Line("return rounded.Value;");
                }
                _w.Line("uint bits = Interop.FloatAsInt(value);");
                _w.Line("// Infinity and NaN keep their bits; otherwise add half of the dropped 13 bits' range and drop them.");
                _w.Line("return (bits & 0x7F800000u) == 0x7F800000u ? bits : (bits + 0x1000u) & 0xFFFFE000u;");
            }
            return;
        }
        _w.Line($"/// <summary>The dot product of two pairs of {Operand.Name()} values (low half first), in float32.</summary>");
        _w.Line("public static float Dot(uint x, uint y) => Low(x) * Low(y) + High(x) * High(y);");
        _w.Line();
        if (Operand == ElementType.F16)
        {
            _w.Line("public static float Low(uint pair) => (float)Interop.IntAsFloat((ushort)(pair & 0xFFFFu));");
            _w.Line();
            _w.Line("public static float High(uint pair) => (float)Interop.IntAsFloat((ushort)(pair >> 16));");
        }
        else
        {
            _w.Line("public static float Low(uint pair) => Interop.IntAsFloat(pair << 16);");
            _w.Line();
            _w.Line("public static float High(uint pair) => Interop.IntAsFloat(pair & 0xFFFF0000u);");
        }
    }

    private static string Acc(int i, int j, int r) => $"g_c{i}_{j}_{r}";

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
