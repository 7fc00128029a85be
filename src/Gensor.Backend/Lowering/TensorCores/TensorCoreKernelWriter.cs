using System.Globalization;
using Gensor.Analysis;
using Gensor.Etir;

namespace Gensor.Backend.Lowering.TensorCores;

/// <summary>
/// Writes the C# ILGPU kernel of a tensor-core schedule (<see cref="TensorCoreTiling"/>):
/// per stage, all threads copy A's and B's boxes into shared memory (pipelined 16-bit operands by
/// <c>cp.async</c>, the others through registers, where TF32 is rounded), in 128-bit units where the threads split a box so;
/// each warp then loads its fragments in the layout of <see cref="MmaFragmentLayout"/>
/// with <c>ldmatrix</c> (TF32's B with 32-bit shared loads) and issues one
/// <c>mma.sync.aligned.m16n8k16</c> per 16×8 tile and k-step, as inline PTX
/// (<c>CudaAsm.EmitRef</c>). Where <c>CudaAsm.IsSupported</c> is false (the CPU
/// accelerator, OpenCL) the ldmatrix and the MMA go through emulations by warp
/// shuffles (each lane takes the row addresses the instruction would), so the kernel
/// computes the same tile from the same shared layout everywhere and verifies on the
/// CPU accelerator; the asynchronous copy goes through the same indices at once. A pipelined
/// schedule issues the next stage's copies into a second buffer before the MMAs (TF32: loads it into
/// registers before them and stores it after; <see cref="TensorCoreTiling.Pipelined"/>).
/// </summary>
/// <remarks>
/// The kernel has its own writer rather than passing through the scalar
/// lowering's IR: its unit of work is a warp's fragment, not a thread's
/// register tile, and it needs by-reference inline assembly the IR has no
/// statement for. Element types reach it through the tensors, as everywhere.
/// </remarks>
internal sealed class TensorCoreKernelWriter(TensorCoreTiling tiling, string className, IReadOnlyList<string> parameters, IReadOnlyList<string> addresses)
{
    private readonly SourceWriter _w = new();
    private readonly MatrixProduct _p = tiling.Product;

    /// <summary>The attribute every helper of the kernel carries: ILGPU inlines it into the kernel.</summary>
    private const string Inline = CSharpPrinter.Inline;

    private ElementType Operand => _p.A.Type;

    /// <summary>The kernel's source, after the comment lines <paramref name="header"/>.</summary>
    public string Write(IEnumerable<string> header, ElementType outputType)
    {
        var types = new[] { outputType, _p.A.Type, _p.B.Type };
        using (CSharpPrinter.OpenClass(_w, header, CSharpPrinter.Usings(["ILGPU", "ILGPU.Runtime", "ILGPU.Runtime.Cuda", "ILGPU.Util"], types), className, tiling.Blocks, tiling.Threads))
        {
            var list = string.Join(", ", new[] { CSharpPrinter.Signature(parameters.Select((name, i) => (name, types[i]))) }.Concat(addresses.Select(a => $"long {a}")));
            using (_w.Block($"public static void {KernelSource.MethodName}({list})"))
            {
                Body(outputType);
            }
            _w.Line();
            Mma();
            _w.Line();
            SharedAccess();
            _w.Line();
            if (tiling.AsyncCopies)
            {
                CopyAsyncMethods();
                _w.Line();
            }
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
        var rw = t.RowsA.Stride;
        var perWord = t.ValuesPerWord;
        var buffers = t.Pipelined ? 2 : 1;
        // One allocation of 16-byte units: ldmatrix reads 16-byte rows, and the kernel's only allocation is the one
        // SharedBase names. A's buffers come first, then B's.
        var wordsA = buffers * t.BufferWordsA;
        _w.Line($"var g_s4 = SharedMemory.Allocate<Words4>({Int((wordsA + (buffers * t.BufferWordsB)) / 4)});");
        _w.Line("var g_s = g_s4.Cast<uint>();");
        _w.Line("uint g_sbase = SharedBase();");
        if (t.Tf32)
        {
            _w.Line($"var g_a = {a}.AsContiguous();");
            _w.Line($"var g_b = {b}.AsContiguous();");
        }
        else
        {
            _w.Line("// A and B as 32-bit words: two values adjacent in k (A), in n (B).");
            _w.Line($"var g_a = {a}.AsContiguous().Cast<uint>();");
            _w.Line($"var g_b = {b}.AsContiguous().Cast<uint>();");
        }
        // 128-bit units of the boxes copied 4 words an item.
        if (t.RowsA.Unit == SharedRows.WideUnit)
        {
            _w.Line("var g_a4 = g_a.Cast<Words4>();");
        }
        if (t.RowsB.Unit == SharedRows.WideUnit)
        {
            _w.Line("var g_b4 = g_b.Cast<Words4>();");
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
        // Copy coordinates, once per thread: item tid + u*T of a box (SharedRows) is the unit at word Word(item) of
        // row Row(item), the same word and rows a constant apart for every thread.
        // Every access goes through a window (a sub-view) at the thread's base, indexed by constants:
        // ptxas folds a constant into the access, where a 32-bit index into the whole view is widened
        // before it is scaled and costs an address register and a multiply-add per access.
        CopyCoordinates("a", t.RowsA, 0);
        _w.Line($"int g_aglobal = (g_bm + g_arow) * {Int(_p.K / perWord / t.RowsA.Unit)} + g_aunit;");
        CopyCoordinates("b", t.RowsB, wordsA);
        _w.Line($"int g_bglobal = g_brow * {Int(_p.N / perWord / t.RowsB.Unit)} + g_bn / {Int(perWord * t.RowsB.Unit)} + g_bunit;");
        // Fragments come by ldmatrix (LoadMatrix), 4 matrices of 8 rows a warp: lane l gives the 16-byte row l % 8
        // of matrix l / 8. Of A, rows g and g + 8 (matrices 0 and 1) at words 0-3, then 4-7 (2 and 3); of 16-bit B,
        // k rows 0-7 and 8-15 of a tile's 8 columns (4 words), then of the next tile's. TF32's B is read a word a lane:
        // lane (g, t) reads column g + 8j of k rows t and t + 4.
        _w.Line("int g_ldm_row = (g_lane & 7) + ((g_lane >> 3) & 1) * 8;");
        _w.Line($"int g_sa_ldm = (g_wm + g_ldm_row) * {Int(rw)} + (g_lane >> 4) * 4;");
        if (t.Tf32)
        {
            _w.Line($"var g_sb_frag = g_s.SubView({Int(wordsA)} + g_t * {Int(t.RowsB.Stride)} + g_wn + g_g);");
        }
        else
        {
            _w.Line($"int g_sb_ldm = {Int(wordsA)} + g_ldm_row * {Int(t.RowsB.Stride)} + g_wn / 2 + (g_lane >> 4) * 4;");
        }
        if (t.AsyncCopies)
        {
            AsyncStages();
        }
        else if (t.Pipelined)
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

    /// <summary>
    /// A thread's first row and unit of a box kept in rows, <c>g_{x}row</c> and <c>g_{x}unit</c>
    /// (<see cref="SharedRows.Row"/> and <see cref="SharedRows.Word"/> of item tid, in the box's units), its
    /// first shared unit <c>g_s{x}_at</c> in the box's first buffer, at word <paramref name="start"/> of the
    /// allocation, and (copies through registers) its shared window there, <c>g_s{x}_copy</c>.
    /// </summary>
    private void CopyCoordinates(string x, SharedRows rows, int start)
    {
        if (rows.SpreadsRows)
        {
            // A store pass's rows spread over their group: their banks do not overlap.
            var (perPass, apart) = (rows.RowsPerPass, rows.RowsApart);
            var group = perPass * apart;
            _w.Line($"int g_{x}item = g_tid / {Int(rows.ItemsPerRow)};");
            // Groups are powers of two in the tiling space: masks, which ptxas needs no sign fix-up for.
            _w.Line(System.Numerics.BitOperations.IsPow2(group)
                ? $"int g_{x}row = (g_{x}item & ~{Int(group - 1)}) + (g_{x}item % {Int(perPass)}) * {Int(apart)} + (g_{x}item & {Int(group - 1)}) / {Int(perPass)};"
                : $"int g_{x}row = g_{x}item / {Int(group)} * {Int(group)} + (g_{x}item % {Int(perPass)}) * {Int(apart)} + g_{x}item % {Int(group)} / {Int(perPass)};");
        }
        else
        {
            _w.Line($"int g_{x}row = g_tid / {Int(rows.ItemsPerRow)};");
        }
        _w.Line($"int g_{x}unit = g_tid % {Int(rows.ItemsPerRow)};");
        _w.Line($"int g_s{x}_at = {Int(start / rows.Unit)} + g_{x}row * {Int(rows.Stride / rows.Unit)} + g_{x}unit;");
        if (!tiling.AsyncCopies)
        {
            _w.Line($"var g_s{x}_copy = {SharedView(rows)}.SubView(g_s{x}_at);");
        }
    }

    /// <summary>
    /// Where a thread's copy item <paramref name="u"/> lies from its first, in the box's units, rows
    /// <paramref name="rowWords"/> words apart: thread 0's, since every thread's lies as far (<see cref="SharedRows.Check"/>).
    /// </summary>
    private long Offset(SharedRows rows, int u, long rowWords) =>
        ((rows.Row(u * tiling.Threads) * rowWords) + rows.Word(u * tiling.Threads)) / rows.Unit;

    /// <summary>The type a copy item of <paramref name="rows"/> loads: 4 words, or one of <paramref name="word"/>.</summary>
    private static string ItemType(SharedRows rows, string word) => rows.Unit == SharedRows.WideUnit ? "Words4" : word;

    /// <summary>The global view a copy item of <paramref name="rows"/> loads from, of its unit.</summary>
    private static string GlobalView(SharedRows rows, string x) => rows.Unit == SharedRows.WideUnit ? $"g_{x}4" : $"g_{x}";

    /// <summary>Two accumulators as one element of the output's pair view, the first in the low half.</summary>
    private static string Pair(ElementType outputType, string low, string high) => outputType switch
    {
        ElementType.F32 => $"new Float2({low}, {high})",
        ElementType.F16 => $"(uint)Interop.FloatAsInt(FloatToHalf({low})) | ((uint)Interop.FloatAsInt(FloatToHalf({high})) << 16)",
        ElementType.BF16 => $"(uint)FloatToBFloat16({low}) | ((uint)FloatToBFloat16({high}) << 16)",
        _ => throw new ArgumentOutOfRangeException(nameof(outputType), outputType, null),
    };

    /// <summary>
    /// Pipelined stages through registers (TF32) over two shared buffers: stage s is read from buffer s &amp; 1 while the next stage's loads,
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
            _w.Line($"int g_sa_ldm_r = g_sa_ldm + g_read * {Int(t.BufferWordsA)};");
            if (t.Tf32)
            {
                _w.Line($"var g_sb_frag_r = g_sb_frag.SubView(g_read * {Int(t.BufferWordsB)});");
            }
            else
            {
                _w.Line($"int g_sb_ldm_r = g_sb_ldm + g_read * {Int(t.BufferWordsB)};");
            }
            ComputeStage("_r");
            _w.Line($"var g_sa_copy_w = g_sa_copy.SubView((g_read ^ 1) * {Int(t.BufferWordsA / t.RowsA.Unit)});");
            _w.Line($"var g_sb_copy_w = g_sb_copy.SubView((g_read ^ 1) * {Int(t.BufferWordsB / t.RowsB.Unit)});");
            StoreStage("_w");
            _w.Line("Group.Barrier();");
        }
    }

    /// <summary>
    /// Pipelined stages whose copies go from global to shared memory by <c>cp.async</c> (<see cref="TensorCoreTiling.AsyncCopies"/>):
    /// nothing passes through registers. Each thread's copy sources (<c>g_a_from</c>, <c>g_b_from</c>, in the
    /// tensors' units) advance by a stage. The next stage's copies are issued before this stage's MMAs into the other
    /// buffer, and waited for after them; one barrier then ends the stage. The last stage copies nothing.
    /// </summary>
    private void AsyncStages()
    {
        var t = tiling;
        var (stepA, stepB) = (t.StageK / t.ValuesPerWord / t.RowsA.Unit, (long)t.StageK * _p.N / t.ValuesPerWord / t.RowsB.Unit);
        _w.Line("long g_a_from = g_aglobal;");
        _w.Line("long g_b_from = g_bglobal;");
        using (_w.Block(""))
        {
            _w.Line("// Prologue: the first stage into buffer 0.");
            CopyAsyncStage("0");
            _w.Line("WaitCopies();");
        }
        _w.Line("Group.Barrier();");
        using (_w.Block($"for (int g_k0 = 0; g_k0 < {Int(_p.K)}; g_k0 += {Int(t.StageK)})"))
        {
            _w.Line($"int g_read = (g_k0 / {Int(t.StageK)}) & 1;");
            using (_w.Block($"if (g_k0 + {Int(t.StageK)} < {Int(_p.K)})"))
            {
                _w.Line("// The other buffer was last read in the previous stage, which a barrier ended: the next stage's");
                _w.Line("// copies may land in it while this one's MMAs run. (Off CUDA the copy is done when the call returns.)");
                _w.Line($"g_a_from += {Int(stepA)};");
                _w.Line($"g_b_from += {Int(stepB)};");
                CopyAsyncStage("g_read ^ 1");
            }
            _w.Line($"int g_sa_ldm_r = g_sa_ldm + g_read * {Int(t.BufferWordsA)};");
            _w.Line($"int g_sb_ldm_r = g_sb_ldm + g_read * {Int(t.BufferWordsB)};");
            ComputeStage("_r");
            _w.Line("WaitCopies();");
            _w.Line("Group.Barrier();");
        }
    }

    /// <summary>
    /// Issues the thread's copies of the stage its sources <c>g_a_from</c> and <c>g_b_from</c> are at into shared
    /// buffer <paramref name="buffer"/> by <c>cp.async</c> (CopyAsync): each item's shared and global unit, a constant
    /// from the thread's first. The global units are 64-bit and advance a stage at a time, so no 32-bit index is
    /// widened and scaled per stage (ptxas still adds each item's constant to the 64-bit address before its LDGSTS).
    /// </summary>
    private void CopyAsyncStage(string buffer)
    {
        var t = tiling;
        var perWord = t.ValuesPerWord;
        var to = buffer == "0" ? ("g_sa_at", "g_sb_at") : ($"g_sa_at + ({buffer}) * {Int(t.BufferWordsA / t.RowsA.Unit)}", $"g_sb_at + ({buffer}) * {Int(t.BufferWordsB / t.RowsB.Unit)}");
        _w.Line($"int g_sa_to = {to.Item1};");
        _w.Line($"int g_sb_to = {to.Item2};");
        var (a, b) = (addresses[0], addresses[1]);
        for (var u = 0; u < t.RowsA.CopyItems; u++)
        {
            _w.Line($"CopyAsync({SharedView(t.RowsA)}, g_sbase, g_sa_to + {Int(Offset(t.RowsA, u, t.RowsA.Stride))}, {GlobalView(t.RowsA, "a")}, {a}, g_a_from + {Int(Offset(t.RowsA, u, _p.K / perWord))});");
        }
        for (var u = 0; u < t.RowsB.CopyItems; u++)
        {
            _w.Line($"CopyAsync({SharedView(t.RowsB)}, g_sbase, g_sb_to + {Int(Offset(t.RowsB, u, t.RowsB.Stride))}, {GlobalView(t.RowsB, "b")}, {b}, g_b_from + {Int(Offset(t.RowsB, u, _p.N / perWord))});");
        }
    }

    /// <summary>The shared view a copy item of <paramref name="rows"/> is stored through, of its unit.</summary>
    private static string SharedView(SharedRows rows) => rows.Unit == SharedRows.WideUnit ? "g_s4" : "g_s";

    /// <summary>
    /// Loads the thread's share of the stage at k <paramref name="k0"/> into registers: A's and B's words (two
    /// 16-bit values, or one float32 rounded to TF32 when stored).
    /// </summary>
    private void LoadStage(string k0)
    {
        var t = tiling;
        var perWord = t.ValuesPerWord;
        var word = t.Tf32 ? "float" : "uint";
        // A's k in its units: values a word times words a unit, a power of two.
        var shift = System.Numerics.BitOperations.Log2((uint)(perWord * t.RowsA.Unit));
        _w.Line($"var g_a_stage = {GlobalView(t.RowsA, "a")}.SubView(g_aglobal + {(shift == 0 ? k0 : $"({k0} >> {Int(shift)})")});");
        _w.Line($"var g_b_stage = {GlobalView(t.RowsB, "b")}.SubView(g_bglobal + {k0} * {Int(_p.N / perWord / t.RowsB.Unit)});");
        for (var u = 0; u < t.RowsA.CopyItems; u++)
        {
            _w.Line($"{ItemType(t.RowsA, word)} g_ca{Int(u)} = g_a_stage[{Int(Offset(t.RowsA, u, _p.K / perWord))}];");
        }
        for (var u = 0; u < t.RowsB.CopyItems; u++)
        {
            _w.Line($"{ItemType(t.RowsB, word)} g_cb{Int(u)} = g_b_stage[{Int(Offset(t.RowsB, u, _p.N / perWord))}];");
        }
    }

    /// <summary>Stores the loaded stage into shared memory through the copy windows named with <paramref name="suffix"/>.</summary>
    private void StoreStage(string suffix)
    {
        var t = tiling;
        for (var u = 0; u < t.RowsA.CopyItems; u++)
        {
            _w.Line($"g_sa_copy{suffix}[{Int(Offset(t.RowsA, u, t.RowsA.Stride))}] = {(t.Tf32 ? $"ToTf32(g_ca{Int(u)})" : $"g_ca{Int(u)}")};");
        }
        for (var u = 0; u < t.RowsB.CopyItems; u++)
        {
            _w.Line($"g_sb_copy{suffix}[{Int(Offset(t.RowsB, u, t.RowsB.Stride))}] = {(t.Tf32 ? $"ToTf32(g_cb{Int(u)})" : $"g_cb{Int(u)}")};");
        }
    }

    /// <summary>The stage's k-steps: each warp loads its fragments through the windows named with <paramref name="suffix"/> and issues its MMAs.</summary>
    private void ComputeStage(string suffix)
    {
        var t = tiling;
        var rw = t.RowsA.Stride;
        for (var step = 0; step < t.StageK / t.StepK; step++)
        {
            using (_w.Block(""))
            {
                var word = step * t.StepWords;
                _w.Line($"// k-step {Int(step)}: fragments (registers r of A: row g + 8(r&1), words t + 4(r>>1); of B: column g, k 2t + 8r and the next).");
                for (var i = 0; i < t.TilesM; i++)
                {
                    var offset = (i * TensorCoreTiling.MmaM * rw) + word;
                    _w.Line($"LoadMatrix(g_s, g_sbase, g_sa_ldm{suffix} + {Int(offset)}, out uint g_a{Int(i)}_0, out uint g_a{Int(i)}_1, out uint g_a{Int(i)}_2, out uint g_a{Int(i)}_3);");
                }
                if (t.Tf32)
                {
                    for (var j = 0; j < t.TilesN; j++)
                    {
                        for (var r = 0; r < 2; r++)
                        {
                            var offset = (((step * t.StepK) + (4 * r)) * t.RowsB.Stride) + (j * TensorCoreTiling.MmaN);
                            _w.Line($"uint g_b{Int(j)}_{Int(r)} = g_sb_frag{suffix}[{Int(offset)}];");
                        }
                    }
                }
                else
                {
                    // Two tiles an ldmatrix (8 columns are 4 words), the last one alone when their number is odd.
                    for (var j = 0; j < t.TilesN; j += 2)
                    {
                        var offset = (step * t.StepK * t.RowsB.Stride) + (j * TensorCoreTiling.MmaN / 2);
                        _w.Line(j + 1 < t.TilesN
                            ? $"LoadMatrixTransposed(g_s, g_sbase, g_sb_ldm{suffix} + {Int(offset)}, out uint g_b{Int(j)}_0, out uint g_b{Int(j)}_1, out uint g_b{Int(j + 1)}_0, out uint g_b{Int(j + 1)}_1);"
                            : $"LoadMatrixTransposedPair(g_s, g_sbase, g_sb_ldm{suffix} + {Int(offset)}, out uint g_b{Int(j)}_0, out uint g_b{Int(j)}_1);");
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

    private void Mma()
    {
        var type = tiling.OperandName;
        var shape = tiling.PtxShape;
        _w.Line($"/// <summary>D += A * B for one {shape} tile of the warp: tensor cores on CUDA, the same fragments by shuffles elsewhere.</summary>");
        _w.Line(Inline);
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

    /// <summary>
    /// The shared allocation's 16-byte unit, its address on CUDA and <c>ldmatrix</c>. ILGPU gives no address of a
    /// shared element (taking one fails to compile), but it names a kernel's shared allocations
    /// <c>__shared_alloca0</c>, <c>__shared_alloca1</c>, ... in order; the kernel has one.
    /// </summary>
    private void SharedAccess()
    {
        _w.Line("/// <summary>Four 32-bit words: shared memory allocated in these is aligned to 16 bytes, as ldmatrix needs.</summary>");
        _w.Line("public struct Words4 { public uint X, Y, Z, W; }");
        _w.Line();
        CSharpPrinter.SharedBaseMethod(_w);
        _w.Line();
        _w.Line("/// <summary>");
        _w.Line("/// Four 8x8 matrices of 16-bit values (or 8x4 of 32-bit) from shared memory, ldmatrix.x4: lane l gives in");
        _w.Line("/// <paramref name=\"word\"/> the first word of row l % 8 of matrix l / 8 (4 words, 16-byte aligned), and lane 4g+t");
        _w.Line("/// receives word t of row g of matrix i in ri. Without ldmatrix, each lane takes its rows' words from their lanes.");
        _w.Line("/// </summary>");
        LoadMatrixMethod("LoadMatrix", "x4", 4, ["int g = Warp.LaneIdx >> 2;", "int t = Warp.LaneIdx & 3;"], r => $"shared[Warp.Shuffle(word, {Int(8 * r)} + g) + t]");
        if (tiling.Tf32)
        {
            return;
        }
        _w.Line();
        _w.Line("/// <summary>");
        _w.Line("/// ldmatrix.x4.trans: as LoadMatrix, but lane 4g+t receives column g of rows 2t and 2t+1 of matrix i in ri");
        _w.Line("/// (the first in the low half), as a B fragment register holds the values of a column adjacent in k.");
        _w.Line("/// </summary>");
        LoadMatrixMethod("LoadMatrixTransposed", "x4.trans", 4, [], r => $"Column(shared, word, {Int(8 * r)})");
        _w.Line();
        _w.Line("/// <summary>ldmatrix.x2.trans: LoadMatrixTransposed's first two matrices (lanes 0-15 give the rows).</summary>");
        LoadMatrixMethod("LoadMatrixTransposedPair", "x2.trans", 2, [], r => $"Column(shared, word, {Int(8 * r)})");
        _w.Line();
        _w.Line("/// <summary>Without ldmatrix: the lane's two 16-bit values of the transposed matrix whose rows lanes <paramref name=\"firstLane\"/> + 0-7 give.</summary>");
        _w.Line(Inline);
        using (_w.Block("public static uint Column(ArrayView<uint> shared, int word, int firstLane)"))
        {
            _w.Line("int g = Warp.LaneIdx >> 2;");
            _w.Line("int t = Warp.LaneIdx & 3;");
            _w.Line("int low = Warp.Shuffle(word, firstLane + 2 * t);");
            _w.Line("int high = Warp.Shuffle(word, firstLane + 2 * t + 1);");
            _w.Line("// Column g is the low or high half of word g / 2 of each row.");
            _w.Line("int shift = (g & 1) * 16;");
            _w.Line("return ((shared[low + (g >> 1)] >> shift) & 0xFFFFu) | (((shared[high + (g >> 1)] >> shift) & 0xFFFFu) << 16);");
        }
    }

    /// <summary>
    /// The asynchronous copy of one unit from global to shared memory, <c>cp.async</c> on CUDA (sm_80+): 16 bytes
    /// or 4 (<see cref="CSharpPrinter.CopyAsyncInstruction"/>);
    /// WaitCopies waits for a thread's copies. The global address is the tensor's (a kernel argument, see
    /// LaunchAddress) plus the unit's bytes, the shared one the allocation's (SharedBase) plus the unit's. Elsewhere the
    /// unit is copied at once through the same indices, so the CPU runs check them; only the bases are CUDA's alone.
    /// </summary>
    private void CopyAsyncMethods()
    {
        var units = new[] { tiling.RowsA.Unit, tiling.RowsB.Unit }.Distinct();
        foreach (var unit in units)
        {
            var (type, bytes, shift) = unit == SharedRows.WideUnit ? ("Words4", 16, 4) : ("uint", 4, 2);
            _w.Line($"/// <summary>Copies {(bytes == 16 ? "16 bytes" : "a word")} from unit <paramref name=\"from\"/> of the global tensor at <paramref name=\"globalBase\"/> into unit <paramref name=\"to\"/> of shared memory.</summary>");
            _w.Line(Inline);
            using (_w.Block($"public static void CopyAsync(ArrayView<{type}> shared, uint sharedBase, int to, ArrayView<{type}> global, long globalBase, long from)"))
            {
                using (_w.Block("if (CudaAsm.IsSupported)"))
                {
                    _w.Line($"uint toAddress = sharedBase + ((uint)to << {Int(shift)});");
                    _w.Line($"long fromAddress = globalBase + (from << {Int(shift)});");
                    _w.Line($"CudaAsm.Emit(\"{CSharpPrinter.CopyAsyncInstruction(bytes, sourceSize: false, globalAddress: false)}\", toAddress, fromAddress);");
                }
                using (_w.Block("else"))
                {
                    _w.Line("shared[to] = global[from];");
                }
            }
            _w.Line();
        }
        CSharpPrinter.WaitCopiesMethod(_w);
    }

    /// <summary>
    /// A method that loads <paramref name="registers"/> matrices with <c>ldmatrix.sync.aligned.m8n8.{variant}</c> on CUDA,
    /// and elsewhere sets register r to <paramref name="emulation"/>(r) after the lines <paramref name="prologue"/>.
    /// </summary>
    private void LoadMatrixMethod(string name, string variant, int registers, string[] prologue, Func<int, string> emulation)
    {
        var range = Enumerable.Range(0, registers).ToArray();
        _w.Line(Inline);
        using (_w.Block($"public static void {name}(ArrayView<uint> shared, uint sharedBase, int word, {string.Join(", ", range.Select(r => $"out uint r{r}"))})"))
        {
            using (_w.Block("if (CudaAsm.IsSupported)"))
            {
                _w.Line($"Output<uint> {string.Join(", ", range.Select(r => $"e{r} = default"))};");
                _w.Line("Input<uint> address = sharedBase + ((uint)word << 2);");
                var outputs = string.Join(", ", range.Select(r => $"%{r}"));
                _w.Line($"CudaAsm.EmitRef(\"ldmatrix.sync.aligned.m8n8.{variant}.shared.b16 {{{outputs}}}, [%{registers}];\", {string.Join(", ", range.Select(r => $"ref e{r}"))}, ref address);");
                foreach (var r in range)
                {
                    _w.Line($"r{r} = e{r}.Value;");
                }
            }
            using (_w.Block("else"))
            {
                foreach (var line in prologue)
                {
                    _w.Line(line);
                }
                foreach (var r in range)
                {
                    _w.Line($"r{r} = {emulation(r)};");
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
            _w.Line();
            _w.Line("/// <summary>Four floats' bits, each rounded to TF32.</summary>");
            _w.Line("public static Words4 ToTf32(Words4 v) => new Words4 { X = ToTf32(Interop.IntAsFloat(v.X)), Y = ToTf32(Interop.IntAsFloat(v.Y)), Z = ToTf32(Interop.IntAsFloat(v.Z)), W = ToTf32(Interop.IntAsFloat(v.W)) };");
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
