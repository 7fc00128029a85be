namespace Gensor.Analysis;

/// <summary>
/// How the threads of a block copy one staged box from global to shared
/// memory together: in chunks of <see cref="Width"/> consecutive elements of the
/// box's innermost copy run (the tensor's innermost dimension, with the outer ones
/// the box spans whole: <see cref="OperatorAnalysis.CopyRun(int, Etir.Schedule, ReadOnlySpan{int})"/>), thread t taking chunks t,
/// t + threads, ... The code generator writes this copy; the cost model counts
/// its instructions and the register prefetch its registers, from this one value.
/// </summary>
/// <param name="Width">Elements per chunk: the schedule's vector width when the run holds whole chunks, else 1.</param>
/// <param name="VectorLoad">
/// Whether every chunk is one aligned vector in global memory, so it loads
/// with one 64- or 128-bit load and one bounds check covers it.
/// </param>
/// <param name="VectorStore">
/// Whether every chunk is also one aligned vector in shared memory (the box is
/// not transposed there), so it stores with one 64- or 128-bit store.
/// </param>
/// <param name="Elements">Elements of the box.</param>
/// <param name="IterationsPerThread">Chunks each thread copies per stage.</param>
public sealed record CopyPlan(int Width, bool VectorLoad, bool VectorStore, long Elements, int IterationsPerThread)
{
    /// <summary>Registers a thread needs to hold its share of the box (the register prefetch).</summary>
    public long RegistersPerThread => (long)IterationsPerThread * Width;
}
