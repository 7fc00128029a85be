using Gensor.Etir;

namespace Gensor.Analysis;

/// <summary>
/// The sizes of a tensor-core schedule (<see cref="Schedule.Mma"/>) for a matrix
/// product, shared by legality, the cost model and the code generator.
/// <para>
/// A block computes a BM×BN tile of C with one warp per WM×WN warp tile; a warp
/// holds (WM/16)×(WN/8) float32 accumulator fragments of the MMA, four
/// registers a lane. Per stage of BK, A's BM×BK box and B's BK×BN box are
/// copied to shared memory (pipelined 16-bit operands by <c>cp.async</c>, <see cref="AsyncCopies"/>)
/// in 128-bit units where the threads split them so, 32-bit words otherwise,
/// rows padded (<see cref="SharedRows"/>):
/// both kept as they lie in global memory. A's rows of k (a word holding two
/// 16-bit values adjacent in k, or one float32 rounded to TF32) are read by
/// <c>ldmatrix</c>, four fragment registers an instruction; B's rows of n by
/// <c>ldmatrix.trans</c>, which gives each lane the two 16-bit values adjacent in
/// k that a B register holds, or for TF32 (ldmatrix moves 16-bit values only)
/// a word a lane, 4 rows of 8 words a warp (<see cref="RowsB"/>).
/// </para>
/// </summary>
public sealed record TensorCoreTiling(MatrixProduct Product, Schedule Schedule)
{
    /// <summary>Rows of the MMA tile (m).</summary>
    public const int MmaM = 16;

    /// <summary>Columns of the MMA tile (n).</summary>
    public const int MmaN = 8;

    /// <summary>The reduction (k) of the 16-bit MMA, m16n8k16.</summary>
    public const int MmaK = 16;

    /// <summary>The reduction (k) of the TF32 MMA, m16n8k8.</summary>
    public const int MmaKTf32 = 8;

    /// <summary>Registers a thread needs beside accumulators and fragments: indices, windows, loop counters (fitted, see <see cref="RegistersPerThread"/>).</summary>
    public const int ScalarRegisters = 16;

    public int BlockM => Schedule.BlockTile[0];

    public int BlockN => Schedule.BlockTile[1];

    public int WarpM => Schedule.ThreadTile[0];

    public int WarpN => Schedule.ThreadTile[1];

    public int StageK => Schedule.ReduceStep[0];

    /// <summary>
    /// Whether the stages are pipelined (<c>buffers=2 prefetch=1</c>): each thread issues its copies of the next
    /// stage into the other of two shared buffers before the warps compute this one (TF32: loads them into
    /// registers before and stores them after), so the global loads' latency overlaps the MMAs and a stage needs
    /// one barrier, not two.
    /// </summary>
    public bool Pipelined => Schedule.SharedBuffers == 2;

    /// <summary>
    /// Whether the stage's copies go from global to shared memory by <c>cp.async</c> on CUDA (sm_80+), without
    /// passing through registers: pipelined stages of 16-bit operands, copied as they lie. TF32's words are
    /// rounded on the way (as <c>cvt.rna.tf32</c>), which an asynchronous copy cannot do, so TF32 loads into
    /// registers and stores. A single-buffered stage waits for its own copy either way, and with cp.async ptxas
    /// holds more registers for it (f16 4096³, 128x128 block of 64x64 warps, 16-deep stages: 198 where the copy
    /// through registers takes 168), so it copies through registers too.
    /// </summary>
    public bool AsyncCopies => Pipelined && !Tf32;

    /// <summary>Barriers per stage: before the fragments are read and before the buffer is overwritten, or one when pipelined.</summary>
    public int BarriersPerStage => Pipelined ? 1 : 2;

    /// <summary>Whether the MMA is TF32's (float32 operands rounded on tensor cores).</summary>
    public bool Tf32 => Schedule.Mma == MmaShape.M16N8K8Tf32;

    /// <summary>The MMA's k: 16, or 8 for TF32.</summary>
    public int StepK => Tf32 ? MmaKTf32 : MmaK;

    /// <summary>Operand values in one 32-bit shared word: two 16-bit values, or one TF32.</summary>
    public int ValuesPerWord => Tf32 ? 1 : 2;

    /// <summary>Words of one k-step in a shared row (8 for both MMAs: 16 halves or 8 floats).</summary>
    public int StepWords => StepK / ValuesPerWord;

    /// <summary>Words of a stage in a shared row, before padding.</summary>
    public int StageWords => StageK / ValuesPerWord;

    public int WarpsM => BlockM / WarpM;

    public int WarpsN => BlockN / WarpN;

    public int Warps => WarpsM * WarpsN;

    public int Threads => Warps * Schedule.MmaWarpSize;

    /// <summary>MMA tiles of a warp along m and n.</summary>
    public int TilesM => WarpM / MmaM;

    public int TilesN => WarpN / MmaN;

    /// <summary>A's box in shared memory: BM rows of the stage's words.</summary>
    public SharedRows RowsA => new(BlockM, StageWords, Threads);

    /// <summary>
    /// B's box in shared memory: BK rows of BN/2 words (two 16-bit values adjacent in n a word), or of BN for TF32,
    /// whose fragments are read a word a lane (lane 4g+t reads row t at word g: 4 rows of 8 words a warp).
    /// </summary>
    public SharedRows RowsB => new(StageK, BlockN / ValuesPerWord, Threads, Tf32 ? 8 : 4);

    /// <summary>Shared words of one buffer of A's box and of B's.</summary>
    public int BufferWordsA => RowsA.BufferWords;

    public int BufferWordsB => RowsB.BufferWords;

    /// <summary>Shared bytes: A's BM rows and B's BK rows, twice when pipelined.</summary>
    public long SharedBytes => (long)(BufferWordsA + BufferWordsB) * 4 * Schedule.SharedBuffers;

    /// <summary>
    /// Registers the next stage's loads arrive in while a pipelined stage computes: one a copied word; none
    /// otherwise, nor with <see cref="AsyncCopies"/> (TF32's pipelined stages only). ptxas holds about half of
    /// them at once: it moves the first stores in among the stage's MMAs.
    /// </summary>
    public int PrefetchRegisters => Pipelined && !AsyncCopies ? CopyWordsA + CopyWordsB : 0;

    /// <summary>Words of A (and of B) each thread copies per stage.</summary>
    public int CopyWordsA => RowsA.CopyWords;

    public int CopyWordsB => RowsB.CopyWords;

    /// <summary>
    /// Registers per thread: 4 accumulators per MMA tile, the fragments of one k-step (4 words per A tile,
    /// 2 per B tile), half of <see cref="PrefetchRegisters"/> and <see cref="ScalarRegisters"/>. Fitted to
    /// ptxas 11.8 for sm_90 on a 4096³ product, every tiling of <c>TensorCoreChoice</c>'s space legal apart
    /// from registers (<c>Gensor.Bench tc-registers</c>, bench/results/tensor-core-registers.md): 1.01 times
    /// ptxas's count in geometric mean for f16 and bf16 (pipelined by cp.async 1.03, single-buffered 0.99),
    /// 1.04 for TF32, and of 1,583 f16, bf16 and TF32 kernels legality lets none through that breaks the
    /// register limits (none spills) and rules out 28 that fit, all blocks of 1,024 threads estimated at 65-69
    /// registers where ptxas takes 55-64. Neither the stage's depth nor a single-buffered
    /// copy counts: the kernel addresses shared and global memory through per-thread windows with constant
    /// offsets, so ptxas streams a stage's copies and k-steps instead of holding their loads and addresses
    /// (before the windows, a 64-deep stage took 255 registers and the estimate counted every k-step and
    /// copy word); only small single-buffered blocks with 64-deep stages keep their 128-bit copy loads in
    /// flight (down to 0.67 of ptxas's count, under the limits). sm_80's ptxas takes a little more (f16 0.95,
    /// TF32 1.00; 1 f16 and 1 bf16 kernel let through).
    /// </summary>
    public int RegistersPerThread => (TilesM * TilesN * 4) + (TilesM * 4) + (TilesN * 2) + (PrefetchRegisters / 2) + ScalarRegisters;

    /// <summary>
    /// Bank passes of a warp's fragment load, 8 rows of 4 words (an ldmatrix phase; for TF32's B, 4 rows of 8
    /// words): 1 with the padded rows.
    /// </summary>
    public int FragmentPasses => Math.Max(RowsA.MatrixPasses, RowsB.MatrixPasses);

    /// <summary>Bank passes of a warp's store of A's copy, the most of any warp (<see cref="SharedRows.CopyPasses"/>).</summary>
    public int CopyPassesA => RowsA.CopyPasses;

    /// <summary>Bank passes of a warp's store of B's copy, the most of any warp (<see cref="SharedRows.CopyPasses"/>).</summary>
    public int CopyPassesB => RowsB.CopyPasses;

    /// <summary>Blocks in the grid.</summary>
    public long Blocks => (long)(Product.M / BlockM) * (Product.N / BlockN);

    /// <summary>MMA instructions each warp issues per stage.</summary>
    public int MmasPerWarpStage => TilesM * TilesN * (StageK / StepK);

    /// <summary>The tiling of <paramref name="schedule"/> for <paramref name="op"/>, or why there is none.</summary>
    public static (TensorCoreTiling? Tiling, string? Reason) Of(Operator op, Schedule schedule)
    {
        if (schedule.Mma == MmaShape.None)
        {
            return (null, "the schedule has no tensor-core MMA");
        }
        if (MatrixProduct.Of(op) is not { } product)
        {
            return (null, "tensor cores compute only a plain matrix product C[m,n] += A[m,k] * B[k,n] without epilogue");
        }
        if (schedule.Mma == MmaShape.M16N8K16 && (product.A.Type != product.B.Type || product.A.Type is not (ElementType.F16 or ElementType.BF16)))
        {
            return (null, $"the m16n8k16 MMA multiplies f16 or bf16 operands of one type, not {product.A.Type.Name()} and {product.B.Type.Name()}");
        }
        if (schedule.Mma == MmaShape.M16N8K8Tf32 && (product.A.Type != ElementType.F32 || product.B.Type != ElementType.F32))
        {
            return (null, $"the TF32 MMA multiplies f32 operands, not {product.A.Type.Name()} and {product.B.Type.Name()}");
        }
        if (schedule.BlockTile.Count != 2 || schedule.ThreadTile.Count != 2 || schedule.ReduceStep.Count != 1)
        {
            return (null, "a tensor-core schedule has a 2-D block tile, a 2-D warp tile and one reduce step");
        }
        var tiling = new TensorCoreTiling(product, schedule);
        return (tiling, tiling.Check());
    }

    /// <summary>The profile's tensor-core peak for this MMA and operand type, GFLOP/s (0: none).</summary>
    public double PeakGflops(Hardware.HardwareProfile profile) => Tf32 ? profile.TensorGflopsTf32 : profile.TensorGflops(Product.A.Type);

    /// <summary>The MMA's shape in PTX: <c>m16n8k16</c>, or <c>m16n8k8</c> for TF32.</summary>
    public string PtxShape => Tf32 ? "m16n8k8" : "m16n8k16";

    /// <summary>The operands' type as the MMA sees it: f16, bf16 or tf32.</summary>
    public string OperandName => Tf32 ? "tf32" : Product.A.Type.Name();

    private string? Check()
    {
        if (WarpM % MmaM != 0 || WarpN % MmaN != 0 || WarpM <= 0 || WarpN <= 0)
        {
            return $"warp tile {WarpM}x{WarpN} is not a multiple of the MMA's {MmaM}x{MmaN}";
        }
        if (StageK % StepK != 0)
        {
            return $"reduce step {StageK} is not a multiple of the MMA's k of {StepK}";
        }
        if (BlockM % WarpM != 0 || BlockN % WarpN != 0)
        {
            return $"block tile {BlockM}x{BlockN} is not a multiple of the warp tile {WarpM}x{WarpN}";
        }
        if (Product.M % BlockM != 0 || Product.N % BlockN != 0 || Product.K % StageK != 0)
        {
            // Tensor-core tiles have no bounds checks: the tiles must divide the product.
            return $"block tile {BlockM}x{BlockN} and reduce step {StageK} do not divide the product's {Product.M}x{Product.N}x{Product.K}";
        }
        if (Schedule.SharedInputs.Count != 2 || !Schedule.IsShared(Product.A.Name) || !Schedule.IsShared(Product.B.Name))
        {
            return $"a tensor-core schedule stages both operands in shared memory (shared={Product.A.Name},{Product.B.Name})";
        }
        if (Schedule.VirtualThreads.Any(v => v != 1) || Schedule.ReduceThreads != 1 || Schedule.SplitReduce != 1
            || Schedule.SharedPadding != 0 || Schedule.VectorWidth != 1 || Schedule.ReduceRun != 1)
        {
            return "a tensor-core schedule has its own copy and layout: no vthread, rthreads, run, split, pad or vector";
        }
        if (Schedule.SharedBuffers is not (1 or 2) || Schedule.RegisterPrefetch != (Schedule.SharedBuffers == 2) || Schedule.AsyncCopy)
        {
            // Its 16-bit operands' pipelined copies are cp.async without async=1 (AsyncCopies): the kernel is a tiling's own.
            return "a tensor-core schedule pipelines its stages with buffers=2 and prefetch=1 together, or neither (no async)";
        }
        // The copy keeps one base per thread (SharedRows.Check).
        if (RowsA.Check() is not null || RowsB.Check() is not null)
        {
            return $"the {Threads} threads do not split the stage's {BlockM}x{StageK} and {StageK}x{BlockN} boxes evenly";
        }
        return null;
    }
}
